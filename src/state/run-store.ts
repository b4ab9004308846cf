// The current run: what was asked, what streamed back, how each phase ended.
import { createStore } from 'zustand/vanilla';
import type { DecodeStats, LaneEnd } from '../core/decode.ts';
import type { SolutionEnd, ThinkingEnd } from '../core/policy.ts';
import type { LaneSummary, RunSpec, TokenBatch } from '../worker/protocol.ts';

/** `interrupted`: the worker died or the GPU was lost mid-run; what had streamed is kept. */
export type RunStatus = 'starting' | 'running' | 'stopping' | 'finished' | 'stopped' | 'failed' | 'interrupted';

export interface LaneView {
  readonly solution: string;
  readonly solutionTokens: number;
  readonly thinkingEnd: ThinkingEnd | 'aborted' | null;
  /** Thinking tokens when this lane's thinking ended (its cut). */
  readonly thinkingTokensAtEnd: number | null;
  /** Where in the shared trace's text this lane's thinking ended. */
  readonly traceCharsAtEnd: number | null;
  /** This lane's exact thinking text, once the run is over. */
  readonly thinkingText: string | null;
  /** Runs with a trace per seed: this lane's own thinking so far (null in a run with one trace). */
  readonly liveThinking: string | null;
  readonly liveThinkingTokens: number;
  readonly solutionEnd: SolutionEnd | LaneEnd | null;
}

export interface Run {
  readonly runId: string;
  /** The settings the run was made with (kept apart from the controls, which may move on). */
  readonly spec: RunSpec;
  readonly status: RunStatus;
  readonly promptTokens: number | null;
  readonly thinking: string;
  readonly thinkingTokens: number;
  readonly lanes: readonly LaneView[];
  readonly stats: DecodeStats | null;
  /** Live timing while streaming (the final figures are in stats). */
  readonly live: { readonly ttftMs: number; readonly decodeMs: number } | null;
  readonly error: string | null;
  /** The thinking trace's ids and where each ends in `thinking`, once the run is over (re-cuts start from it). */
  readonly trace: { readonly ids: readonly number[]; readonly ends: readonly number[] } | null;
}

export interface RunState {
  readonly run: Run | null;
}

export const runStore = createStore<RunState>(() => ({ run: null }));

const emptyLane: LaneView = {
  solution: '',
  solutionTokens: 0,
  thinkingEnd: null,
  thinkingTokensAtEnd: null,
  traceCharsAtEnd: null,
  thinkingText: null,
  liveThinking: null,
  liveThinkingTokens: 0,
  solutionEnd: null,
};

function update(runId: string, f: (r: Run) => Run): void {
  const r = runStore.getState().run;
  if (!r || r.runId !== runId) return; // a late message from an older run
  runStore.setState({ run: f(r) });
}

function updateLane(r: Run, lane: number, f: (l: LaneView) => LaneView): Run {
  return { ...r, lanes: r.lanes.map((l, i) => (i === lane ? f(l) : l)) };
}

export function runRequested(runId: string, spec: RunSpec): void {
  runStore.setState({
    run: {
      runId,
      spec,
      status: 'starting',
      promptTokens: null,
      thinking: '',
      thinkingTokens: 0,
      lanes: spec.lanes.map(() => emptyLane),
      stats: null,
      live: null,
      error: null,
      trace: null,
    },
  });
}

export function runStarted(runId: string, promptTokens: number): void {
  update(runId, (r) => ({ ...r, promptTokens, status: r.status === 'starting' ? 'running' : r.status }));
}

export function tokensReceived(runId: string, batch: TokenBatch): void {
  update(runId, (r) => ({
    ...r,
    status: r.status === 'starting' ? 'running' : r.status,
    thinking: batch.thinking ? r.thinking + batch.thinking : r.thinking,
    thinkingTokens: r.thinkingTokens + batch.thinkingTokens,
    live: { ttftMs: batch.ttftMs, decodeMs: batch.decodeMs },
    lanes: r.lanes.map((l, i) => {
      const n = batch.solutionTokens[i];
      const t = batch.laneThinkingTokens?.[i];
      const thought = t ? { ...l, liveThinking: (l.liveThinking ?? '') + (batch.laneThinking?.[i] ?? ''), liveThinkingTokens: l.liveThinkingTokens + t } : l;
      return n ? { ...thought, solution: l.solution + (batch.solutions[i] ?? ''), solutionTokens: l.solutionTokens + n } : thought;
    }),
  }));
}

export function thinkingEnded(runId: string, lane: number, how: ThinkingEnd, tokens: number, traceChars: number): void {
  update(runId, (r) => updateLane(r, lane, (l) => ({ ...l, thinkingEnd: how, thinkingTokensAtEnd: tokens, traceCharsAtEnd: traceChars })));
}

export function solutionEnded(runId: string, lane: number, how: SolutionEnd, tokens: number): void {
  update(runId, (r) => updateLane(r, lane, (l) => ({ ...l, solutionEnd: how, solutionTokens: tokens })));
}

export function stopRequested(runId: string): void {
  update(runId, (r) => (r.status === 'running' || r.status === 'starting' ? { ...r, status: 'stopping' } : r));
}

export function runFinished(runId: string, aborted: boolean, lanes: readonly LaneSummary[], stats: DecodeStats, trace: Run['trace'] = null): void {
  update(runId, (r) => ({
    ...r,
    status: aborted ? 'stopped' : 'finished',
    stats,
    trace,
    lanes: r.lanes.map((l, i) => {
      const s = lanes[i];
      if (!s) return l;
      return {
        ...l,
        thinkingEnd: s.thinkingEnd,
        thinkingTokensAtEnd: s.thinkingTokens,
        thinkingText: s.thinkingText,
        solution: s.solutionText,
        solutionEnd: s.solutionEnd,
        solutionTokens: s.solutionTokens,
      };
    }),
  }));
}

export function runFailed(runId: string, message: string): void {
  update(runId, (r) => ({ ...r, status: 'failed', error: message }));
}

/** The worker died or lost its GPU: the run ends here, keeping every token that had arrived. */
export function runInterrupted(runId: string, message: string): void {
  update(runId, (r) => (isActive(r) ? { ...r, status: 'interrupted', error: `Interrupted: ${message} What had streamed is kept.` } : r));
}

export function isActive(r: Run | null): boolean {
  return !!r && (r.status === 'starting' || r.status === 'running' || r.status === 'stopping');
}

/** Tokens per second so far: tokens after the first over the time since the first. */
export function liveTokensPerSecond(r: Run): number {
  if (!r.live || r.live.decodeMs <= 0) return 0;
  const tokens = r.thinkingTokens + r.lanes.reduce((a, l) => a + l.solutionTokens, 0);
  return tokens > 1 ? ((tokens - 1) * 1000) / r.live.decodeMs : 0;
}
