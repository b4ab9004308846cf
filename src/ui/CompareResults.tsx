// The compare tab's results: status, the answers' summary, the shared trace of a sweep, one column
// per lane. Each part selects only what it shows from the run store, which changes on every token.
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/shallow';
import { extractBoxed } from '../core/answer.ts';
import { emptyOutcome, type LaneOutcome, type LaneSettings } from '../core/comparison.ts';
import { samplingLabel, solutionEndLabel, thinkingEndLabel } from '../core/labels.ts';
import { summarize, summarizeAsync, type LaneSummary } from '../core/summary.ts';
import { compareStore, toRecord, type Comparison } from '../state/compare-store.ts';
import { laneOutcome } from '../state/lane-outcome.ts';
import { runStore, type Run } from '../state/run-store.ts';
import { Alert } from './Alert.tsx';
import { ExportButtons } from './ExportButtons.tsx';
import { formatMs } from './format.ts';
import { InlineTex, StreamingMarkdown } from './markdown/Markdown.tsx';
import { TraceWithCuts, type TraceCut } from './TraceWithCuts.tsx';

/** A lane as shown: its outcome so far (no answer until its solution ends), and whether it is live. */
export interface LaneDisplay extends LaneOutcome {
  readonly streaming: boolean;
  readonly pending: boolean;
}

/** Which lane of `run` computes lane i of the comparison, when `run` is the one computing it. */
function liveLane(c: Comparison, run: Run | null, i: number): number | null {
  if (!run) return null;
  // A sweep's run (or independent lanes decoded together) holds every lane; otherwise one each.
  const lane = c.sweepRunId !== null ? i : 0;
  const ours = (c.sweepRunId !== null && run.runId === c.sweepRunId) || (c.current?.lane === i && run.runId === c.current.runId);
  return ours && run.lanes[lane] ? lane : null;
}

function laneDisplay(c: Comparison, run: Run | null, i: number): LaneDisplay {
  const done = c.outcomes[i];
  if (done) return { ...done, streaming: false, pending: false };
  const lane = liveLane(c, run, i);
  if (run && lane !== null) {
    const o = laneOutcome(run, lane);
    const streaming = o.solutionEnd === null;
    return { ...o, answer: streaming ? null : o.answer, streaming, pending: false };
  }
  return { ...emptyOutcome(null), streaming: false, pending: true };
}

/** Lane i's final answer (null: none) once its solution has ended; undefined until then. */
function laneAnswer(c: Comparison, run: Run | null, i: number): string | null | undefined {
  const done = c.outcomes[i];
  if (done) return done.answer;
  const lane = liveLane(c, run, i);
  const l = lane === null ? undefined : run?.lanes[lane];
  return !l || l.solutionEnd === null ? undefined : extractBoxed(l.solution);
}

/** Every lane's answer as one comparable string; 0 marks a lane still running. */
function answersKey(c: Comparison, run: Run | null): string {
  return JSON.stringify(
    c.lanes.map((_, i) => {
      const a = laneAnswer(c, run, i);
      return a === undefined ? 0 : a;
    }),
  );
}

/** Where lane i's thinking ends in the shared trace, and its thinking tokens; null while it thinks. */
function cutOf(c: Comparison, run: Run | null, i: number): [at: number, tokens: number] | null {
  const done = c.outcomes[i];
  if (done) return done.thinkingEnd ? [done.thinkingText.length, done.thinkingTokens] : null;
  const lane = liveLane(c, run, i);
  const l = lane === null ? undefined : run?.lanes[lane];
  if (!run || !l?.thinkingEnd) return null;
  return [l.thinkingText?.length ?? l.traceCharsAtEnd ?? run.thinking.length, l.thinkingTokensAtEnd ?? run.thinkingTokens];
}

