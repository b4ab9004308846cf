// Re-cut intents: "what would it have answered had it stopped here?" for the finished run in the
// Run tab — from the thinking slider moved below the thinking it used, or a click in its trace.
import type { LaneSettings } from '../core/comparison.ts';
import { modelStore } from '../state/model-store.ts';
import { ownsRun, recutRequested, recutRunning, recutStopRequested, recutStore } from '../state/recut-store.ts';
import { isActive, runStore, type Run } from '../state/run-store.ts';
import { parseBudget, settingsStore } from '../state/settings-store.ts';
import type { RunSpec } from '../worker/protocol.ts';
import { workerClient } from './worker-client.ts';

let counter = 0;

/** The thinking a re-cut can keep from the run's trace: its tokens before it ended (never `</think>` or EOS); re-cuts keep fewer. */
export function recuttable(run: Run | null): number {
  if (!run || run.status !== 'finished' || !run.trace || run.spec.lanes.length !== 1 || run.spec.forcedThinking) return 0;
  const lane = run.lanes[0]!;
  const used = lane.thinkingTokensAtEnd ?? run.thinkingTokens;
  // A trace closed by the model (or by EOS) ends with that token: it cannot be kept.
  return lane.thinkingEnd === 'budget' ? used : used - 1;
}

/** Tokens whose text ends at or before `offset` in the streamed trace: a cut at that point keeps them. */
export function tokensBefore(ends: readonly number[], offset: number): number {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Re-cuts the finished run at `at` thinking tokens; an error message when it cannot. */
export function requestRecut(at: number): string | null {
  const run = runStore.getState().run;
  const max = recuttable(run);
  if (!run || max === 0) return 'Re-cuts start from a finished single run.';
  if (!Number.isInteger(at) || at < 0 || at >= max) return `A re-cut keeps fewer thinking tokens than the run thought (${max}).`;
  if (isActive(run) || recutRunning()) return 'A generation is running; re-cut when it ends.';
  const model = modelStore.getState();
  if (model.status !== 'ready' || !model.info) return 'Load a model first.';
  const prev = recutStore.getState().recuts;
  if (prev?.sourceRunId === run.runId && prev.lanes.some((l) => l.at === at && l.status === 'finished')) return null;
  const sb = parseBudget(settingsStore.getState().solutionBudget, 'Solution budget');
  const solution = 'value' in sb ? sb.value : run.spec.lanes[0]!.solution;
  const spec: RunSpec = { ...run.spec, lanes: [{ thinking: at, solution }], forcedThinking: run.trace!.ids.slice(0, at) };
  const settings: LaneSettings = { modelId: model.info.modelId, thinking: at, solution, sampling: run.spec.sampling };
  const runId = `recut-${Date.now()}-${++counter}`;
  recutRequested(run, runId, at, settings);
  workerClient().send({ type: 'run', runId, spec });
  return null;
}

export function stopRecut(runId: string): void {
  if (!ownsRun(runId)) return;
  recutStopRequested(runId);
  workerClient().send({ type: 'stop', runId });
}
