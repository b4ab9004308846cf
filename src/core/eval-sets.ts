// The paper's five test sets and the compact set, read into one shape, and the choice of
// problems from a set (all, the first n, or a seeded random n). Pure: the files themselves are
// loaded on demand by src/app/eval-sets.ts.
import type { EvalProblem, EvalSelection } from './evaluation.ts';
import { createRng } from './rng.ts';

export const EVAL_SET_IDS = ['compact', 'aime2024', 'amc', 'math500', 'minerva', 'olympiadbench'] as const;
export type EvalSetId = (typeof EVAL_SET_IDS)[number];

export const EVAL_SETS: Readonly<Record<EvalSetId, { readonly label: string; readonly size: number }>> = {
  compact: { label: 'Compact (30 AIME 2024 + 50 MATH500)', size: 80 },
  aime2024: { label: 'AIME 2024', size: 30 },
  amc: { label: 'AMC 2022–2023', size: 83 },
  math500: { label: 'MATH500', size: 500 },
  minerva: { label: 'Minerva', size: 272 },
  olympiadbench: { label: 'OlympiadBench', size: 675 },
};

type Row = Readonly<Record<string, unknown>>;

const text = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '');
/** OlympiadBench writes answers as `$...$`; the grader compares what is inside. */
const unDollar = (s: string): string => s.trim().replace(/^\$+([\s\S]*?)\$+$/, '$1').trim();
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(text) : [text(v)]).map((s) => s.trim()).filter(Boolean);

/**
 * One upstream file's rows (see src/data/README.md for each set's fields) as problems with every
 * accepted answer. Ids follow the compact set where it has them (`aime2024-I-1`, MATH500's
 * `unique_id`), so a problem is the same problem in both and samples it the same way.
 */
export function readSet(id: EvalSetId, rows: readonly Row[]): EvalProblem[] {
  return rows.map((r, i) => {
    const problem = text(r['problem']);
    switch (id) {
      case 'compact':
        return { id: text(r['id']), problem, answers: list(r['answer']) };
      case 'aime2024':
        return { id: `aime2024-${text(r['aime_number']) === '2' ? 'II' : 'I'}-${text(r['problem_number'])}`, problem, answers: list(r['answer']) };
      case 'amc':
        return { id: `amc-${i + 1}`, problem, answers: list(r['answer']) };
      case 'math500':
        return { id: text(r['unique_id']) || `math500-${i + 1}`, problem, answers: list(r['answer']) };
      case 'minerva':
        return { id: `minerva-${text(r['idx']) || i + 1}`, problem, answers: list(r['answer']) };
      case 'olympiadbench':
        return { id: `olympiadbench-${text(r['id']) || i + 1}`, problem, answers: list(r['answer']).map(unDollar).filter(Boolean) };
    }
  });
}

/** The problems `selection` picks from `all`, in the set's order. */
export function selectProblems<T>(all: readonly T[], selection: EvalSelection): T[] {
  if (selection.mode === 'all') return [...all];
  const n = Math.max(0, Math.min(selection.count, all.length));
  if (selection.mode === 'first') return all.slice(0, n);
  // A partial Fisher–Yates shuffle of the indices with the subset's own seed, then set order.
  const rng = createRng(selection.seed);
  const idx = all.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => all[i]!);
}

/** Most problems a file of one's own may hold. */
export const MAX_CUSTOM_PROBLEMS = 5000;

/**
 * A set of one's own, from a JSON file: an array of `{ problem, answer }` (answer: a string, a
 * number or a list of accepted answers; `id` optional). Untrusted: says what is wrong, by index.
 */
export function readCustomSet(json: string): EvalProblem[] | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    return { error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!Array.isArray(data) || data.length === 0) return { error: 'expected a non-empty JSON array of { "problem", "answer" } objects' };
  if (data.length > MAX_CUSTOM_PROBLEMS) return { error: `too many problems (${data.length}; at most ${MAX_CUSTOM_PROBLEMS})` };
  const out: EvalProblem[] = [];
  const ids = new Set<string>();
  for (const [i, row] of data.entries()) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return { error: `item ${i}: expected an object` };
    const r = row as Row;
    const problem = text(r['problem']);
    if (!problem.trim()) return { error: `item ${i}: "problem" must be a non-empty string` };
    const answers = list(r['answer'] ?? r['answers']);
    if (answers.length === 0) return { error: `item ${i}: "answer" must be a string, a number or a list of them` };
    const id = text(r['id']).trim() || `problem-${i + 1}`;
    if (ids.has(id)) return { error: `item ${i}: the id "${id}" is used twice` };
    ids.add(id);
    out.push({ id, problem, answers });
  }
  return out;
}
