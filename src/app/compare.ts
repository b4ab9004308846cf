// Runs comparisons. A sweep is one worker run with one lane per budget (the engine forks the
// trace); independent lanes are separate runs, loading each lane's model in turn — only one
// model is ever held, so two models that do not fit together still compare.
import type { ComparisonRecord, LaneSettings } from '../core/comparison.ts';
import { parseModelSource } from '../core/model-source.ts';
import {
  MAX_LANES,
  MIN_LANES,
  compareSettingsStore,
  compareStore,
  comparisonEnded,
  comparisonStarted,
  comparisonStopRequested,
  laneFinished,
  laneStarted,
  memoryPlanned,
  modelLoadEnded,
  modelLoadStarted,
  sweepFinished,
  sweepStarted,
  toRecord,
  type CompareSettings,
} from '../state/compare-store.ts';
import { laneOutcome, laneOutcomes } from '../state/lane-outcome.ts';
import { modelStore } from '../state/model-store.ts';
import { isActive, runStore, type Run } from '../state/run-store.ts';
import { parseBudget, parseSampling, settingsStore, type SettingsState } from '../state/settings-store.ts';
import type { RunSpec } from '../worker/protocol.ts';
import { loadModel, sendPlanRequest, startRun } from './actions.ts';
import { activity, busyReason, jobStarted, stopEverything } from './busy.ts';
import { referenceFor } from './examples.ts';
import { comparisonRunIds } from './history-actions.ts';

export interface PlannedComparison {
  readonly mode: CompareSettings['mode'];
  readonly lanes: readonly LaneSettings[];
}

/** Reads a list of thinking budgets: 2–6 distinct whole numbers, returned ascending. */
export function parseSweepBudgets(raw: string): { value: number[] } | { error: string } {
  const parts = raw
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const values: number[] = [];
  for (const p of parts) {
    const b = parseBudget(p, 'Each thinking budget');
    if ('error' in b) return { error: `${b.error} ("${p}")` };
    values.push(b.value);
  }
  const unique = [...new Set(values)].sort((a, b) => a - b);
  if (unique.length < MIN_LANES || unique.length > MAX_LANES) {
    return { error: `A sweep needs ${MIN_LANES} to ${MAX_LANES} different thinking budgets (got ${unique.length}).` };
  }
  return { value: unique };
}

/** The lanes the compare controls describe, or what is wrong with them. Pure. */
export function planComparison(settings: SettingsState, cs: CompareSettings, loadedModel: string | null): PlannedComparison | { error: string } {
  if (!settings.problem.trim()) return { error: 'Type a problem or pick an example first.' };
  const sampling = parseSampling(settings);
  if ('error' in sampling) return sampling;
  if (cs.mode === 'sweep') {
    if (!loadedModel) return { error: 'Load a model first: a sweep runs on the loaded model.' };
    const budgets = parseSweepBudgets(cs.sweepBudgets);
    if ('error' in budgets) return budgets;
    const s = parseBudget(cs.sweepSolution, 'Solution budget');
    if ('error' in s) return s;
    return { mode: 'sweep', lanes: budgets.value.map((t) => ({ modelId: loadedModel, thinking: t, solution: s.value, sampling: sampling.value })) };
  }
  if (cs.lanes.length < MIN_LANES || cs.lanes.length > MAX_LANES) return { error: `Compare ${MIN_LANES} to ${MAX_LANES} lanes.` };
  const lanes: LaneSettings[] = [];
  for (const [i, l] of cs.lanes.entries()) {
    const src = parseModelSource(l.modelId);
    if ('error' in src) return { error: `Lane ${i + 1}: ${src.error}` };
    const t = parseBudget(l.thinking, `Lane ${i + 1} thinking budget`);
    if ('error' in t) return t;
    const s = parseBudget(l.solution, `Lane ${i + 1} solution budget`);
    if ('error' in s) return s;
    const seed = Number(l.seed);
    if (!Number.isInteger(seed)) return { error: `Lane ${i + 1}: the seed must be a whole number.` };
    const laneSampling = sampling.value.kind === 'sample' ? { ...sampling.value, seed } : sampling.value;
    lanes.push({ modelId: l.modelId.trim(), thinking: t.value, solution: s.value, sampling: laneSampling });
  }
  return { mode: 'independent', lanes };
}

