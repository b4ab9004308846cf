// What the lanes of a comparison answered: which lanes agree, which gave no answer, which are right.
// Agreement and correctness use the grader in grade.ts: `summarize` with exact and normalised
// comparison only (synchronous), `summarizeAsync` adding symbolic equivalence (loads the CAS).

import type { LaneOutcome, ReferenceProblem } from './comparison.ts';
import { gradeAnswer, gradeAnswerWithEngine, loadSymbolicEngine, type Grade } from './grade.ts';

export interface AnswerGroup {
  /** The answer as the group's first lane wrote it (trimmed). */
  readonly answer: string;
  /** Lane indices (0-based, ascending) whose answers are equivalent to it. */
  readonly lanes: readonly number[];
}

export interface LaneSummary {
  /** Lanes that agree on one (equivalent) final answer, largest group first, then by first lane. */
  readonly groups: readonly AnswerGroup[];
  /** Lanes with no final answer (no `\boxed{}`, or an empty one). */
  readonly unanswered: readonly number[];
  /** Per lane, whether its answer matches the reference; null without a reference. */
  readonly correct: readonly boolean[] | null;
  /** Every lane answered and all answers are equivalent (false for no lanes). */
  readonly agreeAll: boolean;
}

type Grader = (given: string | null, reference: string) => Grade;

function answerOf(lane: LaneOutcome): string | null {
  const a = lane.answer;
  if (typeof a !== 'string') return null;
  const t = a.trim();
  return t.length > 0 ? t : null;
}

function summarizeWith(lanes: readonly LaneOutcome[], reference: ReferenceProblem | null, grade: Grader): LaneSummary {
  // Equivalence between two lanes is symmetric: the grader's guards (an integer needs an integer,
  // brackets must match) look at which side is the reference, so try both ways.
  const same = (a: string, b: string): boolean => grade(a, b).correct || grade(b, a).correct;
  const groups: { answer: string; lanes: number[] }[] = [];
  const unanswered: number[] = [];
  lanes.forEach((lane, i) => {
    const a = answerOf(lane);
    if (a === null) {
      unanswered.push(i);
      return;
    }
    const g = groups.find((group) => same(a, group.answer));
    if (g) g.lanes.push(i);
    else groups.push({ answer: a, lanes: [i] });
  });
  // Array.prototype.sort is stable: equal sizes keep the order of their first lane.
  groups.sort((x, y) => y.lanes.length - x.lanes.length);
  const correct =
    reference === null ? null : lanes.map((lane) => {
      const a = answerOf(lane);
      return a !== null && grade(a, reference.answer).correct;
    });
  return {
    groups,
    unanswered,
    correct,
    agreeAll: lanes.length > 0 && unanswered.length === 0 && groups.length === 1,
  };
}

/** Exact and normalised comparison only; synchronous and dependency-free. */
export function summarize(lanes: readonly LaneOutcome[], reference: ReferenceProblem | null): LaneSummary {
  return summarizeWith(lanes, reference, gradeAnswer);
}

/**
 * With symbolic equivalence (`\sqrt{45}` and `3\sqrt5` in one group). Falls back to `summarize`
 * when the CAS cannot be loaded.
 */
export async function summarizeAsync(lanes: readonly LaneOutcome[], reference: ReferenceProblem | null): Promise<LaneSummary> {
  let ce: Awaited<ReturnType<typeof loadSymbolicEngine>>;
  try {
    ce = await loadSymbolicEngine();
  } catch {
    return summarize(lanes, reference);
  }
  return summarizeWith(lanes, reference, (given, ref) => gradeAnswerWithEngine(ce, given, ref));
}
