// Kept evaluations in the History tab (finished, stopped, and any still to resume).
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { openEvaluation, refreshEvaluations } from '../app/evaluate.ts';
import { evalStore } from '../state/eval-store.ts';
import { Alert } from './Alert.tsx';

export default function EvalHistory({ onOpen }: { onOpen: () => void }) {
  const evals = useStore(evalStore, (s) => s.kept);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => void refreshEvaluations(), []);
  return (
    <>
      <h3>Evaluations</h3>
      <Alert message={problem} />
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
                  void openEvaluation(e.id).then((err) => {
                    setProblem(err);
                    if (!err) onOpen();
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
    </>
  );
}
