import { useId, useState } from 'react';
import { useStore } from 'zustand';
import { findExample } from '../app/examples.ts';
import { isActive, liveTokensPerSecond, runStore, type Run } from '../state/run-store.ts';
import { StreamingMarkdown } from './markdown/Markdown.tsx';
import { extractBoxed } from '../core/answer.ts';
import { renderTex } from './markdown/tex.ts';
import { formatMs } from './format.ts';
import { solutionEndLabel, thinkingEndLabel } from '../core/labels.ts';
import { Alert } from './Alert.tsx';

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

function Pane({ title, text, streaming, meter, end }: { title: string; text: string; streaming: boolean; meter: React.ReactNode; end: string | null }) {
  const id = useId();
  const [raw, setRaw] = useState(false);
  const key = title.toLowerCase();
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
      <div className="pane-body" data-testid={`${key}-text`}>
        {raw ? <pre data-testid={`${key}-raw`}>{text}</pre> : <StreamingMarkdown text={text} streaming={streaming} />}
      </div>
    </section>
  );
}

export function OutputView() {
  const run = useStore(runStore, (s) => s.run);
  if (!run) return <p className="muted empty">Load a model, write a problem, set the budgets and press Run.</p>;
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
  return (
    <div className="output">
      <div className="panes">
        <Pane
          title="Thinking"
          text={run.thinking}
          streaming={active && !thinkingDone}
          meter={<Meter label="Thinking" used={thinkingUsed} limit={asked.thinking === 'max' ? null : asked.thinking} />}
          end={thinkingEndLabel(lane.thinkingEnd)}
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
          <span data-testid="answer" dangerouslySetInnerHTML={{ __html: renderTex(answer, false) }} />
        ) : (
          <span className="muted">{active ? '…' : 'no \\boxed{} answer'}</span>
        )}
        {example && <span className="muted"> · reference answer: {example.answer}</span>}
      </div>
      <Alert message={run.error} />
      <Stats run={run} />
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
