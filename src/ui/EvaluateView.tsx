// The Evaluate tab: the paper's Avg@k table on any of its five sets, for one or more models, with
// the model card's figures beside it, a plot, progress, and drill-down to every sample.
// Loaded on demand (App.tsx lazy-imports it), like the sets and the chart library.
import { lazy, Suspense, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import {
  importEvaluation,
  pauseEvaluation,
  requestEvaluation,
  resumeEvaluation,
  stopEvaluation,
  storageProblem,
} from '../app/evaluate.ts';
import { evaluationTable, PAPER_AIME2024, paperTokens, type TableRow } from '../core/avgk.ts';
import { evalFileName, evalToCsv, evalToJson } from '../core/eval-export.ts';
import { EVAL_SET_IDS, EVAL_SETS, readCustomSet } from '../core/eval-sets.ts';
import { budgetLabel, type EvalRecord, type EvalSample } from '../core/evaluation.ts';
import { evalStore, progressOf } from '../state/eval-store.ts';
import { customSetRead, evalSettingsEdited, evalSettingsStore, paperSettingsChosen } from '../state/eval-settings-store.ts';
import { Alert } from './Alert.tsx';
import { DownloadRow } from './ExportButtons.tsx';
import { StreamingMarkdown } from './markdown/Markdown.tsx';
import { solutionEndLabel, thinkingEndLabel } from '../core/labels.ts';

const EvalPlot = lazy(() => import('./EvalPlot.tsx'));

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const tokens = (x: number) => x.toFixed(1).replace(/\.0$/, '');

export function EvaluatePanel() {
  const s = useStore(evalSettingsStore);
  const status = useStore(evalStore, (st) => st.evaluation?.status ?? null);
  const ending = useStore(evalStore, (st) => st.ending);
  const elsewhere = useStore(evalStore, (st) => st.elsewhere);
  const [message, setMessage] = useState<string | null>(null);
  const id = useId();
  const running = status === 'running';
  const resumable = status === 'paused' || status === 'interrupted' || status === 'failed' || status === 'stopped';
  const readFile = async (file: File | undefined, then: (text: string, name: string) => Promise<string | null> | string | null) => {
    if (!file) return;
    setMessage(await then(await file.text(), file.name));
  };
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Evaluation (Avg@k)</h2>
      <p className="muted">
        The paper's table: every problem is sampled k times, each sample one budget sweep (one thinking trace, a solution at
        every budget), graded like the paper (the last <code>\boxed{'{}'}</code> of the solution against the reference). Uses
        the sampling settings below (the paper: T 0.6, top-p 0.95, k = 16).
      </p>
      <button type="button" onClick={paperSettingsChosen} disabled={running}>
        Use the paper's AIME 2024 settings
      </button>
      <label>
        Problem set
        <select value={s.set} onChange={(e) => evalSettingsEdited({ set: e.target.value as typeof s.set })}>
          {EVAL_SET_IDS.map((k) => (
            <option key={k} value={k}>
              {EVAL_SETS[k].label} · {EVAL_SETS[k].size}
            </option>
          ))}
          <option value="custom">Your own file (JSON){s.custom ? ` · ${s.custom.name}` : ''}</option>
        </select>
      </label>
      {s.set === 'custom' && (
        <label>
          Problems file (a JSON array of {'{ "problem", "answer" }'})
          <input
            type="file"
            accept=".json,application/json"
            onChange={(e) =>
              void readFile(e.target.files?.[0], (text, name) => {
                const r = readCustomSet(text);
                if ('error' in r) return `${name}: ${r.error}`;
                customSetRead(name, r);
                return null;
              })
            }
          />
        </label>
      )}
      <fieldset className="modes">
        <legend>Problems</legend>
        {(['all', 'first', 'random'] as const).map((m) => (
          <label key={m} className="check">
            <input type="radio" name={`${id}-sel`} checked={s.selection === m} onChange={() => evalSettingsEdited({ selection: m })} />
            {m === 'all' ? 'All of the set' : m === 'first' ? 'The first n' : 'A random n (seeded)'}
          </label>
        ))}
        {s.selection !== 'all' && (
          <div className="row">
            <label>
              n
              <input className="num" inputMode="numeric" value={s.count} onChange={(e) => evalSettingsEdited({ count: e.target.value })} />
            </label>
            {s.selection === 'random' && (
              <label>
                Subset seed
                <input className="num" inputMode="numeric" value={s.subsetSeed} onChange={(e) => evalSettingsEdited({ subsetSeed: e.target.value })} />
              </label>
            )}
          </div>
        )}
      </fieldset>
      <div className="row">
        <label>
          Samples per problem (k)
          <input className="num" inputMode="numeric" value={s.k} onChange={(e) => evalSettingsEdited({ k: e.target.value })} />
        </label>
        <label>
          Evaluation seed
          <input className="num" inputMode="numeric" value={s.seed} onChange={(e) => evalSettingsEdited({ seed: e.target.value })} />
        </label>
      </div>
      <label>
        Models (one per line, loaded in turn; empty: the loaded model)
        <textarea
          rows={2}
          value={s.models}
          spellCheck={false}
          placeholder={'/converted/Salesforce/E1-Math-1.5B\nonnx-community/DeepScaleR-1.5B-Preview-ONNX'}
          onChange={(e) => evalSettingsEdited({ models: e.target.value })}
        />
      </label>
      <label>
        Thinking budgets (1–6; "max" = unconstrained)
        <input value={s.budgets} spellCheck={false} onChange={(e) => evalSettingsEdited({ budgets: e.target.value })} />
      </label>
      <label>
        Solution budget
        <input className="num" inputMode="numeric" value={s.solution} onChange={(e) => evalSettingsEdited({ solution: e.target.value })} />
      </label>
      <div className="runbar">
        <button type="button" className="primary" disabled={running} onClick={() => void requestEvaluation(s).then(setMessage)}>
          Run evaluation
        </button>
        <button type="button" disabled={!running || ending !== null} onClick={pauseEvaluation}>
          Pause
        </button>
        <button type="button" disabled={!resumable} onClick={() => setMessage(resumeEvaluation())}>
          Resume
        </button>
        <button type="button" disabled={!(running || status === 'paused') || ending === 'stop' || elsewhere} onClick={stopEvaluation}>
          Stop evaluation
        </button>
      </div>
      <label>
        Import an evaluation (JSON)
        <input type="file" accept=".json,application/json" disabled={running} onChange={(e) => void readFile(e.target.files?.[0], importEvaluation)} />
      </label>
      <Alert message={message} />
    </section>
  );
}

