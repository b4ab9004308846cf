// One notion of "busy" for everything that drives the model worker — a single run, a comparison,
// an evaluation, a model load: one check decides whether something may start, one Stop stops
// whatever runs. Read from the stores (they are the truth), so it never drifts from what is shown.
import { compareStore } from '../state/compare-store.ts';
import { evalStore } from '../state/eval-store.ts';
import { modelStore } from '../state/model-store.ts';
import { isActive, runStore, stopRequested } from '../state/run-store.ts';
import { workerClient } from './worker-client.ts';

export type Activity = 'comparison' | 'evaluation' | 'run' | 'load';

/** What occupies the worker now, the widest first (a comparison's lane run counts as the comparison). */
export function activity(): Activity | null {
  const cmp = compareStore.getState().comparison?.status;
  if (cmp === 'running' || cmp === 'stopping') return 'comparison';
  const ev = evalStore.getState().evaluation?.status;
  if (ev === 'running') return 'evaluation';
  if (isActive(runStore.getState().run)) return 'run';
  if (modelStore.getState().status === 'loading') return 'load';
  return null;
}

const REASONS: Record<Activity, string> = {
  comparison: 'A comparison is running: stop it (or wait for it) first.',
  evaluation: 'An evaluation is running: stop it (or wait for it) first.',
  run: 'A generation is running: stop it (or wait for it) first.',
  load: 'A model is loading: wait for it, or cancel the load, first.',
};

/**
 * Why nothing new may start now, or null when it may. `self` is the caller's own activity (a
 * comparison loading its next lane's model is not blocked by itself).
 */
export function busyReason(self?: Activity): string | null {
  const a = activity();
  return a && a !== self ? REASONS[a] : null;
}

/** True while something runs that Stop can stop. */
export function stoppable(): boolean {
  const a = activity();
  return a !== null && a !== 'load';
}

/** How to stop the comparison or evaluation in progress (it stops between runs, then its run). */
let stopJob: (() => void) | null = null;

/**
 * A comparison or evaluation begins: `stop` is what Stop calls. Returns the release to call when
 * it ends, whichever way.
 */
export function jobStarted(stop: () => void): () => void {
  stopJob = stop;
  return () => {
    if (stopJob === stop) stopJob = null;
  };
}

/** Stops the run in flight within a decode step (cooperative: the model stays loaded). */
export function stopActiveRun(): void {
  const r = runStore.getState().run;
  if (!r || !isActive(r)) return;
  stopRequested(r.runId);
  workerClient().send({ type: 'stop', runId: r.runId });
}

/** The one Stop: whatever runs — the job's remaining steps and the run in flight. */
export function stopEverything(): void {
  stopJob?.();
  stopActiveRun();
}
