// Evaluations kept in IndexedDB, sample by sample, so that a reload, a crash or a closed tab
// loses at most the sweep that was running. A database of its own (not the history's), so the
// history's schema and its migrations stay as they are.
//
// Layout (version EVAL_DB_VERSION):
//   evaluations  keyPath id, index byCreatedAt: the evaluation without its samples (spec, status,
//                active time) — rewritten with every sample, in the sample's transaction.
//   samples      keyPath [evalId, model, problem, sample], index byEval: one graded sweep each.
// Everything read back is checked with the import's validator (checkEvalRecord): a corrupt
// evaluation reads as null and is skipped in the list.
import { type DBSchema, type IDBPDatabase, type IDBPObjectStore, openDB } from 'idb';
import { checkEvalHeaderOnly, checkEvalRecord } from '../core/eval-export.ts';
import type { EvalRecord, EvalSample } from '../core/evaluation.ts';
import { toHistoryError } from './history-db.ts';
import { entryOf, type EvalEntry } from './eval-store.ts';

export const EVAL_DB_NAME = 'elastic-reasoning-evaluations';
export const EVAL_DB_VERSION = 1;

type Header = Omit<EvalRecord, 'samples'>;
type StoredSample = EvalSample & { readonly evalId: string };

interface EvalDB extends DBSchema {
  evaluations: { key: string; value: unknown; indexes: { byCreatedAt: number } };
  samples: { key: [string, number, number, number]; value: unknown; indexes: { byEval: string } };
}

export interface EvalDb {
  /** Writes the evaluation's header (spec, status, time); samples are added with addSample. */
  saveHeader(e: EvalRecord): Promise<void>;
  /** Adds one graded sample and the header as it now stands, in one transaction. */
  addSample(e: EvalRecord, s: EvalSample): Promise<void>;
  /** Replaces the evaluation and all its samples (an import). */
  saveAll(e: EvalRecord): Promise<void>;
  /** The evaluation with its samples, checked; null when absent or corrupt. */
  get(id: string): Promise<EvalRecord | null>;
  /** Kept evaluations, newest first (corrupt ones skipped). */
  list(): Promise<EvalEntry[]>;
  remove(id: string): Promise<void>;
  close(): void;
}

const header = (e: EvalRecord): Header => {
  const { samples: _, ...rest } = e;
  return rest;
};
const stored = (id: string, s: EvalSample): StoredSample => ({ evalId: id, ...s });

type SampleStore = IDBPObjectStore<EvalDB, ('evaluations' | 'samples')[], 'samples', 'readwrite'>;

async function deleteSamples(samples: SampleStore, evalId: string): Promise<void> {
  const keys = await samples.index('byEval').getAllKeys(evalId);
  await Promise.all(keys.map((k) => samples.delete(k)));
}

/** Opens the evaluations database (default: the browser's indexedDB). Throws a HistoryError with a user message. */
export async function openEvalDb(name = EVAL_DB_NAME): Promise<EvalDb> {
  let db: IDBPDatabase<EvalDB>;
  try {
    db = await openDB<EvalDB>(name, EVAL_DB_VERSION, {
      upgrade(d, oldVersion) {
        if (oldVersion < 1) {
          d.createObjectStore('evaluations', { keyPath: 'id' }).createIndex('byCreatedAt', 'createdAt');
          d.createObjectStore('samples', { keyPath: ['evalId', 'model', 'problem', 'sample'] }).createIndex('byEval', 'evalId');
        }
      },
    });
  } catch (e) {
    throw toHistoryError(e, 'open');
  }
  const read = async (id: string): Promise<EvalRecord | null> => {
    const tx = db.transaction(['evaluations', 'samples'], 'readonly');
    const [h, samples] = await Promise.all([tx.objectStore('evaluations').get(id), tx.objectStore('samples').index('byEval').getAll(id)]);
    if (h === undefined) return null;
    const checked = checkEvalRecord({ ...(h as object), samples });
    if ('error' in checked) {
      console.warn(`evaluations: skipped ${id}: ${checked.error}`);
      return null;
    }
    return checked.value;
  };
  return {
    async saveHeader(e) {
      try {
        await db.put('evaluations', header(e));
      } catch (err) {
        throw toHistoryError(err, 'save');
      }
    },
    async addSample(e, s) {
      try {
        const tx = db.transaction(['evaluations', 'samples'], 'readwrite');
        await Promise.all([tx.objectStore('samples').put(stored(e.id, s)), tx.objectStore('evaluations').put(header(e)), tx.done]);
      } catch (err) {
        throw toHistoryError(err, 'save');
      }
    },
    async saveAll(e) {
      try {
        const tx = db.transaction(['evaluations', 'samples'], 'readwrite');
        const samples = tx.objectStore('samples');
        await deleteSamples(samples, e.id);
        await Promise.all([...e.samples.map((s) => samples.put(stored(e.id, s))), tx.objectStore('evaluations').put(header(e)), tx.done]);
      } catch (err) {
        throw toHistoryError(err, 'save');
      }
    },
    async get(id) {
      try {
        return await read(id);
      } catch (err) {
        throw toHistoryError(err, 'read');
      }
    },
    async list() {
      try {
        const headers = (await db.getAllFromIndex('evaluations', 'byCreatedAt')).reverse();
        const out: EvalEntry[] = [];
        for (const v of headers) {
          const h = checkEvalHeaderOnly(v);
          if ('error' in h) continue;
          out.push(entryOf(h.value, await db.countFromIndex('samples', 'byEval', h.value.id)));
        }
        return out;
      } catch (err) {
        throw toHistoryError(err, 'list');
      }
    },
    async remove(id) {
      try {
        const tx = db.transaction(['evaluations', 'samples'], 'readwrite');
        await deleteSamples(tx.objectStore('samples'), id);
        await Promise.all([tx.objectStore('evaluations').delete(id), tx.done]);
      } catch (err) {
        throw toHistoryError(err, 'remove');
      }
    },
    close() {
      db.close();
    },
  };
}
