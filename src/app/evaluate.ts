// Runs an accuracy-against-budget evaluation on the loaded model: each problem is one sweep.
import { gradeAnswerAsync } from '../core/grade.ts';
import { evalStore, evaluationEnded, evaluationStarted, evaluationStopRequested, problemGraded } from '../state/eval-store.ts';
import { compareStore } from '../state/compare-store.ts';
import { laneOutcomes } from '../state/lane-outcome.ts';
import { modelStore } from '../state/model-store.ts';
import { isActive, runStore } from '../state/run-store.ts';
import { parseBudget, parseSampling, settingsStore } from '../state/settings-store.ts';
import { requestStop, startRun } from './actions.ts';
import { parseSweepBudgets, waitForRunEnd } from './compare.ts';
import { EXAMPLES, type Example } from './examples.ts';
import { comparisonRunIds } from './history-actions.ts';

export type EvalSource = 'all' | 'aime2024' | 'math500';

export interface EvalRequest {
  readonly source: EvalSource;
  readonly count: string;
  readonly budgets: string;
  readonly solution: string;
}

/** The problems an evaluation covers: the first `count` of the chosen bundled set. Pure. */
export function pickProblems(source: EvalSource, count: number): Example[] {
  const pool = source === 'all' ? EXAMPLES : EXAMPLES.filter((e) => e.source === source);
  return pool.slice(0, count);
}

let stopFlag = false;
let counter = 0;

export function requestEvaluation(req: EvalRequest): string | null {
  const model = modelStore.getState();
  if (model.status !== 'ready' || !model.info) return 'Load a model first.';
  const cmp = compareStore.getState().comparison?.status;
  if (isActive(runStore.getState().run) || cmp === 'running' || cmp === 'stopping' || evalStore.getState().evaluation?.status === 'running') {
    return 'Something is already running.';
  }
  const budgets = parseSweepBudgets(req.budgets);
  if ('error' in budgets) return budgets.error;
  const s = parseBudget(req.solution, 'Solution budget');
  if ('error' in s) return s.error;
  const n = Number(req.count);
  if (!Number.isInteger(n) || n < 1) return 'Choose how many problems to run (a whole number, 1 or more).';
  const problems = pickProblems(req.source, n);
  const sampling = parseSampling(settingsStore.getState());
  if ('error' in sampling) return sampling.error;
  const id = `eval-${Date.now()}-${++counter}`;
  evaluationStarted({ id, modelId: model.info.modelId, budgets: budgets.value, solutionBudget: s.value, problemIds: problems.map((p) => p.id), startedAt: Date.now() });
  stopFlag = false;
  void (async () => {
    for (const p of problems) {
      if (stopFlag) return 'stopped' as const;
      const runId = startRun({
        problem: p.problem,
        paperSuffix: true,
        lanes: budgets.value.map((t) => ({ thinking: t, solution: s.value })),
        sampling: sampling.value,
      });
      comparisonRunIds.add(runId);
      const run = await waitForRunEnd(runId);
      if (run.status === 'failed') throw new Error(run.error ?? 'A run failed.');
      if (run.status === 'stopped') return 'stopped' as const;
      const cells = await Promise.all(
        laneOutcomes(run).map(async ({ answer, thinkingTokens, solutionTokens }) => {
          const { correct } = await gradeAnswerAsync(answer, p.answer);
          return { answer, correct, thinkingTokens, solutionTokens };
        }),
      );
      problemGraded(id, { id: p.id, reference: p.answer, cells });
    }
    return 'finished' as const;
  })()
    .then((status) => evaluationEnded(id, status))
    .catch((e: unknown) => evaluationEnded(id, 'failed', e instanceof Error ? e.message : String(e)));
  return null;
}

export function stopEvaluation(): void {
  const e = evalStore.getState().evaluation;
  if (!e || e.status !== 'running') return;
  stopFlag = true;
  evaluationStopRequested(e.id);
  requestStop();
}
