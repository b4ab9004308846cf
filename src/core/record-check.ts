// The one validator of a comparison record, wherever it comes from: IndexedDB (older builds, other
// tabs, manual edits) or an imported file. Untrusted input: every field is checked, problems are
// collected with their JSON path (`lanes[1].outcome.thinkingTokens`), and what comes back is a fresh
// record holding only the known fields.

import type { CompareMode, ComparisonRecord, LaneOutcome, LaneSettings, ReferenceProblem } from './comparison.ts';
import type { DecodeStats } from './decode.ts';
import { validateSampling, type Sampling } from './sampler.ts';

type Obj = Record<string, unknown>;

export const MODES: readonly CompareMode[] = ['single', 'sweep', 'independent'];
export const STATUSES: readonly ComparisonRecord['status'][] = ['finished', 'stopped', 'failed', 'interrupted'];
const THINKING_ENDS: readonly NonNullable<LaneOutcome['thinkingEnd']>[] = ['model', 'budget', 'eos', 'aborted'];
const SOLUTION_ENDS: readonly NonNullable<LaneOutcome['solutionEnd']>[] = ['eos', 'budget', 'aborted'];
const STATS_KEYS: readonly (keyof DecodeStats)[] = [
  'promptTokens', 'prefillMs', 'ttftMs', 'decodeMs', 'decodedTokens', 'tokensPerSecond', 'forwardCalls', 'tokensFed',
];

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Collects problems with their JSON path; builds clean copies of what is valid. */
export class Checker {
  readonly errors: string[] = [];

  fail(path: string, what: string, got: unknown): void {
    this.errors.push(`${path}: expected ${what}, got ${describeValue(got)}`);
  }

  obj(o: Obj, key: string, path: string): Obj | null {
    const v = o[key];
    if (!isObj(v)) {
      this.fail(`${path}${key}`, 'an object', v);
      return null;
    }
    return v;
  }

