// Re-cut lanes: their worker messages go to the recut store and leave the re-cut run as it was;
// the set exports as a sweep record, re-cuts by the thinking they kept, the original last.
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatchFromWorker } from '../app/dispatch.ts';
import { tokensBefore } from '../app/recut.ts';
import { recutRecord, recutRequested, recutRunning, recutStore, resetRecutStore } from './recut-store.ts';
import { runFinished, runRequested, runStore } from './run-store.ts';

const SAMPLING = { kind: 'sample' as const, temperature: 0.6, topP: 0.95, topK: 0, seed: 5 };
const SPEC = { problem: 'p', paperSuffix: true, lanes: [{ thinking: 100, solution: 50 }], sampling: SAMPLING };
const STATS = { promptTokens: 9, prefillMs: 1, ttftMs: 1, decodeMs: 1, decodedTokens: 6, tokensPerSecond: 1, forwardCalls: 6, tokensFed: 14 };
const settings = (at: number) => ({ modelId: 'm', thinking: at, solution: 50, sampling: SAMPLING });

function finishedRun() {
  runRequested('r1', SPEC);
  dispatchFromWorker({ type: 'tokens', runId: 'r1', batch: { thinking: 'ab cd ef', thinkingTokens: 4, solutions: { 0: 'x' }, solutionTokens: { 0: 2 }, ttftMs: 1, decodeMs: 1 } }, 0);
  runFinished('r1', false, [{ thinkingText: 'ab cd ef', solutionText: 'x', thinkingTokens: 4, thinkingEnd: 'model', solutionTokens: 2, solutionEnd: 'eos' }], STATS, {
    ids: [10, 11, 12, 4],
    ends: [2, 5, 8, 8],
  });
  return runStore.getState().run!;
}

describe('recut store', () => {
  beforeEach(() => {
    runStore.setState({ run: null });
    resetRecutStore();
  });

  it('routes a re-cut run to its lane and leaves the original run untouched', () => {
    const run = finishedRun();
    recutRequested(run, 'c1', 2, settings(2));
    expect(recutRunning()).toBe(true);
    expect(recutStore.getState().recuts!.lanes[0]!.outcome).toMatchObject({ thinkingText: 'ab cd', thinkingTokens: 2, thinkingEnd: 'budget' });
    dispatchFromWorker({ type: 'runStarted', runId: 'c1', promptTokens: 9 }, 0);
    dispatchFromWorker({ type: 'tokens', runId: 'c1', batch: { thinking: '', thinkingTokens: 0, solutions: { 0: '\\boxed{4' }, solutionTokens: { 0: 3 }, ttftMs: 1, decodeMs: 1 } }, 0);
    expect(recutStore.getState().recuts!.lanes[0]!.outcome).toMatchObject({ solutionText: '\\boxed{4', answer: null });
    dispatchFromWorker({ type: 'tokens', runId: 'c1', batch: { thinking: '', thinkingTokens: 0, solutions: { 0: '}' }, solutionTokens: { 0: 1 }, ttftMs: 1, decodeMs: 1 } }, 0);
    dispatchFromWorker({ type: 'solutionEnded', runId: 'c1', lane: 0, how: 'eos', tokens: 4 }, 0);
    dispatchFromWorker({ type: 'runFinished', runId: 'c1', aborted: false, lanes: [{ thinkingText: 'ab cd', solutionText: '\\boxed{4}', thinkingTokens: 2, thinkingEnd: 'budget', solutionTokens: 4, solutionEnd: 'eos' }], stats: STATS, thinkingIds: [10, 11], thinkingEnds: [] }, 0);
    expect(runStore.getState().run).toBe(run);
    expect(recutRunning()).toBe(false);
    expect(recutStore.getState().recuts!.lanes[0]).toMatchObject({ status: 'finished', outcome: { solutionText: '\\boxed{4}', solutionTokens: 4, answer: '4' } });
  });

  it('exports the re-cuts and the original as a sweep of one trace', () => {
    const run = finishedRun();
    recutRequested(run, 'c3', 3, settings(3));
    recutRequested(run, 'c1', 1, settings(1));
    for (const id of ['c3', 'c1']) dispatchFromWorker({ type: 'runFailed', runId: id, message: 'x' }, 0);
    const r = recutRecord(run, recutStore.getState().recuts!, 'm', null);
    expect(r.mode).toBe('sweep');
    expect(r.lanes.map((l) => l.outcome.thinkingTokens)).toEqual([1, 3, 4]);
    expect(r.lanes.map((l) => l.settings.thinking)).toEqual([1, 3, 100]);
    expect(r.sweep!.traceText).toBe('ab cd ef');
    expect(r.status).toBe('failed');
  });

  it('a click at a character keeps the tokens that end at or before it', () => {
    expect([0, 1, 2, 4, 5, 8].map((c) => tokensBefore([2, 5, 8, 8], c))).toEqual([0, 0, 1, 1, 2, 4]);
  });
});
