// A run's lane as a comparison keeps it: the one place where streamed state becomes a LaneOutcome
// (comparisons, history, evaluations and the live compare view all read lanes through it).
import { extractBoxed } from '../core/answer.ts';
import type { LaneOutcome } from '../core/comparison.ts';
import type { DecodeStats } from '../core/decode.ts';
import type { Run } from './run-store.ts';

/**
 * Lane `lane` of `run`, as it stands (live or ended). Its thinking is the lane's own text once the
 * run is over (or while it streams, in a run with a trace per seed), else the shared trace up to
 * the lane's cut (or all of it while still thinking).
 * `stats`: a sweep's stats belong to all lanes together, so callers say whether this lane owns them.
 */
export function laneOutcome(run: Run, lane: number, stats: DecodeStats | null = null): LaneOutcome {
  const l = run.lanes[lane];
  if (!l) throw new Error(`Run ${run.runId} has no lane ${lane}.`);
  const cut = l.traceCharsAtEnd;
  return {
    // A lane with a trace of its own (a run at several seeds) streams its own thinking.
    thinkingText: l.thinkingText ?? l.liveThinking ?? (cut !== null ? run.thinking.slice(0, cut) : run.thinking),
    thinkingTokens: l.thinkingTokensAtEnd ?? (l.liveThinking !== null ? l.liveThinkingTokens : run.thinkingTokens),
    thinkingEnd: l.thinkingEnd,
    solutionText: l.solution,
    solutionTokens: l.solutionTokens,
    solutionEnd: l.solutionEnd,
    answer: extractBoxed(l.solution),
    stats,
    error: run.error,
  };
}

/** Every lane of a run. */
export const laneOutcomes = (run: Run, stats: DecodeStats | null = null): LaneOutcome[] => run.lanes.map((_, i) => laneOutcome(run, i, stats));
