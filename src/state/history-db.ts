// The history's IndexedDB repository: runs and comparisons kept, listed newest first and reopened.
//
// Library: `idb` (Jake Archibald). It is ~1.2 kB, fully typed (a DBSchema types every
// store, key and index), and turns IndexedDB requests and transactions into promises
// without hiding IndexedDB itself, so its errors (QuotaExceededError, VersionError, …)
// reach us as the original DOMExceptions and map cleanly to messages. Dexie would do the
// job too, and takes a custom IDBFactory in its constructor, but it is ~10x the size and
// brings its own promise/transaction model, query language and error classes that this
// store (one put, one get, one index walk) does not need.
//
// One constraint of idb: `openDB` always uses the global `indexedDB`. To honour an explicit
// factory we do what openDB does (`wrap(factory.open(…))` plus the upgradeneeded handler).
// idb still recognises IDB objects by the global classes (`IDBRequest`, `IDBDatabase`, …):
// a browser always has them; tests under Node install fake-indexeddb's classes as globals
// (not its `indexedDB`) and pass a fresh `IDBFactory` to each `openHistory`.
//
// Layout (schema version HISTORY_DB_VERSION):
//   records  keyPath id: the full ComparisonRecord (texts, traces, stats).
//   entries  keyPath id, index byCreatedAt: a light HistoryEntry written in the same
//            transaction as its record, so the list never reads thinking/solution texts.
// Both are validated on read: a corrupt value is skipped (list) or null (get), and reported
// through `onCorrupt`, never thrown. Records are checked by the one record validator
// (core/record-check.ts), the same one an imported file goes through.
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames, wrap } from 'idb';
import type { ComparisonRecord } from '../core/comparison.ts';
import { checkRecord, isObj } from '../core/record-check.ts';
import { isQuotaError } from '../core/storage.ts';
import { entryProblem, summarize, type HistoryEntry } from './history-entry.ts';

const isStr = (v: unknown): v is string => typeof v === 'string';

// ---------------------------------------------------------------------------------------
export type HistoryErrorCode = 'unavailable' | 'quota' | 'newer-version' | 'blocked' | 'closed' | 'invalid-record' | 'failed';

/** A history failure with a message fit to show as is. The app goes on without history. */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
  constructor(
    readonly code: HistoryErrorCode,
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
  }
}

const MESSAGES: Record<Exclude<HistoryErrorCode, 'failed' | 'invalid-record'>, string> = {
  unavailable:
    'History is not available in this browser (private browsing, or site storage is blocked). Runs still work; they just are not kept.',
  quota: 'Browser storage is full, so this run was not saved to history. Delete old entries from the history (or free disk space) and try again.',
  'newer-version': 'History was last opened by a newer version of this app. Reload the page to use it.',
  blocked: 'History is being upgraded but another tab of this app still has it open. Close the other tabs, then reload.',
  closed: 'History was upgraded by another tab of this app. Reload the page to keep using it.',
};

function errorName(e: unknown): string {
  return isObj(e) && isStr(e.name) ? e.name : '';
}

const isQuota = isQuotaError;

/** Turns whatever IndexedDB threw into a HistoryError with a user-facing message. */
export function toHistoryError(e: unknown, action: 'open' | 'save' | 'list' | 'read' | 'remove' | 'clear' | 'count'): HistoryError {
  if (e instanceof HistoryError) return e;
  const opts = { cause: e };
  if (isQuota(e)) return new HistoryError('quota', MESSAGES.quota, opts);
  const name = errorName(e);
  if (name === 'VersionError') return new HistoryError('newer-version', MESSAGES['newer-version'], opts);
  if (name === 'DataCloneError') {
    return new HistoryError('invalid-record', 'This run could not be saved to history: it holds data that cannot be stored.', opts);
  }
  // Private modes and blocked site storage fail the open with one of these.
  if (action === 'open' && ['SecurityError', 'InvalidStateError', 'UnknownError', 'NotAllowedError'].includes(name)) {
    return new HistoryError('unavailable', MESSAGES.unavailable, opts);
  }
  if (action !== 'open' && name === 'InvalidStateError') return new HistoryError('closed', MESSAGES.closed, opts);
  const detail = e instanceof Error || (isObj(e) && isStr(e.message)) ? String((e as { message: unknown }).message) : String(e);
  return new HistoryError('failed', `History could not ${action === 'read' ? 'read this entry' : action}: ${detail || name || 'unknown error'}.`, opts);
}

// ---------------------------------------------------------------------------------------
export const HISTORY_DB_NAME = 'elastic-reasoning-history';

interface HistoryDB extends DBSchema {
  // Values are `unknown`: whatever is on disk is validated before it is trusted.
  records: { key: string; value: unknown };
  entries: { key: string; value: unknown; indexes: { byCreatedAt: number } };
}

type UpgradeTx = IDBPTransaction<HistoryDB, StoreNames<HistoryDB>[], 'versionchange'>;
type Migration = (db: IDBPDatabase<HistoryDB>, tx: UpgradeTx) => void;

