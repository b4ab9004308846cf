// How a run's settings and phase ends read, in the app and in exported reports alike.
import type { LaneOutcome } from './comparison.ts';
import type { Sampling } from './sampler.ts';

export function thinkingEndLabel(how: LaneOutcome['thinkingEnd']): string | null {
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

export function solutionEndLabel(how: LaneOutcome['solutionEnd']): string | null {
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

export function samplingLabel(s: Sampling): string {
  return s.kind === 'greedy' ? 'greedy' : `T ${s.temperature} · top-p ${s.topP}${s.topK ? ` · top-k ${s.topK}` : ''} · seed ${s.seed}`;
}