/**
 * The one run a comparison makes when all its lanes decode together — a sweep, or independent
 * lanes of one model whose sampling differs at most in the seed (one trace per seed) — and the
 * model it runs on; null when the lanes run one after another (different models or sampling).
 */
export function batchedRun(plan: PlannedComparison, settings: Pick<SettingsState, 'problem' | 'paperSuffix'>): { modelId: string; spec: RunSpec } | null {
  const first = plan.lanes[0]!;
  const unseeded = (s: LaneSettings['sampling']) => JSON.stringify(s.kind === 'sample' ? { ...s, seed: 0 } : s);
  const together =
    plan.mode === 'sweep' || (plan.lanes.length > 1 && plan.lanes.every((l) => l.modelId === first.modelId && unseeded(l.sampling) === unseeded(first.sampling)));
  if (!together) return null;
  const seeds = plan.lanes.map((l) => (l.sampling.kind === 'sample' ? l.sampling.seed : 0));
  return {
    modelId: first.modelId,
    spec: {
      problem: settings.problem,
      paperSuffix: settings.paperSuffix,
      lanes: plan.lanes.map((l) => ({ thinking: l.thinking, solution: l.solution })),
      sampling: first.sampling,
      ...(first.sampling.kind === 'sample' && seeds.some((s) => s !== seeds[0]) ? { laneSeeds: seeds } : {}),
    },
  };
}

/**
 * What to show about memory before the comparison the controls describe runs: a request for the
 * worker's plan (`key` names the controls), or a note when there is nothing to ask; null when the
 * controls do not describe a comparison yet (their error shows on Run).
 */
export function memoryPlanRequest(settings: SettingsState, cs: CompareSettings, loadedModel: string | null): { key: string; spec: RunSpec } | { key: string; note: string } | null {
  const plan = planComparison(settings, cs, loadedModel);
  if ('error' in plan) return null;
  const run = batchedRun(plan, settings);
  if (!run) {
    const key = `separate:${plan.lanes.map((l) => l.modelId).join('|')}`;
    return { key, note: 'The lanes run one after another (different models or sampling settings), one row per step; each lane loads its model first.' };
  }
  const key = JSON.stringify([run.modelId, run.spec]);
  if (run.modelId !== loadedModel) return { key, note: `The memory plan shows once ${run.modelId} is loaded (the comparison loads it first).` };
  return { key, spec: run.spec };
}

/** Asks the worker for the memory plan of the controls' comparison (or shows the note); returns its key. */
export function requestMemoryPlan(): string | null {
  const model = modelStore.getState();
  const loaded = model.status === 'ready' ? (model.info?.modelId ?? null) : null;
  const req = memoryPlanRequest(settingsStore.getState(), compareSettingsStore.getState(), loaded);
  if (!req) return null;
  if ('note' in req) memoryPlanned({ key: req.key, modelId: null, plan: null, error: req.note });
  else sendPlanRequest(req.key, req.spec);
  return req.key;
}

/**
 * Keeps the memory plan up to date with the controls: asks again once they have rested for
 * `delayMs` after a change (a plan costs the worker a tokenization), and once now. Calls `onKey`
 * with the key of the plan asked for; returns the unsubscribe.
 */
export function watchMemoryPlan(onKey: (key: string | null) => void, delayMs = 300): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const later = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => onKey(requestMemoryPlan()), delayMs);
  };
  const unsubs = [settingsStore.subscribe(later), compareSettingsStore.subscribe(later), modelStore.subscribe((m, prev) => m.info !== prev.info || m.status !== prev.status ? later() : undefined)];
  onKey(requestMemoryPlan());
  return () => {
    if (timer !== null) clearTimeout(timer);
    for (const u of unsubs) u();
  };
}

