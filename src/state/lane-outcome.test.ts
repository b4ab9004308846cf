import { beforeEach, describe, expect, it } from 'vitest';
import { laneOutcome, laneOutcomes } from './lane-outcome.ts';
import { runFailed, runFinished, runRequested, runStore, solutionEnded, thinkingEnded, tokensReceived } from './run-store.ts';

const SPEC = { problem: 'p', paperSuffix: true, lanes: [{ thinking: 2, solution: 5 }, { thinking: 4, solution: 5 }], sampling: { kind: 'greedy' as const } };
const batch = (thinking: string, solutions: Record<number, string> = {}) => ({
  thinking,
  thinkingTokens: thinking ? 1 : 0,
  solutions,
  solutionTokens: Object.fromEntries(Object.keys(solutions).map((k) => [k, 1])),
  ttftMs: 1,
  decodeMs: 1,
});
const run = () => runStore.getState().run!;

describe('laneOutcome', () => {
  beforeEach(() => {
    runStore.setState({ run: null });
    runRequested('r', SPEC);
    tokensReceived('r', batch('ab'));
    tokensReceived('r', batch('cd'));
    thinkingEnded('r', 0, 'budget', 2, 4);
    tokensReceived('r', batch('ef', { 0: 'so \\boxed{7}' }));
  });

  it('live: a cut lane thinks up to its cut, a thinking lane the whole trace so far', () => {
    const [cut, thinking] = laneOutcomes(run());
    expect(cut).toMatchObject({ thinkingText: 'abcd', thinkingTokens: 2, thinkingEnd: 'budget', solutionText: 'so \\boxed{7}', solutionTokens: 1, answer: '7', stats: null });
    expect(thinking).toMatchObject({ thinkingText: 'abcdef', thinkingTokens: 3, thinkingEnd: null, solutionText: '', answer: null });
  });

  it('live, a trace per seed: each lane shows the thinking streamed to it', () => {
    runRequested('s', { ...SPEC, sampling: { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 1 }, laneSeeds: [1, 2] });
    tokensReceived('s', { ...batch('ab'), laneThinking: { 0: 'ab', 1: 'XY' }, laneThinkingTokens: { 0: 1, 1: 1 } });
    tokensReceived('s', { ...batch('cd'), laneThinking: { 0: 'cd', 1: 'Z' }, laneThinkingTokens: { 0: 1, 1: 1 } });
    const [first, second] = laneOutcomes(run());
    expect(first).toMatchObject({ thinkingText: 'abcd', thinkingTokens: 2 });
    expect(second).toMatchObject({ thinkingText: 'XYZ', thinkingTokens: 2 });
  });

  it('ended: the lane texts the worker reported, and the stats only when asked', () => {
    solutionEnded('r', 0, 'eos', 1);
    const stats = { promptTokens: 1, prefillMs: 1, ttftMs: 1, decodeMs: 1, decodedTokens: 4, tokensPerSecond: 2, forwardCalls: 4, tokensFed: 4 };
    runFinished(
      'r',
      false,
      [
        { thinkingText: 'abcd', solutionText: 'so \\boxed{7}', thinkingTokens: 2, thinkingEnd: 'budget', solutionTokens: 1, solutionEnd: 'eos' },
        { thinkingText: 'abcdef', solutionText: '\\boxed{8}', thinkingTokens: 3, thinkingEnd: 'model', solutionTokens: 1, solutionEnd: 'eos' },
      ],
      stats,
    );
    expect(laneOutcome(run(), 1)).toMatchObject({ thinkingText: 'abcdef', thinkingEnd: 'model', answer: '8', stats: null, error: null });
    expect(laneOutcome(run(), 1, run().stats).stats).toEqual(stats);
  });

  it('a failed run keeps what streamed and carries its error', () => {
    runFailed('r', 'boom');
    expect(laneOutcomes(run()).map((o) => [o.thinkingText, o.error])).toEqual([
      ['abcd', 'boom'],
      ['abcdef', 'boom'],
    ]);
    expect(() => laneOutcome(run(), 2)).toThrow(/no lane 2/);
  });
});
