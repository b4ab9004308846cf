import { Fragment, useEffect, useId, useState } from 'react';
import { useStore } from 'zustand';
import { requestComparison, stopComparison } from '../app/compare.ts';
import { compareUrl } from '../app/url-settings.ts';
import { emptyOutcome, type LaneOutcome, type LaneSettings } from '../core/comparison.ts';
import { summarize, summarizeAsync, type LaneSummary } from '../core/summary.ts';
import {
  MAX_LANES,
  MIN_LANES,
  compareModeChosen,
  compareSettingsStore,
  compareStore,
  laneAdded,
  laneEdited,
  laneRemoved,
  sweepBudgetsEdited,
  sweepSolutionEdited,
  toRecord,
  type Comparison,
} from '../state/compare-store.ts';
import { saveRecord } from '../app/history-actions.ts';
import { knownSize, modelStore } from '../state/model-store.ts';
import { formatBytes } from './format.ts';
import { laneOutcome } from '../state/lane-outcome.ts';
import { runStore, type Run } from '../state/run-store.ts';
import { ExportButtons } from './ExportButtons.tsx';
import { StreamingMarkdown } from './markdown/Markdown.tsx';
import { renderTex } from './markdown/render.ts';
import { samplingLabel, solutionEndLabel, thinkingEndLabel } from '../core/labels.ts';
import { presetFor } from '../app/presets.ts';
import { formatMs } from './format.ts';
import { Alert } from './Alert.tsx';

export function ComparePanel() {
  const mode = useStore(compareSettingsStore, (s) => s.mode);
  const running = useStore(compareStore, (s) => s.comparison?.status === 'running' || s.comparison?.status === 'stopping');
  const [message, setMessage] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Comparison</h2>
      <fieldset className="modes">
        <legend>Mode</legend>
        <label className="check">
          <input type="radio" name={`${id}-mode`} checked={mode === 'sweep'} onChange={() => compareModeChosen('sweep')} />
          Budget sweep: one thinking trace cut at several budgets
        </label>
        <label className="check">
          <input type="radio" name={`${id}-mode`} checked={mode === 'independent'} onChange={() => compareModeChosen('independent')} />
          Independent runs: models, seeds or budgets side by side
        </label>
      </fieldset>
      {mode === 'sweep' ? <SweepInputs /> : <LaneInputs />}
      <div className="runbar">
        <button type="button" className="primary" disabled={running} onClick={() => setMessage(requestComparison(saveRecord))}>
          Run comparison
        </button>
        <button type="button" disabled={!running} onClick={stopComparison}>
          Stop comparison
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            const url = compareUrl();
            history.replaceState(null, '', url);
            void navigator.clipboard?.writeText(location.href).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          Copy link to these settings
        </button>
        {copied && <span className="muted">Link copied (settings only, not outputs).</span>}
      </div>
      <Alert message={message} />
    </section>
  );
}

function SweepInputs() {
  const budgets = useStore(compareSettingsStore, (s) => s.sweepBudgets);
  const solution = useStore(compareSettingsStore, (s) => s.sweepSolution);
  const model = useStore(modelStore, (s) => (s.status === 'ready' ? s.info?.modelId : null));
  return (
    <>
      <label>
        Thinking budgets (2–6, comma-separated)
        <input value={budgets} onChange={(e) => sweepBudgetsEdited(e.target.value)} spellCheck={false} />
      </label>
      <label>
        Solution budget for every lane
        <input className="num" inputMode="numeric" value={solution} onChange={(e) => sweepSolutionEdited(e.target.value)} />
      </label>
      <p className="muted">
        Runs on {model ? <strong>{model}</strong> : 'the loaded model'} with the problem and sampling set above. One trace decodes up to the
        largest budget; each smaller budget forks its own solution from it.
      </p>
    </>
  );
}

function ModelSize({ modelId }: { modelId: string }) {
  const sizes = useStore(modelStore, (s) => s.sizes);
  const bytes = knownSize(sizes, modelId.trim(), undefined);
  const preset = presetFor(modelId);
  return (
    <span className="muted">
      {bytes !== null
        ? `needs about ${formatBytes(bytes)} of memory (its files, as last loaded)`
        : preset?.webReady
          ? 'about 1.1–1.9 GB of memory depending on the weights (q4f16 smallest)'
          : 'memory known after its first load'}
    </span>
  );
}