/** Re-renders every second while running (rate and time left move with the clock). */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return active ? now : Date.now();
}

function formatMinutes(m: number): string {
  if (m < 1) return `${Math.max(1, Math.round(m * 60))} s`;
  if (m < 90) return `${Math.round(m)} min`;
  return `${(m / 60).toFixed(1)} h`;
}

function StatusLine({ e }: { e: EvalRecord }) {
  const activity = useStore(evalStore, (s) => s.activity);
  const ending = useStore(evalStore, (s) => s.ending);
  const runningSince = useStore(evalStore, (s) => s.runningSince);
  const elsewhere = useStore(evalStore, (s) => s.elsewhere);
  const now = useNow(e.status === 'running');
  const p = progressOf(e, runningSince, now);
  const parts = [`${p.done} of ${p.total} samples (${e.models.length} model${e.models.length === 1 ? '' : 's'} × ${e.problems.length} problems × k ${e.k})`];
  if (p.perMinute !== null) parts.push(`${p.perMinute.toFixed(p.perMinute < 10 ? 2 : 1)} samples/min`);
  if (e.status === 'running' && p.minutesLeft !== null) parts.push(`about ${formatMinutes(p.minutesLeft)} left`);
  let head: string;
  if (elsewhere) head = 'Running in another tab';
  else if (e.status === 'running') {
    if (ending) head = ending === 'pause' ? 'Pausing…' : 'Stopping…';
    else if (activity?.kind === 'loading') head = `Loading ${e.models[activity.model]}…`;
    else if (activity?.kind === 'sampling')
      head = `Running ${e.models[activity.model]}: problem ${activity.problem + 1}, sample ${activity.sample + 1}…`;
    else head = 'Running…';
  } else head = { finished: 'Finished', paused: 'Paused', stopped: 'Stopped', failed: 'Failed', interrupted: 'Interrupted' }[e.status];
  return (
    <p role="status" className="muted" data-testid="eval-status">
      {head}: {parts.join(' · ')}
    </p>
  );
}

type Drill = { title: string; samples: { sample: EvalSample; lane: number }[] } | null;

