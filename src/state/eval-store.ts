// The evaluation on screen: the paper's Avg@k table, built one graded sample at a time, with
// what runs now and the time spent (for the rate and the time left). Actions are events.
import { createStore } from 'zustand/vanilla';
import type { EvalRecord, EvalSample, EvalStatus } from '../core/evaluation.ts';
import { totalSamples } from '../core/evaluation.ts';

/** What the runner is doing for the shown evaluation. */
export type EvalActivity =
  | { readonly kind: 'loading'; readonly model: number }
  | { readonly kind: 'sampling'; readonly model: number; readonly problem: number; readonly sample: number }
  | null;

/** A kept evaluation, as the History tab lists it. */
export interface EvalEntry {
  readonly id: string;
  readonly createdAt: number;
  readonly setLabel: string;
  readonly models: readonly string[];
  readonly problems: number;
  readonly k: number;
  readonly budgets: number;
  readonly done: number;
  readonly total: number;
  readonly status: EvalStatus;
}

export interface EvalState {
  readonly evaluation: EvalRecord | null;
  readonly activity: EvalActivity;
  /** A pause or stop asked for and not yet reached (the running sweep is stopping). */
  readonly ending: 'pause' | 'stop' | null;
  /** When the current stretch of running began (ms); null while not running. */
  readonly runningSince: number | null;
  /** Where the shown evaluation came from, when that needs saying (reload, history, import). */
  readonly notice: string | null;
  /** Kept evaluations, newest first (History). */
  readonly kept: readonly EvalEntry[];
  /**
   * The shown evaluation is being run by another tab of this app (it holds the evaluation's Web
   * Lock): shown as it stood, paused here; this tab writes nothing of it.
   */
  readonly elsewhere: boolean;
}

const initial: EvalState = { evaluation: null, activity: null, ending: null, runningSince: null, notice: null, kept: [], elsewhere: false };

export const evalStore = createStore<EvalState>(() => initial);

export function resetEvalStore(): void {
  evalStore.setState(initial, true);
}

function update(id: string, f: (s: EvalState, e: EvalRecord) => Partial<EvalState>): void {
  const s = evalStore.getState();
  if (s.evaluation?.id === id) evalStore.setState(f(s, s.evaluation));
}

/** Folds the running stretch up to `now` into the record's active time. */
function withActive(s: EvalState, e: EvalRecord, now: number): EvalRecord {
  return s.runningSince === null ? e : { ...e, activeMs: e.activeMs + Math.max(0, now - s.runningSince) };
}

/** An evaluation starts running: a new one, or a paused / reloaded one resumed. */
export function evaluationRunning(e: EvalRecord, now: number, notice: string | null = null): void {
  evalStore.setState({ evaluation: { ...e, status: 'running', error: null }, activity: null, ending: null, runningSince: now, notice, elsewhere: false });
}

/** Shown without running: from history, an import, or a paused one after a reload. */
export function evaluationOpened(e: EvalRecord, notice: string | null): void {
  evalStore.setState({ evaluation: e, activity: null, ending: null, runningSince: null, notice, elsewhere: false });
}

/** Another tab runs this evaluation: shown as it stood (paused here), with `notice` saying so. */
export function evaluationRunningElsewhere(e: EvalRecord, notice: string): void {
  evalStore.setState({ evaluation: { ...e, status: 'paused' }, activity: null, ending: null, runningSince: null, notice, elsewhere: true });
}

export const modelLoadingForEval = (id: string, model: number) => update(id, () => ({ activity: { kind: 'loading', model } }));
export const sampleStarted = (id: string, at: { model: number; problem: number; sample: number }) =>
  update(id, () => ({ activity: { kind: 'sampling', ...at } }));

export function sampleGraded(id: string, sample: EvalSample, now: number): void {
  update(id, (s, e) => ({ evaluation: { ...withActive(s, e, now), samples: [...e.samples, sample] }, runningSince: s.runningSince === null ? null : now }));
}

export const endRequested = (id: string, how: 'pause' | 'stop') => update(id, (s) => (s.ending === 'stop' ? {} : { ending: how }));

export function evaluationEnded(id: string, status: Exclude<EvalStatus, 'running'>, now: number, error: string | null = null): void {
  update(id, (s, e) => ({ evaluation: { ...withActive(s, e, now), status, error }, activity: null, ending: null, runningSince: null }));
}

export const evaluationsListed = (kept: readonly EvalEntry[]) => evalStore.setState({ kept });

export function entryOf(e: Omit<EvalRecord, 'samples'>, done: number): EvalEntry {
  return {
    id: e.id,
    createdAt: e.createdAt,
    setLabel: e.set.label,
    models: e.models,
    problems: e.problems.length,
    k: e.k,
    budgets: e.budgets.length,
    done,
    total: totalSamples(e),
    status: e.status,
  };
}

/** Samples per minute over the active time, and the minutes left at that rate (derived, never stored). */
export function progressOf(e: EvalRecord, runningSince: number | null, now: number): { done: number; total: number; perMinute: number | null; minutesLeft: number | null } {
  const done = e.samples.length;
  const total = totalSamples(e);
  const ms = e.activeMs + (runningSince === null ? 0 : Math.max(0, now - runningSince));
  if (done === 0 || ms <= 0) return { done, total, perMinute: null, minutesLeft: null };
  const perMinute = (done * 60_000) / ms;
  return { done, total, perMinute, minutesLeft: (total - done) / perMinute };
}
