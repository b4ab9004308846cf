import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { loadHistory, openRecord } from '../app/history-actions.ts';
import { evalStore } from '../state/eval-store.ts';
import { historyStore } from '../state/history.ts';
import { Alert } from './Alert.tsx';

// The evaluation code loads on demand (the Evaluate tab's chunk).
const evaluations = () => import('../app/evaluate.ts');

export function HistoryView({ onOpen, onOpenEvaluation }: { onOpen: () => void; onOpenEvaluation: () => void }) {
  const entries = useStore(historyStore, (s) => s.entries);
  const error = useStore(historyStore, (s) => s.error);
  const [missing, setMissing] = useState<string | null>(null);
  const evals = useStore(evalStore, (s) => s.kept);
  useEffect(() => {
    loadHistory();
    void evaluations().then((m) => m.refreshEvaluations());
  }, []);
  return (
    <section className="panel history" aria-label="History">
      <h2>History</h2>
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
            </li>
          ))}
        </ul>
      )}
      <h3>Evaluations</h3>
      {evals.length === 0 ? (
        <p className="muted">Evaluations appear here as they run; an unfinished one resumes when the page is opened again.</p>
      ) : (
        <ul className="history-list" aria-label="Evaluations">
          {evals.map((e) => (
            <li key={e.id}>
              <button
                type="button"
                className="link"
                onClick={() =>
                  void evaluations()
                    .then((m) => m.openEvaluation(e.id))
                    .then((err) => {
                      setMissing(err);
                      if (!err) onOpenEvaluation();
                    })
                }
              >
                <span className="badge">evaluation</span> {e.setLabel} · {e.models.join(' vs ')} · Avg@{e.k}
              </button>
              <span className="muted">
                {new Date(e.createdAt).toLocaleString()} · {e.status} · {e.done} of {e.total} samples
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