export function EvaluateResults() {
  const e = useStore(evalStore, (s) => s.evaluation);
  const notice = useStore(evalStore, (s) => s.notice);
  const [drill, setDrill] = useState<Drill>(null);
  const rows = useMemo(() => (e ? evaluationTable(e) : []), [e]);
  if (!e) return <p className="muted empty">Run an evaluation to see the paper's table: accuracy (Avg@k) and mean tokens at each budget.</p>;
  const open = (title: string, pick: (s: EvalSample) => number[]) =>
    setDrill({ title, samples: e.samples.flatMap((sample) => pick(sample).map((lane) => ({ sample, lane }))) });
  return (
    <div className="compare-results" aria-label="Evaluation results">
      <StatusLine e={e} />
      {notice && <p className="muted" data-testid="eval-notice">{notice}</p>}
      <Alert message={e.error} />
      <Alert message={storageProblem()} />
      <p className="muted">
        {e.set.label} · {e.problems.length} problems ({e.selection.mode === 'all' ? 'all' : e.selection.mode === 'first' ? `first ${e.selection.count}` : `random ${e.selection.count}, subset seed ${e.selection.seed}`})
        · k = {e.k} · seed {e.seed} · solution budget {e.solution}
      </p>
      <div className="eval-tables">
        <ResultTable e={e} rows={rows} onOpen={(r, b) => open(`${r.model} at t = ${budgetLabel(r.budget)}`, (s) => (e.models[s.model] === r.model ? [b] : []))} />
        <PaperTable highlight={e.set.id === 'aime2024'} />
      </div>
      <Suspense fallback={<p className="muted">Loading the plot…</p>}>
        <EvalPlot rows={rows} />
      </Suspense>
      <DownloadRow
        label="Export the evaluation"
        files={[
          { caption: 'Export CSV', name: evalFileName(e, 'csv'), type: 'text/csv', text: () => evalToCsv(e) },
          { caption: 'Export JSON', name: evalFileName(e, 'json'), type: 'application/json', text: () => evalToJson(e) },
        ]}
      />
      <ProblemGrid e={e} onOpen={(p, m, b) => open(`${e.problems[p]!.id} · ${e.models[m]} at t = ${budgetLabel(e.budgets[b]!)}`, (s) => (s.problem === p && s.model === m ? [b] : []))} />
      <DrillDialog e={e} drill={drill} onClose={() => setDrill(null)} />
    </div>
  );
}

