import type { LaneView } from '../state/run-store.ts';

export function thinkingEndLabel(how: LaneView['thinkingEnd']): string | null {
  switch (how) {
    case 'model':
      return 'closed by the model';
    case 'budget':
      return 'cut at budget';
    case 'eos':
      return 'EOS inside thinking (</think> appended)';
    case 'aborted':
      return 'stopped';
    default:
      return null;
  }
}

export function solutionEndLabel(how: LaneView['solutionEnd']): string | null {
  switch (how) {
    case 'eos':
      return 'EOS';
    case 'budget':
      return 'cut at solution budget';
    case 'aborted':
      return 'stopped';
    default:
      return null;
  }
}
