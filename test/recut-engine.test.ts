// Integration: re-cuts through the real transformers.js engine (onnxruntime-node) on the scripted
// model that closes `</think>` after 48 tokens. A re-cut at k feeds prompt + k + `</think>` in one
// call, then one token per step, and equals the budget sweep's lane at t = k with the same seed.
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeResult } from '../src/core/decode.ts';
import type { LaneBudget } from '../src/core/policy.ts';
import type { Sampling } from '../src/core/sampler.ts';
import { ElasticEngine, type TransformersBackend } from '../src/worker/engine.ts';
import { SPECIAL } from '../tools/testmodels/tokenizer.ts';
import { TEST_MODELS_DIR } from './paths.ts';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${TEST_MODELS_DIR}/`;

const PROBLEM = 'What is $6 \\times 7$?';
const SAMPLING: Sampling = { kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed: 11 };
const S = 100;

let e: ElasticEngine;
beforeAll(async () => {
  e = await ElasticEngine.load('scripted-think48', { device: 'cpu', dtype: 'fp32' });
});
afterAll(async () => {
  await e.dispose();
});

async function run(lanes: LaneBudget[], forcedThinking?: readonly number[]): Promise<{ result: DecodeResult; feeds: number[][] }> {
  const feeds: number[][] = [];
  const backend = e.backend();
  const forward = backend.forward.bind(backend);
  backend.forward = (rows) => {
    for (const r of rows) feeds.push([...r.feed]);
    return forward(rows);
  };
  const result = await e.run({ problem: PROBLEM, paperSuffix: true, lanes, sampling: SAMPLING, forcedThinking }, {}, backend as TransformersBackend);
  expect(e.ledger.live(), 'tensors left undisposed').toBe(0);
  return { result, feeds };
}

describe('re-cut on the scripted model', () => {
  it('re-cuts at 20 and 8: one call of prompt + prefix + </think>, then one per step; equal to the sweep lanes', async () => {
    const promptLen = e.encodePrompt(PROBLEM, true).length;
    const original = await run([{ thinking: 'max', solution: S }]);
    expect(original.result.lanes[0]).toMatchObject({ thinkingEnd: 'model', thinkingTokens: 49 });
    const sweep = await run([{ thinking: 8, solution: S }, { thinking: 20, solution: S }, { thinking: 'max', solution: S }]);
    for (const [i, k] of [8, 20].entries()) {
      const { result, feeds } = await run([{ thinking: k, solution: S }], original.result.thinkingIds.slice(0, k));
      const lane = result.lanes[0]!;
      expect(feeds[0]).toEqual([...e.encodePrompt(PROBLEM, true), ...original.result.thinkingIds.slice(0, k), SPECIAL.thinkClose]);
      expect(feeds[0]!.length).toBe(promptLen + k + 1);
      expect(feeds.slice(1).every((f) => f.length === 1)).toBe(true);
      expect(feeds).toHaveLength(lane.solutionTokens);
      expect(lane).toMatchObject({ thinkingTokens: k, thinkingEnd: 'budget', thinkingText: sweep.result.lanes[i]!.thinkingText });
      expect(lane.solutionText).toContain(`(thought: ${k} tokens)`);
      expect(lane.solutionIds).toEqual(sweep.result.lanes[i]!.solutionIds);
      expect(lane.solutionText).toBe(sweep.result.lanes[i]!.solutionText);
    }
  });
});
