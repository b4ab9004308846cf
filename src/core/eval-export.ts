// Export and import of an evaluation: versioned JSON (read back through `checkEvalRecord`, which
// treats its input as untrusted — imports and IndexedDB reads alike) and a CSV with one row per
// model × budget × problem × sample.
import { budgetLabel, type EvalLane, type EvalProblem, type EvalRecord, type EvalSample, type EvalSelection, type EvalStatus } from './evaluation.ts';
import { paperTokens } from './avgk.ts';
import { errorsMessage, parseExport } from './export.ts';
import { Checker, checkSampling, describeValue, isObj } from './record-check.ts';

export const EVAL_FORMAT = 'elastic-reasoning-evaluation';
export const EVAL_VERSION = 1;

export function evalToJson(r: EvalRecord): string {
  return JSON.stringify({ format: EVAL_FORMAT, version: EVAL_VERSION, ...r }) + '\n';
}

const STATUSES: readonly EvalStatus[] = ['running', 'paused', 'finished', 'stopped', 'failed', 'interrupted'];
const MODES: readonly EvalSelection['mode'][] = ['all', 'first', 'random'];
const THINKING_ENDS: readonly NonNullable<EvalLane['thinkingEnd']>[] = ['model', 'budget', 'eos', 'aborted'];
const SOLUTION_ENDS: readonly NonNullable<EvalLane['solutionEnd']>[] = ['eos', 'budget', 'aborted'];

type Obj = Record<string, unknown>;

function array(c: Checker, o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) {
    c.fail(`${path}${key}`, 'an array', v);
    return [];
  }
  return v;
}

function each<T>(c: Checker, items: unknown[], path: string, f: (o: Obj, path: string) => T): T[] {
  const out: T[] = [];
  items.forEach((v, i) => {
    if (isObj(v)) out.push(f(v, `${path}[${i}].`));
    else c.fail(`${path}[${i}]`, 'an object', v);
  });
  return out;
}

function checkLane(c: Checker, o: Obj, path: string): EvalLane {
  return {
    answer: c.strOrNull(o, 'answer', path),
    correct: c.bool(o, 'correct', path),
    thinkingTokens: c.count(o, 'thinkingTokens', path),
    thinkingEnd: c.oneOf(o, 'thinkingEnd', path, THINKING_ENDS, true),
    solutionTokens: c.count(o, 'solutionTokens', path),
    solutionEnd: c.oneOf(o, 'solutionEnd', path, SOLUTION_ENDS, true),
    thinkingText: c.str(o, 'thinkingText', path),
    solutionText: c.str(o, 'solutionText', path),
  };
}

/** Checks one sample against the evaluation it belongs to (indices in range, a lane per budget). */
export function checkSample(c: Checker, o: Obj, path: string, shape: { models: number; problems: number; k: number; budgets: number }): EvalSample {
  const s: EvalSample = {
    model: c.count(o, 'model', path),
    problem: c.count(o, 'problem', path),
    sample: c.count(o, 'sample', path),
    seed: c.num(o, 'seed', path),
    lanes: each(c, array(c, o, 'lanes', path), `${path}lanes`, (l, p) => checkLane(c, l, p)),
  };
  if (s.model >= shape.models) c.fail(`${path}model`, `an index below ${shape.models}`, s.model);
  if (s.problem >= shape.problems) c.fail(`${path}problem`, `an index below ${shape.problems}`, s.problem);
  if (s.sample >= shape.k) c.fail(`${path}sample`, `an index below ${shape.k}`, s.sample);
  if (s.lanes.length !== shape.budgets) c.fail(`${path}lanes`, `${shape.budgets} lanes (one per budget)`, o['lanes']);
  return s;
}

/** The evaluation without its samples (what IndexedDB keeps in one record), checked. */
export function checkEvalHeader(c: Checker, data: Obj): Omit<EvalRecord, 'samples'> {
  const selection = c.obj(data, 'selection', '') ?? {};
  const set = c.obj(data, 'set', '') ?? {};
  const budgets = array(c, data, 'budgets', '').map((b, i) => {
    if (b === 'max' || (typeof b === 'number' && Number.isSafeInteger(b) && b >= 0)) return b;
    c.fail(`budgets[${i}]`, 'a whole number ≥ 0 or "max"', b);
    return 0;
  });
  if (budgets.length === 0) c.fail('budgets', 'at least one budget', data['budgets']);
  const models = array(c, data, 'models', '').map((m, i) => {
    if (typeof m === 'string' && m !== '') return m;
    c.fail(`models[${i}]`, 'a model id', m);
    return '';
  });
  if (models.length === 0) c.fail('models', 'at least one model', data['models']);
  const problems = each(c, array(c, data, 'problems', ''), 'problems', (p, path): EvalProblem => ({
    id: c.str(p, 'id', path),
    problem: c.str(p, 'problem', path),
    answers: array(c, p, 'answers', path).map((a, i) => {
      if (typeof a === 'string') return a;
      c.fail(`${path}answers[${i}]`, 'a string', a);
      return '';
    }),
  }));
  const k = c.count(data, 'k', '');
  if (k < 1) c.fail('k', 'at least 1 sample per problem', k);
  return {
    id: c.str(data, 'id', ''),
    createdAt: c.num(data, 'createdAt', ''),
    set: { id: c.str(set, 'id', 'set.'), label: c.str(set, 'label', 'set.') },
    selection: {
      mode: c.oneOf(selection, 'mode', 'selection.', MODES, false) ?? 'all',
      count: c.count(selection, 'count', 'selection.'),
      seed: c.num(selection, 'seed', 'selection.'),
    },
    problems,
    models,
    budgets,
    solution: c.count(data, 'solution', ''),
    k,
    seed: c.num(data, 'seed', ''),
    sampling: checkSampling(c, data['sampling'], 'sampling'),
    status: c.oneOf(data, 'status', '', STATUSES, false) ?? 'stopped',
    error: c.strOrNull(data, 'error', ''),
    activeMs: c.num(data, 'activeMs', ''),
  };
}

