// Example problems from the paper's sets (bundled copy, see src/data/README.md).
import type { ReferenceProblem } from '../core/comparison.ts';
import compact from '../data/eval_compact_v1.json';

export interface Example {
  readonly id: string;
  readonly source: string;
  readonly level: number | null;
  readonly problem: string;
  readonly answer: string;
}

export const EXAMPLES: readonly Example[] = (compact as Example[]).map((e) => ({ ...e, answer: String(e.answer) }));

export function exampleGroups(): { label: string; items: Example[] }[] {
  const groups = new Map<string, Example[]>();
  for (const e of EXAMPLES) {
    const label = e.source === 'aime2024' ? 'AIME 2024' : `MATH500 · level ${e.level ?? '?'}`;
    groups.set(label, [...(groups.get(label) ?? []), e]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, items]) => ({ label, items }));
}

export function findExample(problem: string): Example | null {
  const p = problem.trim();
  return EXAMPLES.find((e) => e.problem.trim() === p) ?? null;
}

/** The bundled problem a typed problem is, as a record's reference; null for the user's own. */
export function referenceFor(problem: string): ReferenceProblem | null {
  const ex = findExample(problem);
  return ex ? { id: ex.id, source: ex.source, answer: ex.answer } : null;
}
