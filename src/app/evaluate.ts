// Runs the paper's evaluation: for every model (loaded in turn), problem and sample, one budget
// sweep (one thinking trace, a solution at every budget) with the sample's own seed, graded like
// the paper and kept in IndexedDB as soon as it is graded. Starting, pausing, resuming and
// stopping all go through `drive` and the store's `ending` flag: one loop, one place.
import { sampleSeed } from '../core/avgk.ts';
import { evalFromJson } from '../core/eval-export.ts';
import { heldElsewhere, whileHeld, type Locks } from '../core/exclusive.ts';
import { EVAL_SETS, selectProblems } from '../core/eval-sets.ts';
import { pendingSamples, totalSamples, type EvalLane, type EvalProblem, type EvalRecord, type EvalSample, type EvalSelection } from '../core/evaluation.ts';
import { gradeAnswerAsync } from '../core/grade.ts';
import { parseModelSource } from '../core/model-source.ts';
import type { Sampling } from '../core/sampler.ts';
import { openEvalDb, type EvalDb } from '../state/eval-db.ts';
import {
  endRequested,
  evalStore,
  evaluationEnded,
  evaluationOpened,
  evaluationRunning,
  evaluationRunningElsewhere,
  evaluationsListed,
  modelLoadingForEval,
  sampleGraded,
  sampleStarted,
} from '../state/eval-store.ts';
import { laneOutcomes } from '../state/lane-outcome.ts';
import { modelStore } from '../state/model-store.ts';
import type { Run } from '../state/run-store.ts';
import type { EvalSettings } from '../state/eval-settings-store.ts';
import { parseBudget, parseSampling, settingsStore } from '../state/settings-store.ts';
import { startRun } from './actions.ts';
import { busyReason, jobStarted, stopActiveRun } from './busy.ts';
import { isLoaded, jobEnd, loadModelInTurn, throwIfBroken, waitFor, waitForRunEnd } from './compare.ts';
import { loadEvalSet } from './eval-sets.ts';
import { comparisonRunIds } from './history-actions.ts';

export const MAX_EVAL_BUDGETS = 6;
export const MAX_K = 64;

/** The Evaluate form as typed (validated by planEvaluation). */
export type EvalRequest = EvalSettings;

/** Thinking budgets: 1–6 distinct whole numbers or "max" (unconstrained), ascending, "max" last. */
export function parseEvalBudgets(raw: string): { value: (number | 'max')[] } | { error: string } {
  const parts = raw.split(/[\s,;]+/).filter(Boolean);
  const values = new Set<number | 'max'>();
  for (const p of parts) {
    if (/^(max|unlimited|unconstrained)$/i.test(p)) {
      values.add('max');
      continue;
    }
    const b = parseBudget(p, 'Each thinking budget');
    if ('error' in b) return { error: `${b.error} ("${p}")` };
    values.add(b.value);
  }
  if (values.size < 1 || values.size > MAX_EVAL_BUDGETS) return { error: `Give 1 to ${MAX_EVAL_BUDGETS} thinking budgets (got ${values.size}).` };
  const nums = [...values].filter((v): v is number => v !== 'max').sort((a, b) => a - b);
  return { value: values.has('max') ? [...nums, 'max'] : nums };
}

const wholeNumber = (raw: string, label: string, min: number, max: number): { value: number } | { error: string } => {
  const t = raw.trim();
  const v = Number(t);
  if (!/^\d+$/.test(t) || v < min || v > max) return { error: `${label} must be a whole number from ${min} to ${max}.` };
  return { value: v };
};