/**
 * Checks an evaluation (untrusted: an import, or what IndexedDB returned) and returns a fresh
 * copy with only the known fields (`value`), or `{ error }` with JSON paths of what is wrong.
 */
export function checkEvalRecord(data: unknown): { value: EvalRecord } | { error: string } {
  if (!isObj(data)) return { error: `expected an object, got ${describeValue(data)}` };
  const c = new Checker();
  const header = checkEvalHeader(c, data);
  const shape = { models: header.models.length, problems: header.problems.length, k: header.k, budgets: header.budgets.length };
  const samples = each(c, array(c, data, 'samples', ''), 'samples', (s, path) => checkSample(c, s, path, shape));
  const seen = new Set<string>();
  for (const [i, s] of samples.entries()) {
    const key = `${s.model}/${s.problem}/${s.sample}`;
    if (seen.has(key)) c.errors.push(`samples[${i}]: a second sample ${s.sample} of problem ${s.problem} for model ${s.model}`);
    seen.add(key);
  }
  const error = c.errors.length > 0 ? errorsMessage(c.errors) : null;
  return error ? { error } : { value: { ...header, samples } };
}

/** Checks an evaluation's header alone (IndexedDB's list reads no samples). */
export function checkEvalHeaderOnly(data: unknown): { value: Omit<EvalRecord, 'samples'> } | { error: string } {
  if (!isObj(data)) return { error: `expected an object, got ${describeValue(data)}` };
  const c = new Checker();
  const header = checkEvalHeader(c, data);
  const error = c.errors.length > 0 ? errorsMessage(c.errors) : null;
  return error ? { error } : { value: header };
}

/** Reads an exported evaluation (JSON text from a file). */
export function evalFromJson(text: string): { value: EvalRecord } | { error: string } {
  const parsed = parseExport(text, EVAL_FORMAT, EVAL_VERSION, 'evaluation');
  return 'error' in parsed ? parsed : checkEvalRecord(parsed.data);
}

/** A CSV field: quoted when needed; a formula-looking text (not a number) defused with a leading '. */
export function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const CSV_COLUMNS = [
  'model', 'thinking_budget', 'solution_budget', 'problem_id', 'sample', 'seed', 'correct', 'answer', 'reference',
  'tokens', 'thinking_tokens', 'solution_tokens', 'thinking_end', 'solution_end',
] as const;

/** One row per model × budget × problem × sample that has run; tokens counted as the paper does. */
export function evalToCsv(r: EvalRecord): string {
  const lines: string[] = [CSV_COLUMNS.join(',')];
  const ordered = [...r.samples].sort((a, b) => a.model - b.model || a.problem - b.problem || a.sample - b.sample);
  r.models.forEach((model, m) => {
    r.budgets.forEach((budget, b) => {
      for (const s of ordered) {
        const lane = s.lanes[b];
        if (s.model !== m || !lane) continue;
        const p = r.problems[s.problem]!;
        const t = paperTokens(lane);
        const row = [
          model, budgetLabel(budget), r.solution, p.id, s.sample, s.seed, lane.correct ? 1 : 0, lane.answer, p.answers.join(' | '),
          t.total, t.thinking, t.solution, lane.thinkingEnd, lane.solutionEnd,
        ];
        lines.push(row.map(csvField).join(','));
      }
    });
  });
  return lines.join('\r\n') + '\r\n';
}

/** `elastic-reasoning-eval-<set>-<UTC yyyymmdd-hhmmss>.<ext>`. */
export function evalFileName(r: Pick<EvalRecord, 'set' | 'createdAt'>, ext: 'csv' | 'json'): string {
  const d = new Date(r.createdAt);
  const stamp = Number.isNaN(d.getTime()) ? 'undated' : d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const set = r.set.id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'set';
  return `elastic-reasoning-eval-${set}-${stamp}.${ext}`;
}
