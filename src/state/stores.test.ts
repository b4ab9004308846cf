import { beforeEach, describe, expect, it } from 'vitest';
import { dispatchFromWorker } from '../app/dispatch.ts';
import { downloadSummary, knownSize, loadRequested, modelStore, resetModelStore } from './model-store.ts';
import { liveTokensPerSecond, runRequested, runStore, stopRequested } from './run-store.ts';
import { defaultSettings, parseBudget, parseSampling, settingsStore } from './settings-store.ts';

const SPEC = { problem: 'p', paperSuffix: true, lanes: [{ thinking: 10, solution: 5 }], sampling: { kind: 'greedy' as const } };

describe('run store', () => {
  beforeEach(() => runStore.setState({ run: null }));

  it('accumulates streamed text and ends per phase', () => {
    runRequested('r1', SPEC);
    dispatchFromWorker({ type: 'runStarted', runId: 'r1', promptTokens: 12 }, 0);
    dispatchFromWorker({ type: 'tokens', runId: 'r1', batch: { thinking: 'Let ', thinkingTokens: 1, solutions: {}, solutionTokens: {}, ttftMs: 5, decodeMs: 10 } }, 0);
    dispatchFromWorker({ type: 'tokens', runId: 'r1', batch: { thinking: 'me', thinkingTokens: 1, solutions: {}, solutionTokens: {}, ttftMs: 5, decodeMs: 10 } }, 0);
    dispatchFromWorker({ type: 'thinkingEnded', runId: 'r1', lane: 0, how: 'budget', tokens: 10, traceChars: 6 }, 0);
    dispatchFromWorker({ type: 'tokens', runId: 'r1', batch: { thinking: '', thinkingTokens: 0, solutions: { 0: '$x$' }, solutionTokens: { 0: 3 }, ttftMs: 5, decodeMs: 20 } }, 0);
    const r = runStore.getState().run!;
    expect(r).toMatchObject({ status: 'running', promptTokens: 12, thinking: 'Let me', thinkingTokens: 2 });
    expect(r.lanes[0]).toMatchObject({ solution: '$x$', solutionTokens: 3, thinkingEnd: 'budget', thinkingTokensAtEnd: 10 });
    // 5 tokens so far, the last 4 in 20 ms.
    expect(r.live).toEqual({ ttftMs: 5, decodeMs: 20 });
    expect(liveTokensPerSecond(r)).toBeCloseTo(200);
  });

  it('ignores messages from an older run', () => {
    runRequested('r1', SPEC);
    runRequested('r2', SPEC);
    dispatchFromWorker({ type: 'tokens', runId: 'r1', batch: { thinking: 'old', thinkingTokens: 1, solutions: {}, solutionTokens: {}, ttftMs: 5, decodeMs: 10 } }, 0);
    dispatchFromWorker({ type: 'runFailed', runId: 'r1', message: 'x' }, 0);
    expect(runStore.getState().run).toMatchObject({ runId: 'r2', thinking: '', status: 'starting', error: null });
  });

  it('stop then finish ends as stopped; failure keeps the text', () => {
    runRequested('r1', SPEC);
    dispatchFromWorker({ type: 'tokens', runId: 'r1', batch: { thinking: 'abc', thinkingTokens: 3, solutions: {}, solutionTokens: {}, ttftMs: 5, decodeMs: 10 } }, 0);
    stopRequested('r1');
    expect(runStore.getState().run!.status).toBe('stopping');
    const stats = { promptTokens: 1, prefillMs: 1, ttftMs: 1, decodeMs: 1, decodedTokens: 3, tokensPerSecond: 2, forwardCalls: 3, tokensFed: 3 };
    dispatchFromWorker({ type: 'runFinished', runId: 'r1', aborted: true, lanes: [{ thinkingText: 'abc', solutionText: '', thinkingTokens: 3, thinkingEnd: 'aborted', solutionTokens: 0, solutionEnd: 'aborted' }], stats, thinkingIds: [5, 6, 7], thinkingEnds: [1, 2, 3] }, 0);
    expect(runStore.getState().run).toMatchObject({ status: 'stopped', thinking: 'abc', stats, trace: { ids: [5, 6, 7], ends: [1, 2, 3] } });
    runRequested('r2', SPEC);
    dispatchFromWorker({ type: 'runFailed', runId: 'r2', message: 'boom' }, 0);
    expect(runStore.getState().run).toMatchObject({ status: 'failed', error: 'boom' });
  });
});

describe('model store', () => {
  beforeEach(() => resetModelStore());

  it('tracks a load and derives rate and time left', () => {
    loadRequested('a/b', 'webgpu', 'q4');
    dispatchFromWorker({ type: 'loadProgress', modelId: 'a/b', files: [{ file: 'f', loaded: 0, total: 1000, done: false }] }, 0);
    dispatchFromWorker({ type: 'loadProgress', modelId: 'a/b', files: [{ file: 'f', loaded: 500, total: 1000, done: false }] }, 1000);
    const sum = downloadSummary(modelStore.getState());
    expect(sum).toEqual({ total: 1000, loaded: 500, rate: 500, secondsLeft: 1 });
    dispatchFromWorker({ type: 'loadProgress', modelId: 'other', files: [] }, 2000);
    expect(modelStore.getState().files).toHaveLength(1);
    dispatchFromWorker({ type: 'loaded', info: { modelId: 'a/b', device: 'webgpu', dtype: 'q4', context: 100, fromCache: false } }, 0);
    expect(modelStore.getState().status).toBe('ready');
    // What the model needed is remembered, for comparisons that load models in turn.
    expect(knownSize(modelStore.getState().sizes, 'a/b', 'q4')).toBe(1000);
    expect(knownSize(modelStore.getState().sizes, 'a/b', undefined)).toBe(1000);
    expect(knownSize(modelStore.getState().sizes, 'c/d', undefined)).toBeNull();
  });

  it('a failed load shows its message', () => {
    loadRequested('a/b', 'webgpu', 'q4');
    dispatchFromWorker({ type: 'loadFailed', modelId: 'a/b', message: 'not found' }, 0);
    expect(modelStore.getState()).toMatchObject({ status: 'error', error: 'not found' });
  });
});

describe('settings', () => {
  beforeEach(() => settingsStore.setState(defaultSettings));

  it('validates budgets without losing what was typed', () => {
    expect(parseBudget('512', 'Thinking budget')).toEqual({ value: 512 });
    expect(parseBudget('-1', 'Thinking budget')).toHaveProperty('error', expect.stringMatching(/whole number/));
    expect(parseBudget('99999', 'Solution budget')).toHaveProperty('error', expect.stringMatching(/at most/));
    expect(parseBudget('', 'Solution budget')).toHaveProperty('error');
  });

  it('parses sampling, greedy or not', () => {
    expect(parseSampling(settingsStore.getState())).toEqual({ value: { kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed: 0 } });
    expect(parseSampling({ ...settingsStore.getState(), topP: '1.5' })).toHaveProperty('error', expect.stringMatching(/topP/));
    expect(parseSampling({ ...settingsStore.getState(), topP: '1.5', greedy: true })).toEqual({ value: { kind: 'greedy' } });
  });
});