/** Everything but the problems, from the form; or what is wrong with it. Pure but for its inputs. */
export function planEvaluation(
  req: EvalRequest,
  sampling: Sampling,
  loadedModel: string | null,
): { value: Omit<EvalRecord, 'id' | 'createdAt' | 'problems' | 'samples' | 'status' | 'error' | 'activeMs' | 'set'> } | { error: string } {
  const lines = req.models.split(/\n/).map((l) => l.trim()).filter(Boolean);
  const models = lines.length > 0 ? [...new Set(lines)] : loadedModel ? [loadedModel] : [];
  if (models.length === 0) return { error: 'Load a model, or list the models to evaluate (one per line).' };
  for (const m of models) {
    const src = parseModelSource(m);
    if ('error' in src) return { error: `${m}: ${src.error}` };
  }
  const budgets = parseEvalBudgets(req.budgets);
  if ('error' in budgets) return budgets;
  const solution = parseBudget(req.solution, 'Solution budget');
  if ('error' in solution) return solution;
  const k = wholeNumber(req.k, 'Samples per problem (k)', 1, MAX_K);
  if ('error' in k) return k;
  const seed = wholeNumber(req.seed, 'The evaluation seed', 0, 2 ** 32 - 1);
  if ('error' in seed) return seed;
  let selection: EvalSelection = { mode: 'all', count: 0, seed: 0 };
  if (req.selection !== 'all') {
    const count = wholeNumber(req.count, 'How many problems', 1, 100_000);
    if ('error' in count) return count;
    const subsetSeed = req.selection === 'random' ? wholeNumber(req.subsetSeed, 'The subset seed', 0, 2 ** 32 - 1) : { value: 0 };
    if ('error' in subsetSeed) return subsetSeed;
    selection = { mode: req.selection, count: count.value, seed: subsetSeed.value };
  }
  return { value: { selection, models, budgets: budgets.value, solution: solution.value, k: k.value, seed: seed.value, sampling } };
}

// ---------------------------------------------------------------------------------------------
// Persistence: one database handle; a failure is shown once and the evaluation runs on unkept.

let db: Promise<EvalDb | null> | null = null;
let dbProblem: string | null = null;

function evalDb(): Promise<EvalDb | null> {
  db ??= openEvalDb().catch((e: unknown) => {
    dbProblem = e instanceof Error ? e.message : String(e);
    return null;
  });
  return db;
}

async function keep(f: (d: EvalDb) => Promise<void>): Promise<void> {
  const d = await evalDb();
  if (!d) return;
  try {
    await f(d);
  } catch (e) {
    dbProblem = e instanceof Error ? e.message : String(e);
  }
}

/** The message of the last storage failure, if any (the evaluation is then not kept). */
export const storageProblem = (): string | null => dbProblem;