/**
 * MIGRATIONS[v] takes the schema from version v to v + 1. To change the schema, append a
 * step (never edit a shipped one); it runs in the upgrade transaction, which can also read
 * and rewrite existing values through `tx`.
 */
const MIGRATIONS: readonly Migration[] = [
  // 0 → 1: full records, and light entries indexed by time for the list.
  (db) => {
    db.createObjectStore('records', { keyPath: 'id' });
    db.createObjectStore('entries', { keyPath: 'id' }).createIndex('byCreatedAt', 'createdAt');
  },
];

/** The schema version this build writes. */
export const HISTORY_DB_VERSION = MIGRATIONS.length;

export interface CorruptReport {
  readonly id: string | null;
  readonly store: 'records' | 'entries';
  readonly problem: string;
}

export interface HistoryOptions {
  /** Database name (tests, or a second profile). */
  readonly name?: string;
  /** Told about each value skipped because it is not what this build expects. Default: console.warn. */
  readonly onCorrupt?: (report: CorruptReport) => void;
}

export interface History {
  /**
   * Stores (or replaces, by id) a run or comparison. With `keep`, the oldest entries that are
   * not pinned are dropped, in the same transaction, until at most `keep` remain (pinned ones are
   * never dropped, so more may remain); returns the ids dropped.
   */
  save(r: ComparisonRecord, opts?: { keep?: number | null }): Promise<string[]>;
  /** Pins (kept whatever the cap) or unpins an entry; false when there is no such entry. */
  pin(id: string, pinned: boolean): Promise<boolean>;
  /** Light entries, newest first; corrupt ones skipped (and reported). */
  list(opts?: { limit?: number }): Promise<HistoryEntry[]>;
  /** The full record, or null when absent or corrupt (reported). */
  get(id: string): Promise<ComparisonRecord | null>;
  remove(id: string): Promise<void>;
  clear(): Promise<void>;
  /** How many records are stored (corrupt ones included). */
  count(): Promise<number>;
  /** Closes the connection; later calls fail with a HistoryError. */
  close(): void;
}

/**
 * Starts each request and waits for all; rejects with the first failure. Unlike
 * Promise.all([...]) on an array literal, a request that throws while being made leaves
 * no earlier promise unobserved (they reject with AbortError once the caller aborts).
 */
async function all(starts: readonly (() => Promise<unknown>)[]): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (const start of starts) {
    const p = start();
    p.catch(() => {}); // observed here; the failure is reported through Promise.all below
    pending.push(p);
  }
  await Promise.all(pending);
}

/**
 * Drops the oldest entries (and their records) that are not pinned and not `except` until at
 * most `keep` remain, inside `tx`. Returns the ids dropped.
 */
async function keepAtMost(tx: IDBPTransaction<HistoryDB, ('records' | 'entries')[], 'readwrite'>, keep: number, except: string): Promise<string[]> {
  const entries = tx.objectStore('entries');
  let excess = (await entries.count()) - keep;
  const dropped: string[] = [];
  let cursor = await entries.index('byCreatedAt').openCursor(); // oldest first
  while (cursor && excess > 0) {
    const v: unknown = cursor.value;
    const id = cursor.primaryKey;
    if (id !== except && !(isObj(v) && v['pinned'] === true)) {
      dropped.push(id);
      const c = cursor;
      await all([() => c.delete(), () => tx.objectStore('records').delete(id)]);
      excess--;
    }
    cursor = await cursor.continue();
  }
  return dropped;
}

/** Aborts `tx` if it is still running (after a failure it usually is not). */
function abort(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // already committed or aborted
  }
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBPDatabase<HistoryDB>> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, HISTORY_DB_VERSION);
    } catch (e) {
      reject(toHistoryError(e, 'open')); // e.g. SecurityError in some private modes
      return;
    }
    let settled = false;
    request.addEventListener('upgradeneeded', (ev) => {
      const db = wrap(request.result) as unknown as IDBPDatabase<HistoryDB>;
      const tx = wrap(request.transaction as IDBTransaction) as unknown as UpgradeTx;
      for (let v = ev.oldVersion; v < HISTORY_DB_VERSION; v++) MIGRATIONS[v]?.(db, tx);
    });
    request.addEventListener('blocked', () => {
      // An older tab holds the database and does not close it: say so rather than hang.
      settled = true;
      reject(new HistoryError('blocked', MESSAGES.blocked));
    });
    request.addEventListener('success', () => {
      const raw = request.result;
      if (settled) {
        raw.close(); // opened after we gave up waiting
        return;
      }
      settled = true;
      // A newer build in another tab wants to upgrade: let it, and fail from then on.
      raw.addEventListener('versionchange', () => raw.close());
      try {
        resolve(wrap(raw) as unknown as IDBPDatabase<HistoryDB>);
      } catch (e) {
        raw.close();
        reject(toHistoryError(e, 'open'));
      }
    });
    request.addEventListener('error', (ev) => {
      ev.preventDefault();
      if (settled) return;
      settled = true;
      reject(toHistoryError(request.error, 'open'));
    });
  });
}

