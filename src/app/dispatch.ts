// Routes worker messages to store events. Pure (no Worker, no DOM) so it is unit-tested.
import { cacheCleared, loadProgressed, modelLoadFailed, modelLoaded, modelWorkerLost, probed } from '../state/model-store.ts';
import {
  isActive,
  runFailed,
  runFinished,
  runInterrupted,
  runStarted,
  runStore,
  solutionEnded,
  thinkingEnded,
  tokensReceived,
} from '../state/run-store.ts';
import { ownsRun, recutMessageReceived } from '../state/recut-store.ts';
import { memoryPlanned } from '../state/compare-store.ts';
import { assertNever, type FromWorker } from '../worker/protocol.ts';

export function dispatchFromWorker(m: FromWorker, now: number): void {
  // A re-cut's messages go to its lane; the run it re-cuts stays as it is.
  if ('runId' in m && ownsRun(m.runId)) return recutMessageReceived(m);
  switch (m.type) {
    case 'ready':
      return;
    case 'probed':
      return probed(m.probe);
    case 'loadProgress':
      return loadProgressed(m.modelId, m.files, now);
    case 'loaded':
      return modelLoaded(m.info);
    case 'loadFailed':
      return modelLoadFailed(m.modelId, m.message);
    case 'runStarted':
      return runStarted(m.runId, m.promptTokens);
    case 'tokens':
      return tokensReceived(m.runId, m.batch);
    case 'thinkingEnded':
      return thinkingEnded(m.runId, m.lane, m.how, m.tokens, m.traceChars);
    case 'solutionEnded':
      return solutionEnded(m.runId, m.lane, m.how, m.tokens);
    case 'runFinished':
      return runFinished(m.runId, m.aborted, m.lanes, m.stats, { ids: m.thinkingIds, ends: m.thinkingEnds });
    case 'runFailed':
      return runFailed(m.runId, m.message);
    case 'planned':
      return memoryPlanned({ key: m.planId, modelId: m.modelId, plan: m.plan, error: m.error });
    case 'cacheCleared':
      return cacheCleared(m.bytesFreed, m.refused);
    case 'deviceLost':
      return; // the worker client replaces the worker, then calls workerLost

    default:
      return assertNever(m);
  }
}

/**
 * The worker died or lost its GPU (a fresh one is starting). The run in flight ends as interrupted
 * with what had streamed; comparisons and evaluations waiting on it or on a load move on from there.
 */
export function workerLost(message: string): void {
  const r = runStore.getState().run;
  if (r && isActive(r)) runInterrupted(r.runId, message);
  modelWorkerLost(message);
}
