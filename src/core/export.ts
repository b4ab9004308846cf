// Export and import of a comparison: versioned JSON (round-trips through `fromJson`, which treats its
// input as untrusted and says what is wrong with it) and a readable Markdown report.

import type { CompareMode, ComparisonRecord } from './comparison.ts';
import { checkRecord, describeValue, isObj, MODES } from './record-check.ts';
import { escapeHtml } from './html.ts';
import { samplingLabel, solutionEndLabel, thinkingEndLabel } from './labels.ts';
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

/**
 * Parses an exported file: size cap, JSON, then the `format` marker (`what` names it in the
 * message) and the version. Untrusted input; returns the object to check further (`data`), or
 * `{ error }`. Comparisons and evaluations are read through it.
 */
export function parseExport(text: string, format: string, version: number, what: string): { data: Record<string, unknown> } | { error: string } {
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

/** Problems as one message: the first few, then a count. */
export function errorsMessage(errors: readonly string[]): string {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  const more = errors.length - shown.length;
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
  const checked = checkRecord(parsed.data);
  return 'errors' in checked ? { error: errorsMessage(checked.errors) } : checked.record;
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

function formatDate(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return 'unknown date';
  return d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
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
      cell(samplingLabel(settings.sampling)),
      cell(`${outcome.thinkingTokens} tokens, ${thinkingEndLabel(outcome.thinkingEnd) ?? 'not ended'}`),
      cell(`${outcome.solutionTokens} tokens, ${solutionEndLabel(outcome.solutionEnd) ?? 'not ended'}`),
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
    out.push(details(`Thinking (${outcome.thinkingTokens} tokens${outcome.thinkingEnd ? `, ${thinkingEndLabel(outcome.thinkingEnd)}` : ''})`, outcome.thinkingText), '');
    out.push(details(`Solution (${outcome.solutionTokens} tokens${outcome.solutionEnd ? `, ${solutionEndLabel(outcome.solutionEnd)}` : ''})`, outcome.solutionText), '');
  });
  return out.join('\n');
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