/**
 * Opens the history in `factory` (default: the browser's `indexedDB`). Rejects with a
 * HistoryError (`unavailable`, `newer-version`, `blocked`) when there is no usable database.
 */
export async function openHistory(factory?: IDBFactory, options: HistoryOptions = {}): Promise<History> {
  const idb = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb || typeof idb.open !== 'function') throw new HistoryError('unavailable', MESSAGES.unavailable);
  const db = await openDatabase(idb, options.name ?? HISTORY_DB_NAME);
  const report =
    options.onCorrupt ??
    ((r: CorruptReport) => console.warn(`history: skipped ${r.store} ${r.id ?? '(no id)'}: ${r.problem}`));
  const idOf = (v: unknown): string | null => (isObj(v) && isStr(v.id) ? v.id : null);

  return {
    async save(given, opts = {}) {
      // What is stored is the validator's clean copy: exactly what `get` and an export give back.
      const checked = checkRecord(given);
      if ('errors' in checked) throw new HistoryError('invalid-record', `This run could not be saved to history (${checked.errors[0]}).`);
      const r = checked.record;
      let tx;
      try {
        tx = db.transaction(['records', 'entries'], 'readwrite');
      } catch (e) {
        throw toHistoryError(e, 'save');
      }
      const t = tx;
      let dropped: string[] = [];
      const write = async () => {
        // A replaced entry stays pinned.
        const prev: unknown = await t.objectStore('entries').get(r.id);
        const entry = isObj(prev) && prev['pinned'] === true ? { ...summarize(r), pinned: true } : summarize(r);
        await all([() => t.objectStore('records').put(r), () => t.objectStore('entries').put(entry)]);
        if (opts.keep != null) dropped = await keepAtMost(t, opts.keep, r.id);
      };
      try {
        await all([() => t.done, write]);
        return dropped;
      } catch (e) {
        // Nothing half-written: if one put threw (the other may be queued), roll both back.
        abort(tx);
        // A commit that fails on quota aborts the transaction: its error says why, the request's may not.
        const txError: unknown = tx.error;
        throw toHistoryError(!isQuota(e) && isQuota(txError) ? txError : e, 'save');
      }
    },

    async pin(id, pinned) {
      try {
        const tx = db.transaction('entries', 'readwrite');
        const v: unknown = await tx.store.get(id);
        if (!isObj(v)) {
          await tx.done;
          return false;
        }
        await all([() => tx.done, () => tx.store.put({ ...v, pinned })]);
        return true;
      } catch (e) {
        throw toHistoryError(e, 'save');
      }
    },

    async list(opts = {}) {
      const limit = opts.limit ?? Infinity;
      const out: HistoryEntry[] = [];
      if (limit <= 0) return out;
      try {
        const tx = db.transaction('entries', 'readonly');
        let cursor = await tx.store.index('byCreatedAt').openCursor(null, 'prev');
        while (cursor) {
          const v: unknown = cursor.value;
          const problem = entryProblem(v);
          if (problem) report({ id: idOf(v) ?? (isStr(cursor.primaryKey) ? cursor.primaryKey : null), store: 'entries', problem });
          else out.push(v as HistoryEntry);
          if (out.length >= limit) break;
          cursor = await cursor.continue();
        }
        await tx.done;
      } catch (e) {
        throw toHistoryError(e, 'list');
      }
      return out;
    },

    async get(id) {
      let v: unknown;
      try {
        v = await db.get('records', id);
      } catch (e) {
        throw toHistoryError(e, 'read');
      }
      if (v === undefined) return null;
      const checked = checkRecord(v);
      if ('errors' in checked || checked.record.id !== id) {
        report({ id, store: 'records', problem: 'errors' in checked ? checked.errors.join('; ') : 'id does not match its key' });
        return null;
      }
      return checked.record;
    },

    async remove(id) {
      let tx;
      try {
        tx = db.transaction(['records', 'entries'], 'readwrite');
        const t = tx;
        await all([() => t.done, () => t.objectStore('records').delete(id), () => t.objectStore('entries').delete(id)]);
      } catch (e) {
        if (tx) abort(tx);
        throw toHistoryError(e, 'remove');
      }
    },

    async clear() {
      let tx;
      try {
        tx = db.transaction(['records', 'entries'], 'readwrite');
        const t = tx;
        await all([() => t.done, () => t.objectStore('records').clear(), () => t.objectStore('entries').clear()]);
      } catch (e) {
        if (tx) abort(tx);
        throw toHistoryError(e, 'clear');
      }
    },

    async count() {
      try {
        return await db.count('records');
      } catch (e) {
        throw toHistoryError(e, 'count');
      }
    },

    close() {
      db.close();
    },
  };
}
