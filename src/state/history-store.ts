// The history list as the page shows it. Actions are named after what happened, not what they set.
import { createStore } from 'zustand/vanilla';
import type { ComparisonRecord } from '../core/comparison.ts';
import { openHistory, toHistoryError, type History, type HistoryOptions } from './history-db.ts';
import { summarize, type HistoryEntry } from './history-entry.ts';

export interface HistoryState {
  /** Newest first. */
  readonly entries: readonly HistoryEntry[];
  /** Whether the list has been read at least once. */
  readonly loaded: boolean;
  /** The last failure, as a message to show; null after a success. */
  readonly error: string | null;
}

const initial: HistoryState = { entries: [], loaded: false, error: null };

export const historyStore = createStore<HistoryState>(() => initial);

export function resetHistoryStore(): void {
  historyStore.setState(initial, true);
}

export function historyLoaded(entries: readonly HistoryEntry[]): void {
  historyStore.setState({ entries, loaded: true, error: null });
}

export function historyFailed(message: string): void {
  historyStore.setState({ error: message });
}

/** Puts (or moves) `entry` in the list at its place by time, newest first. */
export function comparisonSaved(entry: HistoryEntry): void {
  const rest = historyStore.getState().entries.filter((e) => e.id !== entry.id);
  const at = rest.findIndex((e) => e.createdAt < entry.createdAt);
  const entries = at === -1 ? [...rest, entry] : [...rest.slice(0, at), entry, ...rest.slice(at)];
  historyStore.setState({ entries, error: null });
}

export function comparisonRemoved(id: string): void {
  comparisonsDropped([id]);
}

/** Entries removed together (deleted, or the oldest dropped by the cap on History). */
export function comparisonsDropped(ids: readonly string[]): void {
  if (ids.length === 0) return;
  const gone = new Set(ids);
  historyStore.setState({ entries: historyStore.getState().entries.filter((e) => !gone.has(e.id)) });
}

export function entryPinned(id: string, pinned: boolean): void {
  historyStore.setState({ entries: historyStore.getState().entries.map((e) => (e.id === id ? { ...e, pinned } : e)) });
}

export function historyCleared(): void {
  historyStore.setState({ entries: [], error: null });
}

// Async helpers: call the database, then the events. They never throw: a failure becomes
// `historyFailed(userMessage)` and `false` (or null), and the app carries on. A null
// History (unavailable) makes them no-ops.

function failed(e: unknown, action: Parameters<typeof toHistoryError>[1]): false {
  historyFailed(toHistoryError(e, action).userMessage);
  return false;
}

/** Opens the history and loads its list; null (with the store's error set) when unavailable. */
export async function connectHistory(factory?: IDBFactory, options?: HistoryOptions): Promise<History | null> {
  let h: History;
  try {
    h = await openHistory(factory, options);
  } catch (e) {
    failed(e, 'open');
    return null;
  }
  await refreshHistory(h);
  return h;
}

export async function refreshHistory(h: History | null, opts?: { limit?: number }): Promise<boolean> {
  if (!h) return false;
  try {
    historyLoaded(await h.list(opts));
    return true;
  } catch (e) {
    return failed(e, 'list');
  }
}

/** Saves `record`; with `keep`, the oldest unpinned entries beyond it are dropped (history-db.ts). */
export async function saveToHistory(h: History | null, record: ComparisonRecord, keep: number | null = null): Promise<boolean> {
  if (!h) return false;
  let dropped: string[];
  try {
    dropped = await h.save(record, { keep });
  } catch (e) {
    return failed(e, 'save');
  }
  const pinned = historyStore.getState().entries.find((e) => e.id === record.id)?.pinned;
  comparisonSaved(pinned ? { ...summarize(record), pinned } : summarize(record));
  comparisonsDropped(dropped);
  return true;
}

export async function pinInHistory(h: History | null, id: string, pinned: boolean): Promise<boolean> {
  if (!h) return false;
  try {
    if (!(await h.pin(id, pinned))) return false;
  } catch (e) {
    return failed(e, 'save');
  }
  entryPinned(id, pinned);
  return true;
}

export async function removeFromHistory(h: History | null, id: string): Promise<boolean> {
  if (!h) return false;
  try {
    await h.remove(id);
  } catch (e) {
    return failed(e, 'remove');
  }
  comparisonRemoved(id);
  return true;
}

export async function clearHistory(h: History | null): Promise<boolean> {
  if (!h) return false;
  try {
    await h.clear();
  } catch (e) {
    return failed(e, 'clear');
  }
  historyCleared();
  return true;
}