function ResultTable({ e, rows, onOpen }: { e: EvalRecord; rows: TableRow[]; onOpen: (r: TableRow, budget: number) => void }) {
  return (
    <table className="eval-table" data-testid="eval-table">
      <caption>
        Measured here: Avg@{e.k} accuracy ± standard error, and mean tokens of the response (thinking + solution, counted as the paper counts them)
      </caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">t + s</th>
          <th scope="col">Accuracy</th>
          <th scope="col">Tokens</th>
          <th scope="col">Thinking</th>
          <th scope="col">Solution</th>
          <th scope="col">Graded</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => {
          const b = i % e.budgets.length;
          return (
            <tr key={`${r.model}-${String(r.budget)}`}>
              <th scope="row">{r.model}</th>
              <td>{r.budget === 'max' ? `unconstrained + ${e.solution}` : `${r.budget} + ${e.solution}`}</td>
              <td>
                <button type="button" className="link" disabled={r.samples === 0} onClick={() => onOpen(r, b)} aria-label={`Samples of ${r.model} at t = ${budgetLabel(r.budget)}`}>
                  {r.samples === 0 ? '—' : `${pct(r.accuracy)}${r.se === null ? '' : ` ± ${pct(r.se)}`}`}
                </button>
              </td>
              <td>{r.samples === 0 ? '—' : tokens(r.tokens)}</td>
              <td>{r.samples === 0 ? '—' : tokens(r.thinking)}</td>
              <td>{r.samples === 0 ? '—' : tokens(r.solution)}</td>
              <td>
                {r.problems} × {r.samples === 0 ? 0 : +(r.samples / Math.max(1, r.problems)).toFixed(2)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function PaperTable({ highlight }: { highlight: boolean }) {
  return (
    <table className="eval-table paper-table" data-testid="paper-table">
      <caption>
        The paper's figures (model card, AIME 2024, Avg@16), for reference{highlight ? '' : ' — not this set'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Model (paper)</th>
          <th scope="col">t + s</th>
          <th scope="col">Accuracy</th>
          <th scope="col">Tokens</th>
        </tr>
      </thead>
      <tbody>
        {PAPER_AIME2024.flatMap((m) =>
          m.points.map((p) => (
            <tr key={`${m.model}-${p.label}`}>
              <th scope="row">{m.model}</th>
              <td>{p.label}</td>
              <td>{p.accuracy.toFixed(1)}%</td>
              <td>{p.tokens}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

function ProblemGrid({ e, onOpen }: { e: EvalRecord; onOpen: (problem: number, model: number, budget: number) => void }) {
  // correct / graded per problem × model × budget
  const cells = new Map<string, { correct: number; n: number }>();
  for (const s of e.samples) {
    s.lanes.forEach((l, b) => {
      const key = `${s.problem}/${s.model}/${b}`;
      const c = cells.get(key) ?? { correct: 0, n: 0 };
      cells.set(key, { correct: c.correct + (l.correct ? 1 : 0), n: c.n + 1 });
    });
  }
  const columns = e.models.flatMap((m, mi) => e.budgets.map((b, bi) => ({ m, mi, b, bi })));
  return (
    <details>
      <summary>Per problem ({e.problems.length})</summary>
      <table className="eval-table" data-testid="eval-grid">
        <thead>
          <tr>
            <th scope="col">Problem</th>
            <th scope="col">Reference</th>
            {columns.map((c) => (
              <th key={`${c.mi}-${c.bi}`} scope="col">
                {e.models.length > 1 ? `${c.m} · ` : ''}t {budgetLabel(c.b)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {e.problems.map((p, pi) => (
            <tr key={p.id}>
              <th scope="row">{p.id}</th>
              <td>{p.answers.join(' | ')}</td>
              {columns.map((c) => {
                const cell = cells.get(`${pi}/${c.mi}/${c.bi}`);
                return (
                  <td key={`${c.mi}-${c.bi}`} className={cell ? (cell.correct === cell.n ? 'ok' : cell.correct === 0 ? 'bad' : 'mixed') : undefined}>
                    {cell ? (
                      <button type="button" className="link" onClick={() => onOpen(pi, c.mi, c.bi)} aria-label={`${p.id}, ${c.m}, t ${budgetLabel(c.b)}: ${cell.correct} of ${cell.n} correct`}>
                        {cell.correct}/{cell.n}
                      </button>
                    ) : (
                      '·'
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function DrillDialog({ e, drill, onClose }: { e: EvalRecord; drill: Drill; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (drill && !d.open) d.showModal();
    if (!drill && d.open) d.close();
  }, [drill]);
  return (
    <dialog ref={ref} className="eval-drill" aria-labelledby={titleId} onClose={onClose}>
      {drill && (
        <>
          <div className="row">
            <h3 id={titleId}>{drill.title}</h3>
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
          <p className="muted">
            {drill.samples.length} sample{drill.samples.length === 1 ? '' : 's'}: open one for its full thinking and solution.
          </p>
          {drill.samples.map(({ sample, lane }) => (
            <SampleDetails key={`${sample.model}-${sample.problem}-${sample.sample}-${lane}`} e={e} sample={sample} lane={lane} />
          ))}
        </>
      )}
    </dialog>
  );
}

/** One sample's full texts; rendered only once opened (a cell of a large evaluation holds hundreds). */
function SampleDetails({ e, sample, lane }: { e: EvalRecord; sample: EvalSample; lane: number }) {
  const [open, setOpen] = useState(false);
  const l = sample.lanes[lane]!;
  const p = e.problems[sample.problem]!;
  const t = paperTokens(l);
  return (
    <details className="eval-sample" onToggle={(ev) => setOpen(ev.currentTarget.open)}>
      <summary>
        {l.correct ? '✓' : '✗'} {p.id} · {e.models[sample.model]} · sample {sample.sample + 1} (seed {sample.seed}) · answer{' '}
        <code>{l.answer ?? '—'}</code> · {t.total} tokens ({t.thinking} thinking, {t.solution} solution)
      </summary>
      {open && (
        <>
          <h4>Problem</h4>
          <StreamingMarkdown text={p.problem} streaming={false} />
          <p>
            <strong>Reference:</strong> <code>{p.answers.join(' | ')}</code>
          </p>
          <h4>
            Thinking ({l.thinkingTokens} tokens{l.thinkingEnd ? `, ${thinkingEndLabel(l.thinkingEnd)}` : ''})
          </h4>
          <pre className="thinking-text">{l.thinkingText}</pre>
          <h4>
            Solution ({l.solutionTokens} tokens{l.solutionEnd ? `, ${solutionEndLabel(l.solutionEnd)}` : ''})
          </h4>
          <StreamingMarkdown text={l.solutionText} streaming={false} />
        </>
      )}
    </details>
  );
}
