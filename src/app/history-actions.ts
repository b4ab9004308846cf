// Keeps finished runs and comparisons in the local history (IndexedDB).
import type { ComparisonRecord } from '../core/comparison.ts';
import { referenceFor } from './examples.ts';
import { compareStore, comparisonOpened } from '../state/compare-store.ts';
import type { History } from '../state/history-db.ts';
import { connectHistory, refreshHistory, saveToHistory } from '../state/history-store.ts';
import { laneOutcome } from '../state/lane-outcome.ts';
import { runStore, type Run } from '../state/run-store.ts';
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
  void history().then((h) => saveToHistory(h, r));
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
    status: r.status === 'finished' ? 'finished' : r.status === 'failed' ? 'failed' : 'stopped',
  };
}

/** Saves every single run when it ends. */
export function watchSingleRuns(): () => void {
  let saved = '';
  return runStore.subscribe((s) => {
    const r = s.run;
    if (!r || r.runId === saved || comparisonRunIds.has(r.runId)) return;
    if (r.status !== 'finished' && r.status !== 'stopped') return;
    saved = r.runId;
    saveRecord(singleRecord(r));
  });
}
