// Re-cuts of the finished run shown in the Run tab: "what would it have answered had it stopped
// here?". Each is a worker run of its own (prompt + the trace's first k tokens + `</think>`, then
// the solution); its messages come here, not to the run store, so the original stays on screen.
import { createStore } from 'zustand/vanilla';
import { extractBoxed } from '../core/answer.ts';
import { emptyOutcome, type ComparisonRecord, type LaneOutcome, type LaneSettings, type ReferenceProblem } from '../core/comparison.ts';
import type { FromWorker } from '../worker/protocol.ts';
import { laneOutcome } from './lane-outcome.ts';
import type { Run } from './run-store.ts';

export type RecutStatus = 'running' | 'stopping' | 'finished' | 'stopped' | 'failed';

export interface RecutLane {
  readonly runId: string;
  /** Thinking tokens kept (the cut). */
  readonly at: number;
  /** The settings it ran with (the controls may have moved on since). */
  readonly settings: LaneSettings;
  readonly status: RecutStatus;
  readonly outcome: LaneOutcome;
}

export interface Recuts {
  /** The finished run whose trace is re-cut. */
  readonly sourceRunId: string;
  readonly lanes: readonly RecutLane[];
}

export interface RecutState {
  readonly recuts: Recuts | null;
}

export const recutStore = createStore<RecutState>(() => ({ recuts: null }));

export const resetRecutStore = () => recutStore.setState({ recuts: null });

export function recutRunning(): boolean {
  return !!recutStore.getState().recuts?.lanes.some((l) => l.status === 'running' || l.status === 'stopping');
}

/** Whether a worker message belongs to a re-cut (then `recutMessageReceived` takes it). */
export function ownsRun(runId: string): boolean {
  return !!recutStore.getState().recuts?.lanes.some((l) => l.runId === runId);
}

export function recutRequested(source: Run, runId: string, at: number, settings: LaneSettings): void {
  const prev = recutStore.getState().recuts;
  const kept = prev?.sourceRunId === source.runId ? prev.lanes : [];
  const thinkingText = at === 0 ? '' : source.thinking.slice(0, source.trace?.ends[at - 1] ?? 0);
  const outcome: LaneOutcome = { ...emptyOutcome(null), thinkingText, thinkingTokens: at, thinkingEnd: 'budget' };
  recutStore.setState({ recuts: { sourceRunId: source.runId, lanes: [...kept, { runId, at, settings, status: 'running', outcome }] } });
}

export function recutStopRequested(runId: string): void {
  update(runId, (l) => (l.status === 'running' ? { ...l, status: 'stopping' } : l));
}

function update(runId: string, f: (l: RecutLane) => RecutLane): void {
  const r = recutStore.getState().recuts;
  if (!r?.lanes.some((l) => l.runId === runId)) return;
  recutStore.setState({ recuts: { ...r, lanes: r.lanes.map((l) => (l.runId === runId ? f(l) : l)) } });
}

const withSolution = (o: LaneOutcome, patch: Partial<LaneOutcome>): LaneOutcome => {
  const next = { ...o, ...patch };
  return { ...next, answer: next.solutionEnd === null ? null : extractBoxed(next.solutionText) };
};

/** A re-cut's run messages (one lane: lane 0). */
export function recutMessageReceived(m: Extract<FromWorker, { runId: string }>): void {
  switch (m.type) {
    case 'runStarted':
    case 'thinkingEnded':
      return;
    case 'tokens': {
      const text = m.batch.solutions[0] ?? '';
      const n = m.batch.solutionTokens[0] ?? 0;
      return update(m.runId, (l) => ({ ...l, outcome: withSolution(l.outcome, { solutionText: l.outcome.solutionText + text, solutionTokens: l.outcome.solutionTokens + n }) }));
    }
    case 'solutionEnded':
      return update(m.runId, (l) => ({ ...l, outcome: withSolution(l.outcome, { solutionEnd: m.how, solutionTokens: m.tokens }) }));
    case 'runFinished': {
      const s = m.lanes[0];
      return update(m.runId, (l) => ({
        ...l,
        status: m.aborted ? 'stopped' : 'finished',
        outcome: s
          ? withSolution(l.outcome, { thinkingText: s.thinkingText, solutionText: s.solutionText, solutionTokens: s.solutionTokens, solutionEnd: s.solutionEnd, stats: m.stats })
          : l.outcome,
      }));
    }
    case 'runFailed':
      return update(m.runId, (l) => ({ ...l, status: 'failed', outcome: { ...l.outcome, error: m.message } }));
  }
}

/**
 * The original and its re-cuts as a comparison record (a sweep of one trace), to export like
 * one: lanes ordered by the thinking they kept, the original last.
 */
export function recutRecord(source: Run, recuts: Recuts, modelId: string, reference: ReferenceProblem | null): ComparisonRecord {
  const original: LaneSettings = { modelId, thinking: source.spec.lanes[0]!.thinking, solution: source.spec.lanes[0]!.solution, sampling: source.spec.sampling };
  const lanes = [...recuts.lanes]
    .sort((a, b) => a.at - b.at)
    .map((l) => ({ settings: l.settings, outcome: l.outcome }))
    .concat([{ settings: original, outcome: laneOutcome(source, 0, source.stats) }]);
  const decoded = (source.stats?.decodedTokens ?? 0) + recuts.lanes.reduce((a, l) => a + (l.outcome.stats?.decodedTokens ?? 0), 0);
  return {
    id: `recut-${source.runId}`,
    createdAt: Date.now(),
    mode: 'sweep',
    problem: source.spec.problem,
    paperSuffix: source.spec.paperSuffix,
    reference,
    lanes,
    sweep: { traceText: source.thinking, decodedTokens: decoded, separateTokens: lanes.reduce((a, l) => a + l.outcome.thinkingTokens + l.outcome.solutionTokens, 0) },
    status: recuts.lanes.some((l) => l.status === 'failed') ? 'failed' : recuts.lanes.some((l) => l.status !== 'finished') ? 'stopped' : 'finished',
  };
}
