// Keeps finished runs and comparisons in the local history (IndexedDB).
import type { ComparisonRecord } from '../core/comparison.ts';
import { storageSizes } from '../core/storage.ts';
import { referenceFor } from './examples.ts';
import { compareStore, comparisonOpened } from '../state/compare-store.ts';
import type { History } from '../state/history-db.ts';
import { toHistoryError } from '../state/history-db.ts';
import { clearHistory, connectHistory, historyFailed, historyStore, pinInHistory, refreshHistory, removeFromHistory, saveToHistory } from '../state/history-store.ts';
import { parseHistoryKeep, settingsStore } from '../state/settings-store.ts';
import { laneOutcome } from '../state/lane-outcome.ts';
import { isActive, runStore, type Run } from '../state/run-store.ts';
import { toRecord } from '../state/compare-store.ts';
import { stoppable } from './busy.ts';
import { modelStore } from '../state/model-store.ts';

let db: Promise<History | null> | null = null;

/** Opened once; null (with the store's error set) where IndexedDB is unavailable. */
function history(): Promise<History | null> {
  db ??= connectHistory();
  return db;
}

export function loadHistory(): void {
  void history().then((h) => refreshHistory(h));
}

export function saveRecord(r: ComparisonRecord): void {
  // An invalid cap drops nothing (the History tab says what is wrong with it).
  const keep = parseHistoryKeep(settingsStore.getState().historyKeep);
  void history().then(async (h) => {
    if (!(await saveToHistory(h, r, 'value' in keep ? keep.value : null))) await explainQuota(r);
  });
}

/** Pins a kept entry (never dropped by the cap) or unpins it. */
export async function pinRecord(id: string, pinned: boolean): Promise<void> {
  await pinInHistory(await history(), id, pinned);
}

const QUOTA_MESSAGE = toHistoryError({ name: 'QuotaExceededError' }, 'save').userMessage;

/** A full disk names the sizes: what this site stores, what it may, what the record needed. */
async function explainQuota(r: ComparisonRecord): Promise<void> {
  if (historyStore.getState().error !== QUOTA_MESSAGE) return;
  const est = await navigator.storage?.estimate?.().catch(() => undefined);
  const sizes = storageSizes(est, 'this record', new Blob([JSON.stringify(r)]).size);
  historyFailed(`${QUOTA_MESSAGE}${sizes} Downloaded models take most of it: "Clear model cache" frees them (they download again when loaded).`);
}

/** Deletes one kept run or comparison. */
export async function deleteRecord(id: string): Promise<void> {
  await removeFromHistory(await history(), id);
}

/** Deletes every kept run and comparison (settings and downloaded models stay). */
export async function clearAllHistory(): Promise<void> {
  await clearHistory(await history());
}

/** Shows a kept record in the compare view; an error message when it cannot. */
export async function openRecord(id: string): Promise<string | null> {
  const running = compareStore.getState().comparison?.status;
  if (running === 'running' || running === 'stopping') return 'A comparison is running: stop it or wait for it before opening another.';
  const h = await history();
  const r = h ? await h.get(id) : null;
  if (!r) return 'That entry could not be read.';
  comparisonOpened(r);
  return null;
}

/** Run ids that belong to a comparison (saved as part of it, not on their own). */
export const comparisonRunIds = new Set<string>();

function singleRecord(r: Run): ComparisonRecord {
  const asked = r.spec.lanes[0]!;
  return {
    id: r.runId,
    createdAt: Date.now(),
    mode: 'single',
    problem: r.spec.problem,
    paperSuffix: r.spec.paperSuffix,
    reference: referenceFor(r.spec.problem),
    lanes: [
      {
        settings: { modelId: modelStore.getState().info?.modelId ?? '', thinking: asked.thinking, solution: asked.solution, sampling: r.spec.sampling },
        outcome: laneOutcome(r, 0, r.stats),
      },
    ],
    sweep: null,
    status: r.status === 'finished' || r.status === 'failed' || r.status === 'interrupted' ? r.status : 'stopped',
  };
}

/** Saves every single run when it ends. */
export function watchSingleRuns(): () => void {
  let saved = '';
  return runStore.subscribe((s) => {
    const r = s.run;
    if (!r || r.runId === saved || comparisonRunIds.has(r.runId)) return;
    // Interrupted runs (worker or GPU lost) are kept with what had streamed.
    if (r.status !== 'finished' && r.status !== 'stopped' && r.status !== 'interrupted') return;
    saved = r.runId;
    saveRecord(singleRecord(r));
  });
}

/** Records interrupted by closing the page, waiting to enter the history on the next visit. */
export const INTERRUPTED_KEY = 'elastic-interrupted-v1';

/** What is running now as records marked interrupted (the partial texts), or nothing. */
export function interruptedRecords(why: string): ComparisonRecord[] {
  const mark = (r: ComparisonRecord): ComparisonRecord => ({
    ...r,
    status: 'interrupted',
    lanes: r.lanes.map((l) => (l.outcome.error || l.outcome.solutionEnd ? l : { ...l, outcome: { ...l.outcome, error: why } })),
  });
  const c = compareStore.getState().comparison;
  if (c && (c.status === 'running' || c.status === 'stopping')) return [mark(toRecord(c))];
  const r = runStore.getState().run;
  if (r && isActive(r) && !comparisonRunIds.has(r.runId)) return [mark(singleRecord(r))];
  return [];
}

/**
 * Warns before the page closes while something runs, and keeps what had streamed: written to
 * localStorage on pagehide (synchronous, so it survives the unload; an IndexedDB write might not),
 * moved into the history on the next visit by recoverInterrupted().
 */
export function guardUnload(): () => void {
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (!stoppable()) return;
    e.preventDefault();
    e.returnValue = ''; // older browsers need a value to show the prompt
  };
  const onPageHide = () => {
    const records = interruptedRecords('Interrupted: the page was closed or reloaded while this ran.');
    if (records.length === 0) return;
    try {
      const kept = JSON.parse(localStorage.getItem(INTERRUPTED_KEY) ?? '[]') as unknown;
      localStorage.setItem(INTERRUPTED_KEY, JSON.stringify([...(Array.isArray(kept) ? kept : []), ...records]));
    } catch {
      // storage full or blocked: nothing more can be done while the page unloads
    }
  };
  addEventListener('beforeunload', onBeforeUnload);
  addEventListener('pagehide', onPageHide);
  return () => {
    removeEventListener('beforeunload', onBeforeUnload);
    removeEventListener('pagehide', onPageHide);
  };
}

/** Moves records kept by guardUnload into the history (validated there like any record). */
export async function recoverInterrupted(): Promise<number> {
  let raw: string | null = null;
  try {
    raw = localStorage.getItem(INTERRUPTED_KEY);
  } catch {
    return 0;
  }
  if (!raw) return 0;
  localStorage.removeItem(INTERRUPTED_KEY);
  let records: unknown;
  try {
    records = JSON.parse(raw);
  } catch {
    return 0;
  }
  if (!Array.isArray(records)) return 0;
  const h = await history();
  let saved = 0;
  for (const r of records) if (await saveToHistory(h, r as ComparisonRecord)) saved++;
  return saved;
}
