// Export and import of a comparison: versioned JSON (round-trips through `fromJson`, which treats its
// input as untrusted and says what is wrong with it) and a readable Markdown report.

import type { CompareMode, ComparisonRecord, LaneOutcome, LaneSettings, ReferenceProblem } from './comparison.ts';
import type { DecodeStats } from './decode.ts';
import { validateSampling, type Sampling } from './sampler.ts';
import type { LaneSummary } from './summary.ts';
import { summarize } from './summary.ts';

export const EXPORT_FORMAT = 'elastic-reasoning-comparison';
export const EXPORT_VERSION = 1;
/** Larger files are refused before parsing. */
export const MAX_IMPORT_CHARS = 64 * 1024 * 1024;
/** More problems than this are summarised as "… and N more". */
const MAX_REPORTED_ERRORS = 10;

/** Pretty JSON: `{ format, version, ...record }`. */
export function toJson(r: ComparisonRecord): string {
  return JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, ...r }, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Import / validation
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const MODES: readonly CompareMode[] = ['single', 'sweep', 'independent'];
const STATUSES: readonly ComparisonRecord['status'][] = ['finished', 'stopped', 'failed'];
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
    return v;
  }

  count(o: Obj, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      this.fail(`${path}${key}`, 'a whole number ≥ 0', v);
      return 0;
    }
    return v;
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
  return out as unknown as DecodeStats;
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
  return {
    traceText: c.str(v, 'traceText', 'sweep.'),
    decodedTokens: c.count(v, 'decodedTokens', 'sweep.'),
    separateTokens: c.count(v, 'separateTokens', 'sweep.'),
  };
}

/**
 * Parses an exported file: size cap, JSON, then the `format` marker (`what` names it in the
 * message) and the version. Untrusted input; returns the object to check further (`data`), or `{ error }`.
 */
export function parseExport(text: string, format: string, version: number, what: string): { data: Obj } | { error: string } {
  if (typeof text !== 'string') return { error: 'not text' };
  if (text.length > MAX_IMPORT_CHARS) return { error: `file too large (${text.length} characters; at most ${MAX_IMPORT_CHARS})` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!isObj(data)) return { error: `expected a JSON object, got ${describeValue(data)}` };
  if (data['format'] !== format) {
    return { error: `not an exported ${what} (format is ${describeValue(data['format'])}, expected "${format}")` };
  }
  if (data['version'] !== version) {
    return { error: `unsupported version ${describeValue(data['version'])} (this app reads version ${version})` };
  }
  return { data };
}