/** Waits until the store's state satisfies `done`. */
export function waitFor<S>(store: { getState(): S; subscribe(l: (s: S) => void): () => void }, done: (s: S) => boolean): Promise<S> {
  return new Promise((resolve) => {
    const now = store.getState();
    if (done(now)) return resolve(now);
    const unsub = store.subscribe((s) => {
      if (done(s)) {
        unsub();
        resolve(s);
      }
    });
  });
}

const runEnded = (runId: string) => (s: { run: Run | null }) => s.run?.runId !== runId || !isActive(s.run);

/**
 * Resolves with the run once it has finished, stopped, failed or been interrupted (the worker
 * died: see workerLost). Rejects if another run replaced it, so no caller waits forever.
 */
export async function waitForRunEnd(runId: string): Promise<Run> {
  const r = (await waitFor(runStore, runEnded(runId))).run;
  if (r?.runId !== runId) throw new Error('Another run replaced this one before it ended.');
  return r;
}

/**
 * The model worker or its GPU was lost under a job (a comparison, an evaluation): the job ends as
 * interrupted, not failed — what it finished is kept, and it can go on once the model is reloaded.
 * `message` is the loss as the model panel tells it ("The model worker crashed (…).").
 */
export class JobInterrupted extends Error {
  override readonly name = 'JobInterrupted';
}

/** Why the worker was lost, as workerLost recorded it (it is set in the same task as the run's end). */
const lossMessage = (): string => modelStore.getState().lost?.message ?? 'The model worker was lost.';

/** A run that ended without finishing or being stopped ends the job that waited on it. */
export function throwIfBroken(r: Run): void {
  if (r.status === 'interrupted') throw new JobInterrupted(lossMessage());
  if (r.status === 'failed') throw new Error(r.error ?? 'The run failed.');
}

/** How a job's error ends it: interrupted (worker lost) or failed, and the message to show. */
export function jobEnd(e: unknown): { status: 'interrupted' | 'failed'; error: string } {
  const error = e instanceof Error ? e.message : String(e);
  return { status: e instanceof JobInterrupted ? 'interrupted' : 'failed', error };
}

let counter = 0;
/** Set when the user stops; checked between lanes. */
let stopFlag = false;

/** Starts the comparison the controls describe; an error message when it cannot. */
export function requestComparison(onSaved?: (r: ComparisonRecord) => void): string | null {
  const busy = busyReason();
  if (busy) return busy;
  const settings = settingsStore.getState();
  const model = modelStore.getState();
  const loaded = model.status === 'ready' ? (model.info?.modelId ?? null) : null;
  const plan = planComparison(settings, compareSettingsStore.getState(), loaded);
  if ('error' in plan) return plan.error;
  const id = `cmp-${Date.now()}-${++counter}`;
  comparisonStarted({
    id,
    createdAt: Date.now(),
    mode: plan.mode,
    problem: settings.problem,
    paperSuffix: settings.paperSuffix,
    reference: referenceFor(settings.problem),
    lanes: plan.lanes,
  });
  stopFlag = false;
  const release = jobStarted(() => {
    stopFlag = true;
    comparisonStopRequested(id);
  });
  const run = plan.mode === 'sweep' ? runSweep(id, plan.lanes, settings) : runIndependent(id, plan.lanes, settings);
  void run
    .then((status) => comparisonEnded(id, status))
    .catch((e: unknown) => {
      const end = jobEnd(e);
      comparisonEnded(id, end.status, end.error);
    })
    .finally(() => {
      release();
      const c = compareStore.getState().comparison;
      if (c?.id === id) onSaved?.(toRecord(c));
    });
  return null;
}