export async function refreshEvaluations(): Promise<void> {
  const d = await evalDb();
  if (!d) return;
  try {
    evaluationsListed(await d.list());
  } catch (e) {
    dbProblem = e instanceof Error ? e.message : String(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Running


const current = (id: string): EvalRecord | null => {
  const e = evalStore.getState().evaluation;
  return e?.id === id ? e : null;
};

async function gradeAgainst(answer: string | null, references: readonly string[]): Promise<boolean> {
  for (const ref of references) if ((await gradeAnswerAsync(answer, ref)).correct) return true;
  return false;
}

async function gradeRun(run: Run, problem: EvalProblem): Promise<EvalLane[]> {
  return Promise.all(
    laneOutcomes(run).map(async (o) => ({
      answer: o.answer,
      correct: await gradeAgainst(o.answer, problem.answers),
      thinkingTokens: o.thinkingTokens,
      thinkingEnd: o.thinkingEnd,
      solutionTokens: o.solutionTokens,
      solutionEnd: o.solutionEnd,
      thinkingText: o.thinkingText,
      solutionText: o.solutionText,
    })),
  );
}

/** Runs the samples still missing, until done, paused, stopped or failed. */
async function runPending(id: string): Promise<'finished' | 'paused' | 'stopped'> {
  const ended = () => {
    const how = evalStore.getState().ending;
    return how === 'pause' ? 'paused' : how === 'stop' ? 'stopped' : null;
  };
  const start = current(id);
  if (!start) return 'stopped';
  for (const at of pendingSamples(start)) {
    const e = current(id);
    if (!e) return 'stopped';
    const halt = ended();
    if (halt) return halt;
    const modelId = e.models[at.model]!;
    if (!isLoaded(modelId)) {
      modelLoadingForEval(id, at.model);
      const err = await loadModelInTurn(modelId);
      if (err) throw new Error(`${modelId}: ${err}`);
      const halt = ended();
      if (halt) return halt;
    }
    sampleStarted(id, at);
    const problem = e.problems[at.problem]!;
    const seed = sampleSeed(e.seed, problem.id, at.sample);
    const runId = startRun({
      problem: problem.problem,
      paperSuffix: true,
      lanes: e.budgets.map((t) => ({ thinking: t, solution: e.solution })),
      sampling: e.sampling.kind === 'sample' ? { ...e.sampling, seed } : e.sampling,
    });
    comparisonRunIds.add(runId);
    const run = await waitForRunEnd(runId);
    throwIfBroken(run);
    // Stopped from elsewhere (the Run tab's Stop): keep what is done, resumable.
    if (run.status === 'stopped') return ended() ?? 'paused';
    const sample: EvalSample = { ...at, seed, lanes: await gradeRun(run, problem) };
    sampleGraded(id, sample, Date.now());
    const now = current(id);
    if (now) await keep((d) => d.addSample(now, sample));
  }
  return 'finished';
}

/** Drives evaluation `id` (already in the store, status running) to its end. */
async function drive(id: string): Promise<void> {
  let status: 'finished' | 'paused' | 'stopped' | 'failed' | 'interrupted';
  let error: string | null = null;
  // The one Stop (src/app/busy.ts) stops this evaluation like its own Stop button.
  const release = jobStarted(() => endEvaluation('stop'));
  try {
    status = await runPending(id);
  } catch (e) {
    ({ status, error } = jobEnd(e));
    if (status === 'interrupted') error = `${error} Graded samples are kept; Resume goes on (the sample in flight runs again with its seed).`;
  } finally {
    release();
  }
  evaluationEnded(id, status, Date.now(), error);
  const e = current(id);
  if (e) await keep((d) => d.saveHeader(e));
  await refreshEvaluations();
}

// ---------------------------------------------------------------------------------------------
// Tabs: the tab that runs an evaluation holds its Web Lock for as long as it runs it, so two tabs
// (both restoring it after a crash, or a Resume in a second tab) never run the same samples twice
// or overwrite each other's status. A tab that finds the lock taken shows the evaluation as
// running elsewhere and writes nothing of it.

/** The Web Lock held while a tab runs evaluation `id`. */
export const evalLockName = (id: string): string => `elastic-eval-${id}`;

const webLocks = (): Locks | undefined => (globalThis.navigator as (Navigator & { locks?: Locks }) | undefined)?.locks;

function runningElsewhere(e: EvalRecord): void {
  const kept = `${e.samples.length} of ${totalSamples(e)} samples done when this tab looked`;
  evaluationRunningElsewhere(e, `This evaluation is running in another tab of this app (${kept}). Follow it there; Resume here once that tab has paused, stopped or closed.`);
}

/**
 * Runs evaluation `e` in this tab under its lock, from where it stands. Shown as running at once
 * (so nothing else starts meanwhile); when another tab holds the lock, shown as running there.
 */
function driveHere(e: EvalRecord, notice: string | null): void {
  evaluationRunning(e, Date.now(), notice);
  void whileHeld(webLocks(), evalLockName(e.id), async () => {
    // Taken over from a tab that ran it meanwhile: go on from what that tab kept, not from the shown copy.
    const d = await evalDb();
    const kept = d ? await d.get(e.id).catch(() => null) : null;
    const from = kept && kept.samples.length > e.samples.length ? kept : e;
    if (from !== e) evaluationRunning(from, Date.now(), `Taken over from another tab: ${from.samples.length} of ${totalSamples(from)} samples were done there.`);
    await keep((db) => db.saveHeader({ ...from, status: 'running', error: null }));
    await drive(e.id);
  }).then((r) => {
    if (!r.held) runningElsewhere(e);
  });
}

/** Writes evaluation `e`'s status from a tab that does not run it: only while no other tab runs it. */
async function whileNotRunningElsewhere(e: EvalRecord, fn: () => Promise<void>): Promise<void> {
  const r = await whileHeld(webLocks(), evalLockName(e.id), fn);
  if (!r.held && evalStore.getState().evaluation?.id === e.id) runningElsewhere(e);
}

let counter = 0;

/** Starts the evaluation the form describes; an error message when it cannot. */
export async function requestEvaluation(req: EvalRequest): Promise<string | null> {
  const busy = busyReason();
  if (busy) return busy;
  const model = modelStore.getState();
  const sampling = parseSampling(settingsStore.getState());
  if ('error' in sampling) return sampling.error;
  const plan = planEvaluation(req, sampling.value, model.status === 'ready' ? (model.info?.modelId ?? null) : null);
  if ('error' in plan) return plan.error;
  let all: readonly EvalProblem[];
  let set: EvalRecord['set'];
  if (req.set === 'custom') {
    if (!req.custom) return 'Choose a JSON file of problems first.';
    all = req.custom.problems;
    set = { id: 'custom', label: req.custom.name };
  } else {
    try {
      all = await loadEvalSet(req.set);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    set = { id: req.set, label: EVAL_SETS[req.set].label };
  }
  const problems = selectProblems(all, plan.value.selection);
  if (problems.length === 0) return 'No problems chosen.';
  const busyNow = busyReason();
  if (busyNow) return busyNow;
  const record: EvalRecord = {
    ...plan.value,
    id: `eval-${Date.now()}-${++counter}`,
    createdAt: Date.now(),
    set,
    problems,
    samples: [],
    status: 'running',
    error: null,
    activeMs: 0,
  };
  driveHere(record, null);
  return null;
}

function endEvaluation(how: 'pause' | 'stop'): void {
  const e = evalStore.getState().evaluation;
  if (!e) return;
  if (e.status === 'paused' && how === 'stop') {
    if (evalStore.getState().elsewhere) return;
    void whileNotRunningElsewhere(e, async () => {
      evaluationEnded(e.id, 'stopped', Date.now());
      const now = current(e.id);
      if (now) await keep((d) => d.saveHeader(now));
    }).then(refreshEvaluations);
    return;
  }
  if (e.status !== 'running') return;
  endRequested(e.id, how);
  stopActiveRun(); // the running sweep stops within a step; a model load finishes first
}

/** Pauses: the running sweep is dropped (it reruns on resume with the same seed). */
export const pauseEvaluation = (): void => endEvaluation('pause');
export const stopEvaluation = (): void => endEvaluation('stop');

/** Resumes the shown evaluation where it stopped (paused, interrupted, failed, or stopped). */
export function resumeEvaluation(): string | null {
  const e = evalStore.getState().evaluation;
  if (!e || e.status === 'running' || e.status === 'finished') return null;
  const busy = busyReason();
  if (busy) return busy;
  driveHere(e, null);
  return null;
}

/**
 * At start-up: shows the latest unfinished evaluation, and resumes it when it was running (a
 * reload, a crash or a closed tab) once the GPU probe has answered (model loading needs it).
 */
export async function restoreEvaluation(): Promise<void> {
  const d = await evalDb();
  if (!d) return;
  let record: EvalRecord | null = null;
  try {
    const entries = await d.list();
    evaluationsListed(entries);
    const unfinished = entries.find((x) => x.status === 'running' || x.status === 'paused');
    if (unfinished) record = await d.get(unfinished.id);
  } catch (e) {
    dbProblem = e instanceof Error ? e.message : String(e);
  }
  if (!record || evalStore.getState().evaluation) return;
  const kept = `${record.samples.length} of ${totalSamples(record)} samples were kept`;
  if (record.status === 'paused') {
    evaluationOpened(record, `Paused before the page was reloaded (${kept}). Resume to go on.`);
    return;
  }
  await waitFor(modelStore, (m) => m.probe !== null);
  if (busyReason() !== null) {
    evaluationOpened({ ...record, status: 'paused' }, `Interrupted (${kept}). Resume to go on.`);
    return;
  }
  driveHere(record, `Resumed after the page was reloaded: ${kept}.`);
}

/** Shows a kept evaluation; an error message when it cannot. */
export async function openEvaluation(id: string): Promise<string | null> {
  if (evalStore.getState().evaluation?.status === 'running') return 'An evaluation is running: pause or stop it first.';
  const d = await evalDb();
  const e = d ? await d.get(id).catch(() => null) : null;
  if (!e) return dbProblem ?? 'That evaluation could not be read.';
  // Kept as running but not running here: another tab runs it, or a closed tab left it (resumable).
  if (e.status === 'running' && (await heldElsewhere(webLocks(), evalLockName(e.id)))) runningElsewhere(e);
  else evaluationOpened(e.status === 'running' ? { ...e, status: 'paused' } : e, `Opened from history (${e.samples.length} of ${totalSamples(e)} samples).`);
  return null;
}

/** Shows (and keeps) an exported evaluation; an error message when the file is not one. */
export async function importEvaluation(text: string, fileName: string): Promise<string | null> {
  if (evalStore.getState().evaluation?.status === 'running') return 'An evaluation is running: pause or stop it first.';
  const r = evalFromJson(text);
  if ('error' in r) return `${fileName} is not a valid evaluation: ${r.error}`;
  const e: EvalRecord = r.value.status === 'running' ? { ...r.value, status: 'paused' } : r.value;
  evaluationOpened(e, `Imported from ${fileName}.`);
  await keep((d) => d.saveAll(e));
  await refreshEvaluations();
  return null;
}

export async function removeEvaluation(id: string): Promise<void> {
  if (evalStore.getState().evaluation?.id === id && evalStore.getState().evaluation?.status === 'running') return;
  // Never under another tab that runs it.
  await whileHeld(webLocks(), evalLockName(id), () => keep((d) => d.remove(id)));
  await refreshEvaluations();
}
