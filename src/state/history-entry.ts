// A history entry: the light summary of a kept record that the history list shows, and its check
// (entries come back from disk: older builds, other tabs, manual edits).
import type { ComparisonRecord, CompareMode } from '../core/comparison.ts';
import { Checker, describeValue, isObj, MODES, STATUSES } from '../core/record-check.ts';

const isStr = (v: unknown): v is string => typeof v === 'string';

/** What the history list shows: cheap to read even with hundreds of runs. */
export interface HistoryEntry {
  readonly id: string;
  readonly createdAt: number;
  readonly mode: CompareMode;
  /** The problem's first PROBLEM_EXCERPT_CHARS characters, whitespace collapsed. */
  readonly problemExcerpt: string;
  /** Number of lanes. */
  readonly lanes: number;
  /** The model of each lane, in lane order. */
  readonly models: readonly string[];
  /** Each lane's final answer (the last \boxed{}), shortened to ANSWER_CHARS; null when none. */
  readonly answers: readonly (string | null)[];
  /** The reference answer when the problem came from the paper's sets. */
  readonly referenceAnswer: string | null;
  readonly status: ComparisonRecord['status'];
  /** Kept whatever the cap on History (absent: not pinned). */
  readonly pinned?: boolean;
}

export const PROBLEM_EXCERPT_CHARS = 120;
export const ANSWER_CHARS = 120;

/** The first `n` characters (code points: never half of a surrogate pair). */
function firstChars(s: string, n: number): string {
  const cps = Array.from(s);
  return cps.length <= n ? s : cps.slice(0, n).join('');
}

export function summarize(r: ComparisonRecord): HistoryEntry {
  return {
    id: r.id,
    createdAt: r.createdAt,
    mode: r.mode,
    problemExcerpt: firstChars(r.problem.replace(/\s+/g, ' ').trim(), PROBLEM_EXCERPT_CHARS),
    lanes: r.lanes.length,
    models: r.lanes.map((l) => l.settings.modelId),
    answers: r.lanes.map((l) => (l.outcome.answer === null ? null : firstChars(l.outcome.answer, ANSWER_CHARS))),
    referenceAnswer: r.reference ? r.reference.answer : null,
    status: r.status,
  };
}

/** Why `v` is not a HistoryEntry, or null when it is one. */
export function entryProblem(v: unknown): string | null {
  if (!isObj(v)) return `expected an object, got ${describeValue(v)}`;
  const c = new Checker();
  if (c.str(v, 'id', '') === '' && isStr(v['id'])) c.fail('id', 'a non-empty string', '');
  c.num(v, 'createdAt', '');
  c.oneOf(v, 'mode', '', MODES, false);
  c.str(v, 'problemExcerpt', '');
  c.count(v, 'lanes', '');
  if (!Array.isArray(v['models']) || !v['models'].every(isStr)) c.fail('models', 'a list of strings', v['models']);
  if (!Array.isArray(v['answers']) || !v['answers'].every((a) => a === null || isStr(a))) c.fail('answers', 'a list of strings or nulls', v['answers']);
  c.strOrNull(v, 'referenceAnswer', '');
  c.oneOf(v, 'status', '', STATUSES, false);
  if (v['pinned'] !== undefined && typeof v['pinned'] !== 'boolean') c.fail('pinned', 'true or false', v['pinned']);
  return c.errors[0] ?? null;
}