async function runSweep(id: string, lanes: readonly LaneSettings[], settings: SettingsState): Promise<'finished' | 'stopped' | 'failed'> {
  const runId = startRun({
    problem: settings.problem,
    paperSuffix: settings.paperSuffix,
    lanes: lanes.map((l) => ({ thinking: l.thinking, solution: l.solution })),
    sampling: lanes[0]!.sampling,
  });
  comparisonRunIds.add(runId);
  sweepStarted(id, runId);
  const r = await waitForRunEnd(runId);
  const outcomes = laneOutcomes(r);
  const separate = outcomes.reduce((a, o) => a + o.thinkingTokens + o.solutionTokens, 0);
  const cost = r.stats ? { steps: r.stats.forwardCalls, rows: r.stats.rows, wallMs: r.stats.wallMs } : {};
  sweepFinished(id, outcomes, { traceText: r.thinking, decodedTokens: r.stats?.decodedTokens ?? 0, separateTokens: separate, ...cost });
  throwIfBroken(r);
  return r.status === 'stopped' ? 'stopped' : 'finished';
}

/** Whether `modelId` is the model loaded and ready. */
export function isLoaded(modelId: string): boolean {
  const model = modelStore.getState();
  return model.status === 'ready' && model.info?.modelId === modelId;
}

/**
 * Loads `modelId` for a runner that runs models in turn (comparisons, evaluations) and waits for
 * it; an error message when it did not load. Throws JobInterrupted when the worker died under it.
 */
export async function loadModelInTurn(modelId: string): Promise<string | null> {
  const err = loadModel(modelId, true);
  if (err) return err;
  // Ends when this load ends, or when another load replaced it (then it counts as failed).
  const s = await waitFor(modelStore, (m) => m.requested?.modelId !== modelId || m.status === 'ready' || m.status === 'error');
  if (s.requested?.modelId !== modelId) return 'another model was loaded instead.';
  // A load clears `lost`: set now, the worker died during this load.
  if (s.status === 'error' && s.lost) throw new JobInterrupted(s.lost.message);
  if (s.status === 'error') return s.error ?? 'the model did not load.';
  return null;
}

async function runIndependent(id: string, lanes: readonly LaneSettings[], settings: SettingsState): Promise<'finished' | 'stopped' | 'failed'> {
  // Lanes of one model with the same sampling differ only in budgets and seeds: each equals the
  // lane of a sweep on its seed's trace, so they decode together in batched rows, one run for all.
  const together = batchedRun({ mode: 'independent', lanes }, settings);
  if (together) {
    if (!(await ensureModel(id, 0, together.modelId))) return 'stopped';
    const runId = startRun(together.spec);
    comparisonRunIds.add(runId);
    sweepStarted(id, runId);
    const run = await waitForRunEnd(runId);
    lanes.forEach((_, i) => laneFinished(id, i, laneOutcome(run, i, run.stats)));
    throwIfBroken(run);
    return run.status === 'stopped' ? 'stopped' : 'finished';
  }
  for (const [i, lane] of lanes.entries()) {
    if (stopFlag) return 'stopped';
    if (!(await ensureModel(id, i, lane.modelId))) return 'stopped';
    const runId = startRun({
      problem: settings.problem,
      paperSuffix: settings.paperSuffix,
      lanes: [{ thinking: lane.thinking, solution: lane.solution }],
      sampling: lane.sampling,
    });
    comparisonRunIds.add(runId);
    laneStarted(id, i, runId);
    const run = await waitForRunEnd(runId);
    laneFinished(id, i, laneOutcome(run, 0, run.stats));
    if (run.status === 'stopped') return 'stopped';
    if (run.status === 'interrupted') throw new JobInterrupted(`Lane ${i + 1}: ${lossMessage()}`);
  }
  return 'finished';
}

/** Loads lane `i`'s model unless it is the loaded one; false when the user stopped meanwhile. */
async function ensureModel(id: string, i: number, modelId: string): Promise<boolean> {
  if (isLoaded(modelId)) return true;
  modelLoadStarted(id, modelId);
  const err = await loadModelInTurn(modelId);
  modelLoadEnded(id);
  if (err) throw new Error(`Lane ${i + 1}: ${err}`);
  return !stopFlag;
}

/** Stops the whole comparison: the running lane stops within a step, the rest never start. */
export function stopComparison(): void {
  if (activity() === 'comparison') stopEverything();
}
