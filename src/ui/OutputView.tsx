import { useId, useState } from 'react';
import { useStore } from 'zustand';
import { findExample } from '../app/examples.ts';
import { isActive, liveTokensPerSecond, runStore, type Run } from '../state/run-store.ts';
import { InlineTex, StreamingMarkdown } from './markdown/Markdown.tsx';
import { extractBoxed } from '../core/answer.ts';
import { formatMs } from './format.ts';
import { solutionEndLabel, thinkingEndLabel } from '../core/labels.ts';
import { Alert } from './Alert.tsx';
import { TraceWithCuts, type TraceCut } from './TraceWithCuts.tsx';
import { RecutView } from './RecutView.tsx';
import { recuttable, requestRecut, tokensBefore } from '../app/recut.ts';
import { recutStore } from '../state/recut-store.ts';
import { renderedToRaw, textAtPoint } from './trace-offset.ts';

function Meter({ label, used, limit }: { label: string; used: number; limit: number | null }) {
  return (
    <div className="meter">
      {limit !== null ? (
        <meter aria-label={`${label} budget used`} min={0} max={Math.max(limit, 1)} value={Math.min(used, limit)} />
      ) : null}
      <span data-testid={`${label.toLowerCase()}-count`}>
        {used.toLocaleString()} / {limit === null ? 'context' : limit.toLocaleString()} tokens
      </span>
    </div>
  );
}

function Pane({
  title,
  text,
  streaming,
  meter,
  end,
  placeholder,
  cuts,
  onPick,
}: {
  title: string;
  text: string;
  streaming: boolean;
  meter: React.ReactNode;
  end: string | null;
  placeholder?: string;
  /** Markers in the text (re-cuts). */
  cuts?: readonly TraceCut[];
  /** A click on the text: the character offset in `text` it points at. */
  onPick?: (offset: number) => void;
}) {
  const id = useId();
  const [raw, setRaw] = useState(false);
  const key = title.toLowerCase();
  const pick = (e: React.MouseEvent<HTMLDivElement>) => {
    // A drag that selects text is not a pick.
    if (!onPick || !window.getSelection()?.isCollapsed) return;
    const hit = textAtPoint(e.currentTarget, e.clientX, e.clientY);
    if (hit) onPick(raw ? hit.offset : renderedToRaw(hit.text, hit.offset, text));
  };
  return (
    <section className="pane" aria-labelledby={`${id}-h`}>
      <header>
        <h2 id={`${id}-h`}>{title}</h2>
        {meter}
        <span className="end" data-testid={`${key}-end`}>
          {end ?? (streaming ? 'streaming…' : '')}
        </span>
        <button type="button" className="chip" aria-pressed={raw} onClick={() => setRaw(!raw)}>
          {raw ? 'Rendered' : 'Raw text'}
        </button>
      </header>
      <div
        className={onPick ? 'pane-body pickable' : 'pane-body'}
        data-testid={`${key}-text`}
        onClick={pick}
        title={onPick ? 'Click a point: what would it have answered had it stopped here?' : undefined}
      >
        {placeholder ? (
          <p className="muted">{placeholder}</p>
        ) : raw ? (
          <pre data-testid={`${key}-raw`}>{text}</pre>
        ) : cuts && cuts.length > 0 ? (
          <TraceWithCuts text={text} cuts={cuts} streaming={streaming} />
        ) : (
          <StreamingMarkdown text={text} streaming={streaming} />
        )}
      </div>
    </section>
  );
}

export function OutputView() {
  const run = useStore(runStore, (s) => s.run);
  if (!run) {
    // The split view is there from the start: the budgets beside it are what shapes it.
    return (
      <div className="output">
        <div className="panes">
          <Pane title="Thinking" text="" streaming={false} meter={null} end={null} placeholder="Press Run: the thinking streams here." />
          <Pane title="Solution" text="" streaming={false} meter={null} end={null} placeholder="Starts when thinking ends: at </think> or the budget." />
        </div>
      </div>
    );
  }
  return <RunOutput run={run} />;
}

function RunOutput({ run }: { run: Run }) {
  const lane = run.lanes[0]!;
  const asked = run.spec.lanes[0]!;
  const active = isActive(run);
  const thinkingDone = lane.thinkingEnd !== null;
  const answer = extractBoxed(lane.solution);
  const example = findExample(run.spec.problem);
  const thinkingUsed = thinkingDone ? (lane.thinkingTokensAtEnd ?? run.thinkingTokens) : run.thinkingTokens;
  const recuts = useStore(recutStore, (s) => (s.recuts?.sourceRunId === run.runId ? s.recuts : null));
  const [recutMessage, setRecutMessage] = useState<string | null>(null);
  const ends = run.trace?.ends ?? [];
  const cuts = (recuts?.lanes ?? []).map((l) => ({ at: l.at === 0 ? 0 : (ends[l.at - 1] ?? 0), label: `✂ re-cut at ${l.at} tokens` }));
  const canRecut = recuttable(run) > 0;
  return (
    <div className="output">
      <div className="panes">
        <Pane
          title="Thinking"
          text={run.thinking}
          streaming={active && !thinkingDone}
          meter={<Meter label="Thinking" used={thinkingUsed} limit={asked.thinking === 'max' ? null : asked.thinking} />}
          end={thinkingEndLabel(lane.thinkingEnd)}
          cuts={cuts}
          onPick={canRecut ? (offset) => setRecutMessage(requestRecut(tokensBefore(ends, offset))) : undefined}
        />
        <Pane
          title="Solution"
          text={lane.solution}
          streaming={active && thinkingDone && lane.solutionEnd === null}
          meter={<Meter label="Solution" used={lane.solutionTokens} limit={asked.solution} />}
          end={solutionEndLabel(lane.solutionEnd)}
        />
      </div>
      <div className="answer" aria-live="polite">
        <span>Final answer: </span>
        {answer !== null ? (
          <InlineTex tex={answer} testId="answer" />
        ) : (
          <span className="muted">{active ? '…' : 'no \\boxed{} answer'}</span>
        )}
        {example && <span className="muted"> · reference answer: {example.answer}</span>}
      </div>
      <Alert message={run.error} />
      <Stats run={run} />
      <RecutView run={run} message={recutMessage} onMessage={setRecutMessage} />
    </div>
  );
}

function Stats({ run }: { run: Run }) {
  const s = run.stats;
  if (!s) {
    if (run.live) {
      return (
        <p className="muted stats" data-testid="live-stats">
          {run.promptTokens !== null ? `Prompt ${run.promptTokens} tokens · ` : ''}first token after {formatMs(run.live.ttftMs)} ·{' '}
          {liveTokensPerSecond(run).toFixed(1)} tokens/s
        </p>
      );
    }
    return <p className="muted stats">{run.status === 'starting' ? 'Reading the prompt…' : ''}</p>;
  }
  return (
    <p className="stats" data-testid="stats">
      Prompt {s.promptTokens} tokens · prefill {formatMs(s.prefillMs)} · first token after {formatMs(s.ttftMs)} ·{' '}
      <strong>{s.tokensPerSecond.toFixed(1)} tokens/s</strong> · {s.decodedTokens} tokens decoded in {formatMs(s.decodeMs)}
      {run.status === 'stopped' ? ' · stopped' : ''}
    </p>
  );
}
