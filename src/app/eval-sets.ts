// Loads a test set on demand: the five paper sets are static files (public/eval-sets/), fetched
// only when chosen, so none is in the page's initial JavaScript.
import { readSet, type EvalSetId } from '../core/eval-sets.ts';
import type { EvalProblem } from '../core/evaluation.ts';
import { EXAMPLES } from './examples.ts';

const FILES: Readonly<Record<Exclude<EvalSetId, 'compact'>, string>> = {
  aime2024: 'aime.json',
  amc: 'amc.json',
  math500: 'math.json',
  minerva: 'minerva.json',
  olympiadbench: 'olympiad_bench.json',
};

const cache = new Map<EvalSetId, Promise<EvalProblem[]>>();

async function fetchRows(id: EvalSetId): Promise<readonly Record<string, unknown>[]> {
  // The compact set is the example picker's too: already in the page.
  if (id === 'compact') return EXAMPLES as unknown as Record<string, unknown>[];
  const url = `${import.meta.env.BASE_URL}eval-sets/${FILES[id]}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`The problem set could not be loaded (${res.status} ${res.statusText} for ${url}).`);
  const rows: unknown = await res.json();
  if (!Array.isArray(rows)) throw new Error(`The problem set ${FILES[id]} is not a list of problems.`);
  return rows as Record<string, unknown>[];
}

/** The set's problems (fetched once per page). */
export function loadEvalSet(id: EvalSetId): Promise<EvalProblem[]> {
  let p = cache.get(id);
  if (!p) {
    p = fetchRows(id).then((rows) => readSet(id, rows));
    p.catch(() => cache.delete(id));
    cache.set(id, p);
  }
  return p;
}