function LaneInputs() {
  const lanes = useStore(compareSettingsStore, (s) => s.lanes);
  return (
    <div className="lane-inputs">
      {lanes.map((l, i) => (
        <fieldset key={i} className="lane-input">
          <legend>Lane {i + 1}</legend>
          <label className="grow">
            Model
            <input value={l.modelId} spellCheck={false} onChange={(e) => laneEdited(i, { modelId: e.target.value })} aria-label={`Lane ${i + 1} model`} />
          </label>
          <ModelSize modelId={l.modelId} />
          <div className="row">
            <label>
              Thinking
              <input className="num" inputMode="numeric" value={l.thinking} onChange={(e) => laneEdited(i, { thinking: e.target.value })} aria-label={`Lane ${i + 1} thinking budget`} />
            </label>
            <label>
              Solution
              <input className="num" inputMode="numeric" value={l.solution} onChange={(e) => laneEdited(i, { solution: e.target.value })} aria-label={`Lane ${i + 1} solution budget`} />
            </label>
            <label>
              Seed
              <input className="num" inputMode="numeric" value={l.seed} onChange={(e) => laneEdited(i, { seed: e.target.value })} aria-label={`Lane ${i + 1} seed`} />
            </label>
            <button type="button" className="chip" disabled={lanes.length <= MIN_LANES} onClick={() => laneRemoved(i)} aria-label={`Remove lane ${i + 1}`}>
              Remove
            </button>
          </div>
        </fieldset>
      ))}
      <button type="button" className="chip" disabled={lanes.length >= MAX_LANES} onClick={laneAdded}>
        Add lane
      </button>
      <p className="muted">
        Lanes run one after another; a lane with another model loads it first, replacing the one in memory — one model is held at a time, so two
        models that do not fit together still compare.
      </p>
    </div>
  );
}

/** A lane as shown: its outcome so far (no answer until its solution ends), and whether it is live. */
interface LaneDisplay extends LaneOutcome {
  readonly streaming: boolean;
  readonly pending: boolean;
}

function laneDisplay(c: Comparison, run: Run | null, i: number): LaneDisplay {
  const done = c.outcomes[i];
  if (done) return { ...done, streaming: false, pending: false };
  const lane = c.mode === 'sweep' ? i : 0;
  const live = run && ((c.sweepRunId !== null && run.runId === c.sweepRunId) || (c.current?.lane === i && run.runId === c.current.runId)) && run.lanes[lane];
  if (run && live) {
    const streaming = live.solutionEnd === null;
    const o = laneOutcome(run, lane);
    return { ...o, answer: streaming ? null : o.answer, streaming, pending: false };
  }
  return { ...emptyOutcome(null), streaming: false, pending: true };
}

export function CompareResults() {
  const c = useStore(compareStore, (s) => s.comparison);
  const run = useStore(runStore, (s) => s.run);
  if (!c) return <p className="muted empty">Set up a comparison and press Run comparison. Finished comparisons are kept in History.</p>;
  const lanes = c.lanes.map((_, i) => laneDisplay(c, run, i));
  return (
    <div className="compare-results" aria-label="Comparison results">
      <p role="status" className="muted" data-testid="compare-status">
        {c.reopened ? 'Reopened from history · ' : ''}
        {statusText(c)}
      </p>
      <Alert message={c.error} />
      <Summary c={c} lanes={lanes} />
      {c.mode === 'sweep' && <SweepTrace c={c} run={run} lanes={lanes} />}
      <div className="lanes" style={{ gridTemplateColumns: `repeat(${c.lanes.length}, minmax(16rem, 1fr))` }}>
        {c.lanes.map((settings, i) => (
          <LaneColumn key={i} index={i} settings={settings} d={lanes[i]!} outcome={c.outcomes[i] ?? null} sweep={c.mode === 'sweep'} />
        ))}
      </div>
      {(c.status === 'finished' || c.status === 'stopped' || c.status === 'failed') && <ExportButtons record={toRecord(c)} />}
    </div>
  );
}

function statusText(c: Comparison): string {
  switch (c.status) {
    case 'running':
      return c.loading ? `Loading ${c.loading}…` : c.mode === 'sweep' ? 'Sweeping…' : `Running lane ${(c.current?.lane ?? 0) + 1} of ${c.lanes.length}…`;
    case 'stopping':
      return 'Stopping…';
    case 'finished':
      return 'Comparison finished.';
    case 'stopped':
      return 'Comparison stopped; finished lanes are kept.';
    case 'failed':
      return 'Comparison failed.';
  }
}

