import { lazy, Suspense, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { clearAllHistory, deleteRecord, loadHistory, openRecord, pinRecord } from '../app/history-actions.ts';
import { historyStore } from '../state/history-store.ts';
import { historyKeepEdited, parseHistoryKeep, settingsStore } from '../state/settings-store.ts';
import { Alert } from './Alert.tsx';

// Kept evaluations: their list and code load on demand, like the Evaluate tab.
const EvalHistory = lazy(() => import('./EvalHistory.tsx'));

export function HistoryView({ onOpen, onOpenEvaluation }: { onOpen: () => void; onOpenEvaluation: () => void }) {
  const entries = useStore(historyStore, (s) => s.entries);
  const error = useStore(historyStore, (s) => s.error);
  const [missing, setMissing] = useState<string | null>(null);
  const keep = useStore(settingsStore, (s) => s.historyKeep);
  const keepParsed = parseHistoryKeep(keep);
  useEffect(() => loadHistory(), []);
  return (
    <section className="panel history" aria-label="History">
      <h2>History</h2>
      <label>
        Keep at most (runs and comparisons; empty: all. The oldest unpinned ones go when a new one is saved beyond it)
        <input className="num" inputMode="numeric" value={keep} placeholder="all" onChange={(e) => historyKeepEdited(e.target.value)} />
      </label>
      <Alert message={'error' in keepParsed ? keepParsed.error : null} />
      <Alert message={error} />
      <Alert message={missing} />
      {entries.length === 0 ? (
        <p className="muted">Finished runs and comparisons appear here. They are kept in this browser only.</p>
      ) : (
        <ul className="history-list">
          {entries.map((e) => (
            <li key={e.id}>
              <button
                type="button"
                className="link"
                onClick={() =>
                  void openRecord(e.id).then((err) => {
                    setMissing(err);
                    if (!err) onOpen();
                  })
                }
              >
                <span className="badge">{e.mode}</span> {e.problemExcerpt}
              </button>
              <span className="muted">
                {new Date(e.createdAt).toLocaleString()} · {e.lanes} lane{e.lanes === 1 ? '' : 's'}
              </span>
              <button
                type="button"
                className="secondary small"
                aria-pressed={!!e.pinned}
                aria-label={`${e.pinned ? 'Unpin' : 'Pin'}: ${e.problemExcerpt}`}
                title={e.pinned ? 'Pinned: kept whatever the cap' : 'Pin: keep it whatever the cap'}
                onClick={() => void pinRecord(e.id, !e.pinned)}
              >
                {e.pinned ? 'Pinned' : 'Pin'}
              </button>
              <button type="button" className="secondary small" aria-label={`Delete: ${e.problemExcerpt}`} onClick={() => void deleteRecord(e.id)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <Suspense fallback={null}>
        <EvalHistory onOpen={onOpenEvaluation} />
      </Suspense>
      {entries.length > 0 && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            if (confirm(`Delete all ${entries.length} kept runs and comparisons? Settings and downloaded models stay.`)) void clearAllHistory();
          }}
        >
          Clear all
        </button>
      )}
    </section>
  );
}