  str(o: Obj, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string') {
      this.fail(`${path}${key}`, 'a string', v);
      return '';
    }
    return v;
  }

  strOrNull(o: Obj, key: string, path: string): string | null {
    const v = o[key];
    if (v === null) return null;
    return this.str(o, key, path);
  }

  bool(o: Obj, key: string, path: string): boolean {
    const v = o[key];
    if (typeof v !== 'boolean') {
      this.fail(`${path}${key}`, 'true or false', v);
      return false;
    }
    return v;
  }

  num(o: Obj, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(`${path}${key}`, 'a finite number', v);
      return 0;
    }
    return v + 0; // -0 → 0: JSON cannot hold -0, so a kept record and its export stay equal
  }

  count(o: Obj, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      this.fail(`${path}${key}`, 'a whole number ≥ 0', v);
      return 0;
    }
    return v;
  }

  /** `{ [key]: read(...) }` when the field is there, `{}` when absent (fields newer builds added). */
  optional<K extends string, T>(o: Obj, key: K, path: string, read: (o: Obj, key: K, path: string) => T): { [k in K]?: T } {
    return o[key] === undefined ? {} : ({ [key]: read(o, key, path) } as { [k in K]?: T });
  }

  oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[], nullable: boolean): T | null {
    const v = o[key];
    if (nullable && v === null) return null;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(`${path}${key}`, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}${nullable ? ' or null' : ''}`, v);
      return allowed[0]!;
    }
    return v as T;
  }
}

export function checkSampling(c: Checker, v: unknown, path: string): Sampling {
  if (!isObj(v)) {
    c.fail(path, 'an object', v);
    return { kind: 'greedy' };
  }
  const kind = v['kind'];
  if (kind === 'greedy') return { kind: 'greedy' };
  if (kind !== 'sample') {
    c.fail(`${path}.kind`, '"greedy" or "sample"', kind);
    return { kind: 'greedy' };
  }
  const s: Sampling = {
    kind: 'sample',
    temperature: v['temperature'] as number,
    topP: v['topP'] as number,
    topK: v['topK'] as number,
    seed: v['seed'] as number,
  };
  const problem = validateSampling(s);
  if (problem !== null) c.errors.push(`${path}: ${problem}`);
  return s;
}

function checkSettings(c: Checker, o: Obj, path: string): LaneSettings {
  const t = o['thinking'];
  let thinking: number | 'max' = 'max';
  if (t === 'max') thinking = 'max';
  else if (typeof t === 'number' && Number.isSafeInteger(t) && t >= 0) thinking = t;
  else c.fail(`${path}thinking`, 'a whole number ≥ 0 or "max"', t);
  return {
    modelId: c.str(o, 'modelId', path),
    thinking,
    solution: c.count(o, 'solution', path),
    sampling: checkSampling(c, o['sampling'], `${path}sampling`),
  };
}

function checkStats(c: Checker, v: unknown, path: string): DecodeStats | null {
  if (v === null) return null;
  if (!isObj(v)) {
    c.fail(path, 'an object or null', v);
    return null;
  }
  const out: Record<string, number> = {};
  for (const k of STATS_KEYS) out[k] = c.num(v, k, `${path}.`);
  const num = c.num.bind(c);
  // Batched runs (absent in older records): rows run and wall time.
  return { ...out, ...c.optional(v, 'rows', `${path}.`, c.count.bind(c)), ...c.optional(v, 'wallMs', `${path}.`, num) } as unknown as DecodeStats;
}

function checkOutcome(c: Checker, o: Obj, path: string): LaneOutcome {
  return {
    thinkingText: c.str(o, 'thinkingText', path),
    thinkingTokens: c.count(o, 'thinkingTokens', path),
    thinkingEnd: c.oneOf(o, 'thinkingEnd', path, THINKING_ENDS, true),
    solutionText: c.str(o, 'solutionText', path),
    solutionTokens: c.count(o, 'solutionTokens', path),
    solutionEnd: c.oneOf(o, 'solutionEnd', path, SOLUTION_ENDS, true),
    answer: c.strOrNull(o, 'answer', path),
    stats: checkStats(c, o['stats'], `${path}stats`),
    error: c.strOrNull(o, 'error', path),
  };
}

function checkReference(c: Checker, v: unknown): ReferenceProblem | null {
  if (v === null) return null;
  if (!isObj(v)) {
    c.fail('reference', 'an object or null', v);
    return null;
  }
  return { id: c.str(v, 'id', 'reference.'), source: c.str(v, 'source', 'reference.'), answer: c.str(v, 'answer', 'reference.') };
}

function checkSweep(c: Checker, v: unknown): ComparisonRecord['sweep'] {
  if (v === null) return null;
  if (!isObj(v)) {
    c.fail('sweep', 'an object or null', v);
    return null;
  }
  const count = c.count.bind(c);
  return {
    traceText: c.str(v, 'traceText', 'sweep.'),
    decodedTokens: c.count(v, 'decodedTokens', 'sweep.'),
    separateTokens: c.count(v, 'separateTokens', 'sweep.'),
    // Batched sweeps (absent in older records): steps, rows run and wall time.
    ...c.optional(v, 'steps', 'sweep.', count),
    ...c.optional(v, 'rows', 'sweep.', count),
    ...c.optional(v, 'wallMs', 'sweep.', c.num.bind(c)),
  };
}

/** `v` as a clean ComparisonRecord, or every problem found in it. */
export function checkRecord(v: unknown): { record: ComparisonRecord } | { errors: string[] } {
  if (!isObj(v)) return { errors: [`expected an object, got ${describeValue(v)}`] };
  const c = new Checker();
  const id = c.str(v, 'id', '');
  if (id === '' && typeof v['id'] === 'string') c.fail('id', 'a non-empty string', '');
  const createdAt = c.num(v, 'createdAt', '');
  const mode = c.oneOf(v, 'mode', '', MODES, false) ?? 'single';
  const problem = c.str(v, 'problem', '');
  const paperSuffix = c.bool(v, 'paperSuffix', '');
  const reference = checkReference(c, v['reference']);
  const lanesRaw = v['lanes'];
  const lanes: { settings: LaneSettings; outcome: LaneOutcome }[] = [];
  if (!Array.isArray(lanesRaw) || lanesRaw.length === 0) {
    c.fail('lanes', 'a non-empty array', lanesRaw);
  } else {
    lanesRaw.forEach((l: unknown, i) => {
      const path = `lanes[${i}]`;
      if (!isObj(l)) {
        c.fail(path, 'an object', l);
        return;
      }
      const settings = c.obj(l, 'settings', `${path}.`);
      const outcome = c.obj(l, 'outcome', `${path}.`);
      if (settings && outcome) {
        lanes.push({ settings: checkSettings(c, settings, `${path}.settings.`), outcome: checkOutcome(c, outcome, `${path}.outcome.`) });
      }
    });
  }
  const sweep = checkSweep(c, v['sweep']);
  const status = c.oneOf(v, 'status', '', STATUSES, false) ?? 'finished';
  if (c.errors.length > 0) return { errors: c.errors };
  return { record: { id, createdAt, mode, problem, paperSuffix, reference, lanes, sweep, status } };
}