export function CompareResults() {
  const c = useStore(compareStore, (s) => s.comparison);
  if (!c) return <p className="muted empty">Set up a comparison and press Run comparison. Finished comparisons are kept in History.</p>;
  return (
    <div className="compare-results" aria-label="Comparison results">
      <p role="status" className="muted" data-testid="compare-status">
        {c.reopened ? 'Reopened from history · ' : ''}
        {statusText(c)}
      </p>
      <Alert message={c.error} />
      <Summary c={c} />
      {c.mode === 'sweep' && <SweepTrace c={c} />}
      <div className="lanes" style={{ gridTemplateColumns: `repeat(${c.lanes.length}, minmax(16rem, 1fr))` }}>
        {c.lanes.map((_, i) => (
          <LaneColumn key={i} c={c} index={i} />
        ))}
      </div>
      {c.status !== 'running' && c.status !== 'stopping' && <ExportButtons record={toRecord(c)} />}
    </div>
  );
}

function statusText(c: Comparison): string {
  switch (c.status) {
    case 'running':
      return c.loading ? `Loading ${c.loading}…` : c.mode === 'sweep' ? 'Sweeping…' : c.sweepRunId !== null ? `Running ${c.lanes.length} lanes together…` : `Running lane ${(c.current?.lane ?? 0) + 1} of ${c.lanes.length}…`;
    case 'stopping':
      return 'Stopping…';
    case 'finished':
      return 'Comparison finished.';
    case 'stopped':
      return 'Comparison stopped; finished lanes are kept.';
    case 'failed':
      return 'Comparison failed.';
    case 'interrupted':
      return 'Comparison interrupted: the model worker was lost. Finished lanes and what the running lane had streamed are kept; reload the model to run it again.';
  }
}

function Summary({ c }: { c: Comparison }) {
  // One string per store update (0 for a lane still running): this re-renders, and re-summarizes,
  // only when an answer appears, not on every streamed token.
  const key = useStore(runStore, (s) => answersKey(c, s.run));
  return <AnswersSummary id={c.id} reference={c.reference} answersKey={key} />;
}

/** The summary of lanes already at hand (re-cuts beside their run): the same grouping and grading. */
export function LanesSummary({ c, lanes }: { c: Pick<Comparison, 'id' | 'reference'>; lanes: readonly LaneDisplay[] }) {
  const key = JSON.stringify(lanes.map((l) => (l.pending || l.streaming ? 0 : l.answer)));
  return <AnswersSummary id={c.id} reference={c.reference} answersKey={key} />;
}

/** `answersKey`: every lane's answer as JSON, 0 for a lane still running. */
function AnswersSummary({ id, reference, answersKey: key }: { id: string; reference: Comparison['reference']; answersKey: string }) {
  const answers = useMemo(() => JSON.parse(key) as (string | null | 0)[], [key]);
  const outcomes = useMemo(() => answers.map((a) => ({ ...emptyOutcome(null), answer: a === 0 ? null : a })), [answers]);
  const done = answers.every((a) => a !== 0);
  const quick = useMemo(() => summarize(outcomes, reference), [outcomes, reference]);
  // Once every lane is done, group and grade with symbolic equivalence (the CAS loads on demand).
  const [symbolic, setSymbolic] = useState<{ key: string; summary: LaneSummary } | null>(null);
  const symbolicKey = `${id}|${key}`;
  useEffect(() => {
    if (!done) return;
    let live = true;
    void summarizeAsync(outcomes, reference).then((summary) => live && setSymbolic({ key: symbolicKey, summary }));
    return () => {
      live = false;
    };
  }, [done, outcomes, reference, symbolicKey]);
  const s = symbolic?.key === symbolicKey ? symbolic.summary : quick;
  return (
    <div className="summary" data-testid="compare-summary">
      <strong>Answers: </strong>
      {s.groups.length === 0 && <span className="muted">none yet</span>}
      {s.groups.map((g, k) => (
        <span key={k} className="group">
          <InlineTex tex={g.answer} /> from lane{g.lanes.length > 1 ? 's' : ''}{' '}
          {g.lanes.map((l) => l + 1).join(', ')}
          {k < s.groups.length - 1 ? ' · ' : ''}
        </span>
      ))}
      {s.groups.length > 0 && <span className="muted"> — {s.agreeAll ? 'all lanes agree' : `${s.groups.length} different answers`}</span>}
      {reference && (
        <p className="muted">
          Reference answer ({reference.source}): <InlineTex tex={reference.answer} />
          {s.correct && ` · correct: ${s.correct.map((ok, i) => `lane ${i + 1} ${ok ? '✓' : '✗'}`).join(', ')}`}
        </p>
      )}
    </div>
  );
}

