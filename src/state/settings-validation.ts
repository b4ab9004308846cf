// Settings read back from localStorage or a link are untrusted: one bad value (an older build, a
// hand-edited store, a hostile link) must never blank the app. Each field is checked for its type
// and size; a bad one falls back to its default and is named in a notice. Pure.
import { createStore } from 'zustand/vanilla';

/**
 * Longest problem kept (characters): several times the longest benchmark problem, far below what
 * hangs a page, and short enough that a link carrying it fits a server's 16 KB request line.
 */
export const MAX_PROBLEM_CHARS = 10_000;
/** Longest model id or URL. */
export const MAX_MODEL_CHARS = 2_048;
/** Longest raw number field ("1024", "0.95"). */
export const MAX_FIELD_CHARS = 32;
/** Lanes a comparison may hold (MAX_LANES in compare-store). */
export const MAX_LANE_INPUTS = 6;

export type FieldCheck = (v: unknown) => boolean;

export const isBool: FieldCheck = (v) => typeof v === 'boolean';
export const textUpTo =
  (max: number): FieldCheck =>
  (v) =>
    typeof v === 'string' && v.length <= max;
export const oneOf =
  (values: readonly string[]): FieldCheck =>
  (v) =>
    typeof v === 'string' && values.includes(v);

export type Spec<T> = { readonly [K in keyof T]: FieldCheck };

/**
 * Keeps each field of `raw` that passes its check and takes the default for the rest. Unknown
 * fields are dropped. `problems` names each field replaced (for the notice).
 */
export function sanitize<T extends object>(raw: unknown, spec: Spec<T>, defaults: T, where: string): { value: T; problems: string[] } {
  if (raw === undefined || raw === null) return { value: defaults, problems: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { value: defaults, problems: [`${where}: not a settings object (all reset)`] };
  const src = raw as Record<string, unknown>;
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  const problems: string[] = [];
  for (const key of Object.keys(spec) as (keyof T & string)[]) {
    if (!(key in src)) continue;
    if (spec[key](src[key])) out[key] = src[key];
    else problems.push(`${where}: ${key} (${describe(src[key])}) was reset`);
  }
  return { value: out as T, problems };
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `text of ${v.length} characters` : JSON.stringify(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Checks a list of items with `item`; the list is too long past `max`. */
export const listOf =
  (item: FieldCheck, min: number, max: number): FieldCheck =>
  (v) =>
    Array.isArray(v) && v.length >= min && v.length <= max && v.every(item);

/** An object whose fields all pass `spec` (no defaults: all or nothing). */
export const shaped =
  <T extends object>(spec: Spec<T>): FieldCheck =>
  (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.keys(spec) as (keyof T & string)[]).every((k) => spec[k]((v as Record<string, unknown>)[k]));

/** What was reset when settings were read back, shown once to the user. */
export const settingsNoticeStore = createStore<{ readonly problems: readonly string[] }>(() => ({ problems: [] }));

export function settingsRepaired(problems: readonly string[]): void {
  if (problems.length) settingsNoticeStore.setState((s) => ({ problems: [...s.problems, ...problems] }));
}

export function settingsNoticeDismissed(): void {
  settingsNoticeStore.setState({ problems: [] });
}

/**
 * zustand persist options that check what is read back: each field against `spec` (a bad one
 * takes its default and is named in the notice), and unreadable JSON reported, not thrown.
 */
export function checkedRehydration<T extends object>(spec: Spec<T>, where: string) {
  return {
    merge: (saved: unknown, current: T): T => {
      const { value, problems } = sanitize(saved, spec, current, where);
      settingsRepaired(problems);
      return value;
    },
    onRehydrateStorage: () => (_state: unknown, error: unknown) => {
      if (error) settingsRepaired([`${where} could not be read (${error instanceof Error ? error.message : String(error)}); defaults are used`]);
    },
  };
}