/** The checker's problems as one message (the first few, then a count), or null when there are none. */
export function checkerErrors(c: Checker): string | null {
  if (c.errors.length === 0) return null;
  const shown = c.errors.slice(0, MAX_REPORTED_ERRORS);
  const more = c.errors.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; … and ${more} more` : '');
}

/**
 * Parses an exported comparison. Untrusted input: checks the format marker, the version and every
 * field, and returns a fresh record holding only the known fields, or `{ error }` listing what is
 * wrong (with JSON paths such as `lanes[1].outcome.thinkingTokens`).
 */
export function fromJson(text: string): ComparisonRecord | { error: string } {
  const parsed = parseExport(text, EXPORT_FORMAT, EXPORT_VERSION, 'comparison');
  if ('error' in parsed) return parsed;
  const data = parsed.data;
  const c = new Checker();
  const id = c.str(data, 'id', '');
  const createdAt = c.num(data, 'createdAt', '');
  const mode = c.oneOf(data, 'mode', '', MODES, false) ?? 'single';
  const problem = c.str(data, 'problem', '');
  const paperSuffix = c.bool(data, 'paperSuffix', '');
  const reference = checkReference(c, data['reference']);
  const lanesRaw = data['lanes'];
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
  const sweep = checkSweep(c, data['sweep']);
  const status = c.oneOf(data, 'status', '', STATUSES, false) ?? 'finished';
  const error = checkerErrors(c);
  if (error) return { error };
  return { id, createdAt, mode, problem, paperSuffix, reference, lanes, sweep, status };
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/** A fenced code block whose fence is longer than any backtick run in `text`. */
export function fenced(text: string, info = 'text'): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = text.endsWith('\n') ? text : text + '\n';
  return `${fence}${info}\n${body}${fence}`;
}

/** Inline code that survives backticks inside and pipes (in a table cell). */
function inlineCode(text: string): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  let longest = 0;
  for (const m of oneLine.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const ticks = '`'.repeat(longest + 1);
  const pad = oneLine.startsWith('`') || oneLine.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${oneLine.replaceAll('|', '\\|')}${pad}${ticks}`;
}

/** Plain text for a table cell: no line breaks, pipes escaped, HTML and Markdown specials neutralised. */
function cell(text: string): string {
  return escapeHtml(text.replace(/\s*\n\s*/g, ' ').trim())
    .replace(/([\\`*_[\]|#])/g, '\\$1');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function formatDate(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return 'unknown date';
  return d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function formatSampling(s: Sampling): string {
  if (s.kind === 'greedy') return 'greedy';
  return `T=${s.temperature}, top-p=${s.topP}${s.topK > 0 ? `, top-k=${s.topK}` : ''}, seed=${s.seed}`;
}

function formatRatio(x: number): string {
  return x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

const MODE_TITLE: Record<CompareMode, string> = {
  single: 'Elastic Reasoning run',
  sweep: 'Elastic Reasoning budget sweep',
  independent: 'Elastic Reasoning comparison',
};

/**
 * A readable report: title, date, problem, reference answer, a settings table with each lane's
 * budgets, token counts, how each phase ended, the answer and whether it is correct, the sweep's
 * cost, then every lane's thinking and solution in collapsible sections. `summary` lets the caller
 * pass verdicts from `summarizeAsync` (symbolic); by default the synchronous grader is used.
 */
export function toMarkdown(r: ComparisonRecord, summary?: LaneSummary): string {
  const outcomes = r.lanes.map((l) => l.outcome);
  const s = summary ?? summarize(outcomes, r.reference);
  const out: string[] = [];
  out.push(`# ${MODE_TITLE[r.mode] ?? 'Elastic Reasoning comparison'}`, '');
  out.push(`${formatDate(r.createdAt)} · ${r.lanes.length} lane${r.lanes.length === 1 ? '' : 's'} · ${cell(r.mode)} · ${cell(r.status)} · id ${inlineCode(r.id)}`, '');

  out.push('## Problem', '');
  out.push(fenced(r.problem), '');
  if (r.paperSuffix) out.push(`The paper's instruction was appended: *Let's think step by step and output the final answer within \\boxed{}.*`, '');
  if (r.reference) {
    out.push(`**Reference answer:** ${inlineCode(r.reference.answer)} (${cell(r.reference.source)} ${inlineCode(r.reference.id)})`, '');
  }

  out.push('## Settings and results', '');
  const header = ['lane', 'model', 't', 's', 'sampling', 'thinking', 'solution', 'answer'];
  if (s.correct) header.push('correct?');
  out.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
  r.lanes.forEach(({ settings, outcome }, i) => {
    const row = [
      String(i + 1),
      cell(settings.modelId),
      String(settings.thinking),
      String(settings.solution),
      cell(formatSampling(settings.sampling)),
      `${outcome.thinkingTokens} tokens, ${outcome.thinkingEnd === null ? 'not ended' : endLabel(outcome.thinkingEnd)}`,
      `${outcome.solutionTokens} tokens, ${outcome.solutionEnd === null ? 'not ended' : endLabel(outcome.solutionEnd)}`,
      outcome.answer === null ? '—' : inlineCode(outcome.answer),
    ];
    if (s.correct) row.push(s.correct[i] ? '✓' : '✗');
    out.push(`| ${row.join(' | ')} |`);
  });
  out.push('');

  if (s.groups.length > 0 || s.unanswered.length > 0) {
    const parts = s.groups.map((g) => `${inlineCode(g.answer)} from ${laneList(g.lanes)}`);
    if (s.unanswered.length > 0) parts.push(`no answer from ${laneList(s.unanswered)}`);
    out.push(`**Answers:** ${parts.join('; ')}${s.agreeAll && r.lanes.length > 1 ? ' — all lanes agree' : ''}.`, '');
  }

  if (r.sweep) {
    const { decodedTokens: x, separateTokens: y } = r.sweep;
    const ratio = x > 0 && y > 0 ? ` (${formatRatio(y / x)}× fewer)` : '';
    out.push(`**Sweep cost:** decoded ${x.toLocaleString('en-US')} tokens; running each budget separately would decode ${y.toLocaleString('en-US')}${ratio}.`, '');
  }

  out.push('## Lanes', '');
  const sharedTrace = r.sweep?.traceText ?? '';
  if (r.sweep && sharedTrace.length > 0 && !r.lanes.some((l) => l.outcome.thinkingText === sharedTrace)) {
    out.push(details('Shared thinking trace', sharedTrace), '');
  }
  r.lanes.forEach(({ settings, outcome }, i) => {
    out.push(`### Lane ${i + 1} — t = ${settings.thinking}, s = ${settings.solution}`, '');
    if (outcome.error) out.push(`**Error:** ${cell(outcome.error)}`, '');
    out.push(details(`Thinking (${outcome.thinkingTokens} tokens${outcome.thinkingEnd ? `, ${endLabel(outcome.thinkingEnd)}` : ''})`, outcome.thinkingText), '');
    out.push(details(`Solution (${outcome.solutionTokens} tokens${outcome.solutionEnd ? `, ${endLabel(outcome.solutionEnd)}` : ''})`, outcome.solutionText), '');
  });
  return out.join('\n');
}

function endLabel(end: string): string {
  switch (end) {
    case 'model': return 'closed by the model';
    case 'budget': return 'cut at the budget';
    case 'eos': return 'ended by EOS';
    case 'aborted': return 'stopped';
    default: return end;
  }
}

function laneList(lanes: readonly number[]): string {
  return `lane${lanes.length === 1 ? '' : 's'} ${lanes.map((l) => l + 1).join(', ')}`;
}

function details(summary: string, text: string): string {
  // A blank line after <summary> lets Markdown render the fenced block inside the HTML element.
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${fenced(text)}\n\n</details>`;
}

/**
 * A file name for an export: `elastic-reasoning-<mode>-<UTC yyyymmdd-hhmmss>-<problem>.<ext>`, with
 * the bundled problem's id or the problem's first words, reduced to `[a-z0-9-]`.
 */
export function exportFileName(r: ComparisonRecord, ext: string): string {
  const d = new Date(r.createdAt);
  const stamp = Number.isNaN(d.getTime()) ? 'undated' : d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const slugSource = r.reference?.id ?? r.problem.split(/\s+/).slice(0, 6).join(' ');
  const slug = slugSource
    .toLowerCase()
    .replace(/\.json$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const cleanExt = ext.replace(/^\.+/, '').toLowerCase().replace(/[^a-z0-9]/g, '') || 'txt';
  const mode = MODES.includes(r.mode) ? r.mode : 'run';
  return `elastic-reasoning-${mode}-${stamp}${slug ? `-${slug}` : ''}.${cleanExt}`;
}