function Summary({ c, lanes }: { c: Comparison; lanes: readonly LaneDisplay[] }) {
  const done = lanes.every((l) => !l.pending && !l.streaming);
  const quick = summarize(lanes, c.reference);
  // Once every lane is done, group and grade with symbolic equivalence (the CAS loads on demand).
  const [symbolic, setSymbolic] = useState<{ key: string; summary: LaneSummary } | null>(null);
  const key = `${c.id}|${lanes.map((o) => o.answer ?? '').join('\u0000')}`;
  useEffect(() => {
    if (!done) return;
    let live = true;
    void summarizeAsync(lanes, c.reference).then((summary) => live && setSymbolic({ key, summary }));
    return () => {
      live = false;
    };
    // `key` captures the answers and the comparison; outcomes are recomputed each render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [done, key]);
  const s = symbolic?.key === key ? symbolic.summary : quick;
  return (
    <div className="summary" data-testid="compare-summary">
      <strong>Answers: </strong>
      {s.groups.length === 0 && <span className="muted">none yet</span>}
      {s.groups.map((g, k) => (
        <span key={k} className="group">
          <span dangerouslySetInnerHTML={{ __html: renderTex(g.answer, false) }} /> from lane{g.lanes.length > 1 ? 's' : ''}{' '}
          {g.lanes.map((l) => l + 1).join(', ')}
          {k < s.groups.length - 1 ? ' · ' : ''}
        </span>
      ))}
      {s.groups.length > 0 && <span className="muted"> — {s.agreeAll ? 'all lanes agree' : `${s.groups.length} different answers`}</span>}
      {c.reference && (
        <p className="muted">
          Reference answer ({c.reference.source}): <span dangerouslySetInnerHTML={{ __html: renderTex(c.reference.answer, false) }} />
          {s.correct && ` · correct: ${s.correct.map((ok, i) => `lane ${i + 1} ${ok ? '✓' : '✗'}`).join(', ')}`}
        </p>
      )}
    </div>
  );
}

function SweepTrace({ c, run, lanes }: { c: Comparison; run: Run | null; lanes: readonly LaneDisplay[] }) {
  const live = run && run.runId === c.sweepRunId ? run : null;
  const trace = c.sweep?.traceText ?? live?.thinking ?? '';
  // Cut positions: each lane's thinking is a prefix of the trace.
  const cuts = lanes
    .map((l, i) => ({ lane: i, at: l.thinkingEnd ? l.thinkingText.length : null, tokens: l.thinkingTokens, settings: c.lanes[i]! }))
    .filter((x): x is { lane: number; at: number; tokens: number; settings: LaneSettings } => x.at !== null)
    .sort((a, b) => a.at - b.at);
  const segments: { text: string; after: (typeof cuts)[number] | null }[] = [];
  let from = 0;
  for (const cut of cuts) {
    segments.push({ text: trace.slice(from, cut.at), after: cut });
    from = Math.max(from, cut.at);
  }
  segments.push({ text: trace.slice(from), after: null });
  const separate = c.sweep?.separateTokens;
  return (
    <section className="pane trace" aria-label="Shared thinking trace">
      <header>
        <h2>Shared thinking trace</h2>
        {c.sweep && (
          <span className="cost" data-testid="sweep-cost">
            Decoded {c.sweep.decodedTokens.toLocaleString()} tokens; running each budget separately would decode {separate?.toLocaleString()}
            {separate && c.sweep.decodedTokens ? ` (${(separate / c.sweep.decodedTokens).toFixed(2)}× more)` : ''}.
          </span>
        )}
      </header>
      <div className="pane-body">
        {segments.map((seg, k) => (
          <Fragment key={k}>
            <StreamingMarkdown text={seg.text} streaming={!c.sweep && k === segments.length - 1} />
            {seg.after && (
              <div className="cut-marker" role="separator" data-testid="cut-marker">
                ✂ lane {seg.after.lane + 1}: thinking ends here ({seg.after.tokens} tokens, t = {String(seg.after.settings.thinking)})
              </div>
            )}
          </Fragment>
        ))}
      </div>
    </section>
  );
}

function LaneColumn({ index, settings, d, outcome, sweep }: { index: number; settings: LaneSettings; d: LaneDisplay; outcome: LaneOutcome | null; sweep: boolean }) {
  const answer = d.answer;
  const [showThinking, setShowThinking] = useState(!sweep);
  return (
    <section className="pane lane" aria-label={`Lane ${index + 1}`} data-testid={`lane-${index + 1}`}>
      <header className="lane-head">
        <h2>Lane {index + 1}</h2>
        <span className="muted">{settings.modelId}</span>
        <span className="muted">
          t {String(settings.thinking)} · s {settings.solution} · {samplingLabel(settings.sampling)}
        </span>
      </header>
      {d.pending ? (
        <p className="muted">Waiting…</p>
      ) : (
        <>
          <p className="muted" data-testid={`lane-${index + 1}-thinking`}>
            Thinking: {d.thinkingTokens} tokens{d.thinkingEnd ? ` · ${thinkingEndLabel(d.thinkingEnd)}` : ''}
          </p>
          <button type="button" className="chip" aria-expanded={showThinking} onClick={() => setShowThinking(!showThinking)}>
            {showThinking ? 'Hide thinking' : 'Show thinking'}
          </button>
          {showThinking && (
            <div className="pane-body thinking">
              <StreamingMarkdown text={d.thinkingText} streaming={d.streaming && d.thinkingEnd === null} />
            </div>
          )}
          <p className="muted" data-testid={`lane-${index + 1}-solution`}>
            Solution: {d.solutionTokens} tokens{d.solutionEnd ? ` · ${solutionEndLabel(d.solutionEnd)}` : ''}
          </p>
          <div className="pane-body">
            <StreamingMarkdown text={d.solutionText} streaming={d.streaming} />
          </div>
          <p className="answer">
            Answer: {answer !== null ? <span dangerouslySetInnerHTML={{ __html: renderTex(answer, false) }} /> : <span className="muted">—</span>}
          </p>
          {outcome?.stats && (
            <p className="muted stats">
              {outcome.stats.tokensPerSecond.toFixed(1)} tokens/s · first token after {formatMs(outcome.stats.ttftMs)}
            </p>
          )}
          {outcome?.error && <p className="error">{outcome.error}</p>}
        </>
      )}
    </section>
  );
}