/** " in 49 steps (87 one row at a time), 1.2 s": what the batched rows saved, and the wall time. */
function sweepSteps(sw: NonNullable<Comparison['sweep']>): string {
  if (sw.steps === undefined) return '';
  const rows = sw.rows !== undefined && sw.rows > sw.steps ? ` (${sw.rows.toLocaleString()} one row at a time)` : '';
  return ` in ${sw.steps.toLocaleString()} steps${rows}${sw.wallMs !== undefined ? `, ${formatMs(sw.wallMs)}` : ''}`;
}

function SweepTrace({ c }: { c: Comparison }) {
  const live = useStore(runStore, (s) => (!c.sweep && s.run?.runId === c.sweepRunId ? s.run.thinking : null));
  const trace = c.sweep?.traceText ?? live ?? '';
  // Cut positions: each lane's thinking is a prefix of the trace. Flat [at, tokens] pairs, so the
  // selection compares by value and the markers only move when a lane's thinking ends.
  const flat = useStore(runStore, useShallow((s) => c.lanes.flatMap((_, i) => cutOf(c, s.run, i) ?? [-1, 0])));
  const cuts: TraceCut[] = c.lanes
    .map((settings, lane) => ({ at: flat[2 * lane]!, label: `✂ lane ${lane + 1}: thinking ends here (${flat[2 * lane + 1]!} tokens, t = ${String(settings.thinking)})` }))
    .filter((x) => x.at >= 0);
  const separate = c.sweep?.separateTokens;
  return (
    <section className="pane trace" aria-label="Shared thinking trace">
      <header>
        <h2>Shared thinking trace</h2>
        {c.sweep && (
          <span className="cost" data-testid="sweep-cost">
            Decoded {c.sweep.decodedTokens.toLocaleString()} tokens{sweepSteps(c.sweep)}; running each budget separately would decode {separate?.toLocaleString()}
            {separate && c.sweep.decodedTokens ? ` (${(separate / c.sweep.decodedTokens).toFixed(2)}× more)` : ''}.
          </span>
        )}
      </header>
      <div className="pane-body">
        <TraceWithCuts text={trace} cuts={cuts} streaming={!c.sweep} />
      </div>
    </section>
  );
}

function LaneColumn({ c, index }: { c: Comparison; index: number }) {
  const d = useStore(runStore, useShallow((s) => laneDisplay(c, s.run, index)));
  return <LaneCard index={index} settings={c.lanes[index]!} d={d} outcome={c.outcomes[index] ?? null} sweep={c.mode === 'sweep'} />;
}

/** One lane's column: its settings, thinking (folded in a sweep), solution, answer and cost. */
export function LaneCard({
  index,
  settings,
  d,
  outcome,
  sweep,
  title = `Lane ${index + 1}`,
  testId = `lane-${index + 1}`,
  actions,
}: {
  index: number;
  settings: LaneSettings;
  d: LaneDisplay;
  outcome: LaneOutcome | null;
  sweep: boolean;
  title?: string;
  testId?: string;
  actions?: ReactNode;
}) {
  const answer = d.answer;
  const [showThinking, setShowThinking] = useState(!sweep);
  return (
    <section className="pane lane" aria-label={title} data-testid={testId}>
      <header className="lane-head">
        <h2>{title}</h2>
        {actions}
        <span className="muted">{settings.modelId}</span>
        <span className="muted">
          t {String(settings.thinking)} · s {settings.solution} · {samplingLabel(settings.sampling)}
        </span>
      </header>
      {d.pending ? (
        <p className="muted">Waiting…</p>
      ) : (
        <>
          <p className="muted" data-testid={`${testId}-thinking`}>
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
          <p className="muted" data-testid={`${testId}-solution`}>
            Solution: {d.solutionTokens} tokens{d.solutionEnd ? ` · ${solutionEndLabel(d.solutionEnd)}` : ''}
          </p>
          <div className="pane-body">
            <StreamingMarkdown text={d.solutionText} streaming={d.streaming} />
          </div>
          <p className="answer">
            Answer: {answer !== null ? <InlineTex tex={answer} /> : <span className="muted">—</span>}
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
