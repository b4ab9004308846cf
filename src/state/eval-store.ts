// Accuracy against budget on the bundled problems: each problem is one budget sweep (one
// thinking trace, a solution forked at every budget), graded like the paper (last \boxed{} of
// the solution against the reference answer).
import { createStore } from 'zustand/vanilla';

export interface EvalCell {
  readonly answer: string | null;
  readonly correct: boolean;
  readonly thinkingTokens: number;
  readonly solutionTokens: number;
}

export interface EvalProblemResult {
  readonly id: string;
  readonly reference: string;
  /** One cell per budget, in budget order. */
  readonly cells: readonly EvalCell[];
}

export type EvalStatus = 'running' | 'stopping' | 'finished' | 'stopped' | 'failed';

export interface Evaluation {
  readonly id: string;
  readonly modelId: string;
  readonly budgets: readonly number[];
  readonly solutionBudget: number;
  readonly problemIds: readonly string[];
  readonly results: readonly EvalProblemResult[];
  readonly status: EvalStatus;
  readonly error: string | null;
  readonly startedAt: number;
}

export const evalStore = createStore<{ readonly evaluation: Evaluation | null }>(() => ({ evaluation: null }));

function update(id: string, f: (e: Evaluation) => Evaluation): void {
  const e = evalStore.getState().evaluation;
  if (e?.id === id) evalStore.setState({ evaluation: f(e) });
}

export function evaluationStarted(e: Pick<Evaluation, 'id' | 'modelId' | 'budgets' | 'solutionBudget' | 'problemIds' | 'startedAt'>): void {
  evalStore.setState({ evaluation: { ...e, results: [], status: 'running', error: null } });
}
export const problemGraded = (id: string, r: EvalProblemResult) => update(id, (e) => ({ ...e, results: [...e.results, r] }));
export const evaluationStopRequested = (id: string) => update(id, (e) => (e.status === 'running' ? { ...e, status: 'stopping' } : e));
export const evaluationEnded = (id: string, status: 'finished' | 'stopped' | 'failed', error: string | null = null) =>
  update(id, (e) => ({ ...e, status, error }));

/** Accuracy per budget over the graded problems (derived, never stored). */
export function accuracyByBudget(e: Pick<Evaluation, 'budgets' | 'results'>): { budget: number; correct: number; total: number; meanThinking: number }[] {
  return e.budgets.map((budget, i) => {
    const cells = e.results.map((r) => r.cells[i]).filter((c): c is EvalCell => c !== undefined);
    const correct = cells.filter((c) => c.correct).length;
    const meanThinking = cells.length ? cells.reduce((a, c) => a + c.thinkingTokens, 0) / cells.length : 0;
    return { budget, correct, total: cells.length, meanThinking };
  });
}
