import { useId, useState } from 'react';
import { useStore } from 'zustand';
import { requestEvaluation, stopEvaluation, type EvalSource } from '../app/evaluate.ts';
import { accuracyByBudget, evalStore } from '../state/eval-store.ts';
import { Alert } from './Alert.tsx';

export function EvaluatePanel() {
  const [source, setSource] = useState<EvalSource>('math500');
  const [count, setCount] = useState('10');
  const [budgets, setBudgets] = useState('512, 1024, 2048');
  const [solution, setSolution] = useState('1024');
  const [message, setMessage] = useState<string | null>(null);
  const running = useStore(evalStore, (s) => s.evaluation?.status === 'running' || s.evaluation?.status === 'stopping');
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Accuracy against budget</h2>
      <p className="muted">
        Runs bundled problems from the paper's sets on the loaded model. Each problem is one budget sweep: one thinking trace, a
        solution at every budget, graded like the paper (the last <code>\boxed{'{}'}</code> of the solution against the reference).
        Uses the sampling settings below.
      </p>
      <div className="row">
        <label>
          Problems from
          <select value={source} onChange={(e) => setSource(e.target.value as EvalSource)}>
            <option value="math500">MATH500 (50 in the compact set)</option>
            <option value="aime2024">AIME 2024 (30)</option>
            <option value="all">Both (80)</option>
          </select>
        </label>
        <label>
          How many
          <input className="num" inputMode="numeric" value={count} onChange={(e) => setCount(e.target.value)} />
        </label>
      </div>
      <label>
        Thinking budgets to compare (2–6)
        <input value={budgets} onChange={(e) => setBudgets(e.target.value)} spellCheck={false} />
      </label>
      <label>
        Solution budget
        <input className="num" inputMode="numeric" value={solution} onChange={(e) => setSolution(e.target.value)} />
      </label>
      <div className="runbar">
        <button type="button" className="primary" disabled={running} onClick={() => setMessage(requestEvaluation({ source, count, budgets, solution }))}>
          Run evaluation
        </button>
        <button type="button" disabled={!running} onClick={stopEvaluation}>
          Stop evaluation
        </button>
      </div>
      <Alert message={message} />
    </section>
  );
}

export function EvaluateResults() {
  const e = useStore(evalStore, (s) => s.evaluation);
  if (!e) return <p className="muted empty">Load a model and run an evaluation to see accuracy at each thinking budget.</p>;
  const rows = accuracyByBudget(e);
  return (
    <div className="compare-results" aria-label="Evaluation results">
      <p role="status" className="muted" data-testid="eval-status">
        {e.status === 'running'
          ? `Problem ${Math.min(e.results.length + 1, e.problemIds.length)} of ${e.problemIds.length} on ${e.modelId}…`
          : e.status === 'stopping'
            ? 'Stopping…'
            : `${e.status === 'finished' ? 'Finished' : e.status === 'stopped' ? 'Stopped' : 'Failed'}: ${e.results.length} of ${e.problemIds.length} problems graded on ${e.modelId}.`}
      </p>
      <Alert message={e.error} />
      <table className="eval-table" data-testid="eval-table">
        <caption>Accuracy at each thinking budget (solution budget {e.solutionBudget})</caption>
        <thead>
          <tr>
            <th scope="col">Thinking budget</th>
            <th scope="col">Correct</th>
            <th scope="col">Accuracy</th>
            <th scope="col">Mean thinking tokens</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const pct = r.total ? (100 * r.correct) / r.total : 0;
            return (
              <tr key={r.budget}>
                <th scope="row">{r.budget}</th>
                <td>
                  {r.correct} / {r.total}
                </td>
                <td>
                  <span className="bar" aria-hidden="true" style={{ width: `${pct}%` }} /> {pct.toFixed(1)}%
                </td>
                <td>{r.meanThinking.toFixed(0)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {e.results.length > 0 && (
        <details>
          <summary>Per problem</summary>
          <table className="eval-table">
            <thead>
              <tr>
                <th scope="col">Problem</th>
                <th scope="col">Reference</th>
                {e.budgets.map((b) => (
                  <th key={b} scope="col">
                    t {b}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {e.results.map((r) => (
                <tr key={r.id}>
                  <th scope="row">{r.id}</th>
                  <td>{r.reference}</td>
                  {r.cells.map((c, i) => (
                    <td key={i} title={c.answer ?? 'no answer'}>
                      {c.correct ? '✓' : '✗'} {c.answer ?? '—'}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}
