// Integration: the real transformers.js engine (onnxruntime-node, CPU) on the scripted models.
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeEvent, DecodeResult } from '../src/core/decode.ts';
import type { Budgets, LaneBudget } from '../src/core/policy.ts';
import type { Sampling } from '../src/core/sampler.ts';
import { ElasticEngine, TransformersBackend } from '../src/worker/engine.ts';
import { MARKER_TEXT, SOLUTION_WORDS, buildScript, solutionTextFor, thinkingTextFor } from '../tools/testmodels/scripted-model.ts';
import { SPECIAL } from '../tools/testmodels/tokenizer.ts';
import type { VariantName } from '../tools/testmodels/write.ts';
import { TEST_MODELS_DIR } from './paths.ts';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${TEST_MODELS_DIR}/`;

const GREEDY: Sampling = { kind: 'greedy' };
const PROBLEM = 'What is $6 \\times 7$?';
const script = buildScript();
const SOLUTION_LEN = SOLUTION_WORDS.length + 1; // words + EOS

const engines = new Map<string, ElasticEngine>();
async function engine(name: VariantName, dtype: 'fp32' | 'q4' | 'q4f16' = 'fp32'): Promise<ElasticEngine> {
  const key = `${name}/${dtype}`;
  let e = engines.get(key);
  if (!e) {
    e = await ElasticEngine.load(name, { device: 'cpu', dtype });
    engines.set(key, e);
  }
  return e;
}

interface Traced {
  result: DecodeResult;
  feeds: number[][];
  /** Each model call's rows. */
  calls: number[][][];
  events: DecodeEvent[];
}

/** Runs with a backend that records every feed's ids. */
async function run(
  e: ElasticEngine,
  lanes: (Budgets | LaneBudget)[],
  sampling: Sampling = GREEDY,
  onEvent?: (ev: DecodeEvent, abort: () => void) => void,
  opts: { maxRows?: number; laneSeeds?: number[] } = {},
): Promise<Traced> {
  const feeds: number[][] = [];
  const calls: number[][][] = [];
  const backend = e.backend();
  const forward = backend.forward.bind(backend);
  backend.forward = (rows) => {
    calls.push(rows.map((r) => [...r.feed]));
    for (const r of rows) feeds.push([...r.feed]);
    return forward(rows);
  };
  const events: DecodeEvent[] = [];
  const ctrl = new AbortController();
  const { laneSeeds, ...decodeOpts } = opts;
  const result = await e.run(
    { problem: PROBLEM, paperSuffix: true, lanes, sampling, ...(laneSeeds ? { laneSeeds } : {}) },
    {
      ...decodeOpts,
      signal: ctrl.signal,
      onEvent: (ev) => {
        events.push(ev);
        onEvent?.(ev, () => ctrl.abort());
      },
    },
    backend as TransformersBackend,
  );
  expect(e.ledger.live(), 'tensors left undisposed').toBe(0);
  for (const lane of result.lanes) {
    expect(lane.thinkingText).not.toContain(MARKER_TEXT.trim());
    expect(lane.solutionText).not.toContain(MARKER_TEXT.trim());
  }
  return { result, feeds, calls, events };
}

const thinkText = (n: number) => thinkingTextFor(script, n);
const solutionText = (seen: number) => solutionTextFor(script, seen);

afterAll(async () => {
  for (const e of engines.values()) await e.dispose();
});

describe('single run on the scripted model', () => {
  let e: ElasticEngine;
  let promptLen: number;
  beforeAll(async () => {
    e = await engine('scripted-think48');
    promptLen = e.encodePrompt(PROBLEM, true).length;
  });

  it('ends thinking when the model closes </think> itself, and reads the prompt once', async () => {
    const { result, feeds } = await run(e, [{ thinking: 100, solution: 100 }]);
    const [lane] = result.lanes;
    expect(lane!.thinkingEnd).toBe('model');
    expect(lane!.thinkingTokens).toBe(49); // 48 words + the model's own </think>
    expect(lane!.thinkingText).toBe(thinkText(48));
    expect(lane!.solutionText).toContain('(thought: 48 tokens)');
    expect(lane!.solutionText).toBe(solutionText(48));
    expect(lane!.solutionEnd).toBe('eos');
    expect(lane!.solutionTokens).toBe(SOLUTION_LEN);
    // Prompt once, then one token per call: no re-prefill at the phase switch.
    expect(feeds[0]!.length).toBe(promptLen);
    expect(feeds.slice(1).every((f) => f.length === 1)).toBe(true);
    expect(feeds[49]).toEqual([SPECIAL.thinkClose]);
    expect(result.stats.tokensFed).toBe(promptLen + 49 + SOLUTION_LEN - 1);
  });

  it('cuts thinking at t with exactly the </think> token appended', async () => {
    const t = 20;
    const { result, feeds } = await run(e, [{ thinking: t, solution: 100 }]);
    const [lane] = result.lanes;
    expect(lane!.thinkingEnd).toBe('budget');
    expect(lane!.thinkingTokens).toBe(t);
    expect(lane!.thinkingText).toBe(thinkText(t));
    expect(lane!.solutionText).toContain(`(thought: ${t} tokens)`);
    // prompt, 19 single tokens, then [20th token, </think>] in one call, then the solution.
    expect(feeds.map((f) => f.length)).toEqual([promptLen, ...Array(t - 1).fill(1), 2, ...Array(SOLUTION_LEN - 1).fill(1)]);
    expect(feeds[t]).toEqual([result.thinkingIds[t - 1], SPECIAL.thinkClose]);
  });

  it('cuts the solution at s', async () => {
    const { result } = await run(e, [{ thinking: 10, solution: 5 }]);
    const [lane] = result.lanes;
    expect(lane!.solutionEnd).toBe('budget');
    expect(lane!.solutionTokens).toBe(5);
    expect(lane!.solutionIds).toHaveLength(5);
  });

  it('t = 0 goes straight to </think>, in the same call as the prompt', async () => {
    const { result, feeds } = await run(e, [{ thinking: 0, solution: 100 }]);
    const [lane] = result.lanes;
    expect(lane!.thinkingTokens).toBe(0);
    expect(lane!.thinkingEnd).toBe('budget');
    expect(feeds[0]!.length).toBe(promptLen + 1);
    expect(feeds[0]!.at(-1)).toBe(SPECIAL.thinkClose);
    expect(lane!.solutionText).toContain('(thought: 0 tokens)');
  });

  it('s = 0 stops after thinking without another model call', async () => {
    const { result, feeds } = await run(e, [{ thinking: 10, solution: 0 }]);
    const [lane] = result.lanes;
    expect(lane!.thinkingEnd).toBe('budget');
    expect(lane!.solutionTokens).toBe(0);
    expect(lane!.solutionEnd).toBe('budget');
    expect(feeds).toHaveLength(10); // prompt + 9 single tokens; the 10th is never fed
  });

  it('rejects prompt + budgets beyond the context before any model call', async () => {
    const feeds: number[][] = [];
    const b = e.backend();
    const fwd = b.forward.bind(b);
    b.forward = (rows) => (feeds.push(...rows.map((r) => [...r.feed])), fwd(rows));
    await expect(e.run({ problem: PROBLEM, paperSuffix: true, lanes: [{ thinking: 2000, solution: 100 }], sampling: GREEDY }, {}, b)).rejects.toThrow(
      /context is 2048.*thinking budget can be at most/,
    );
    await expect(e.run({ problem: '   ', paperSuffix: true, lanes: [{ thinking: 1, solution: 1 }], sampling: GREEDY }, {}, b)).rejects.toThrow(/empty/);
    expect(feeds).toHaveLength(0);
  });

  it('streams thinking and solution text, without <think> or </think>', async () => {
    const { result, events } = await run(e, [{ thinking: 100, solution: 100 }]);
    const thinking = events.flatMap((ev) => (ev.type === 'token' && ev.phase === 'thinking' ? [ev.text] : [])).join('');
    const solution = events.flatMap((ev) => (ev.type === 'token' && ev.phase === 'solution' ? [ev.text] : [])).join('');
    expect(thinking).toBe(result.lanes[0]!.thinkingText);
    expect(solution).toBe(result.lanes[0]!.solutionText);
    expect(thinking + solution).not.toContain('think>');
    const ends = events.filter((ev) => ev.type === 'thinkingEnded' || ev.type === 'solutionEnded');
    expect(ends).toEqual([
      { type: 'thinkingEnded', lane: 0, how: 'model', tokens: 49, traceChars: result.lanes[0]!.thinkingText.length },
      { type: 'solutionEnded', lane: 0, how: 'eos', tokens: SOLUTION_LEN },
    ]);
  });

  it('gives the same tokens with the fp16-KV (q4f16-named) graph', async () => {
    const e16 = await engine('scripted-think48', 'q4f16');
    const a = await run(e, [{ thinking: 30, solution: 100 }]);
    const b = await run(e16, [{ thinking: 30, solution: 100 }]);
    expect(b.result.thinkingIds).toEqual(a.result.thinkingIds);
    expect(b.result.lanes[0]!.solutionIds).toEqual(a.result.lanes[0]!.solutionIds);
  });
});

describe('thinking that does not end by itself', () => {
  it('EOS inside thinking: the EOS stays, </think> follows, the solution runs', async () => {
    const e = await engine('scripted-eos-in-thinking');
    const { result, feeds } = await run(e, [{ thinking: 100, solution: 100 }]);
    const [lane] = result.lanes;
    expect(lane!.thinkingEnd).toBe('eos');
    expect(lane!.thinkingTokens).toBe(20);
    expect(feeds[20]).toEqual([SPECIAL.eos, SPECIAL.thinkClose]);
    expect(lane!.thinkingText).toBe(thinkText(19));
    expect(lane!.solutionText).toContain('(thought: 20 tokens)');
    expect(lane!.solutionEnd).toBe('eos');
  });

  it('a model that never closes is always cut at t', async () => {
    const e = await engine('scripted-never-close');
    const { result } = await run(e, [{ thinking: 150, solution: 100 }]);
    expect(result.lanes[0]!.thinkingEnd).toBe('budget');
    expect(result.lanes[0]!.thinkingTokens).toBe(150);
    expect(result.lanes[0]!.solutionText).toContain('(thought: 150 tokens)');
  });
});

describe('budget sweep', () => {
  it('forks one trace at three budgets; each lane sees its own cut; cost is max(t) + Σ s', async () => {
    const e = await engine('scripted-never-close');
    const budgets = [8, 16, 30];
    const lanes = budgets.map((t) => ({ thinking: t, solution: 100 }));
    const { result, feeds } = await run(e, lanes);
    result.lanes.forEach((lane, i) => {
      expect(lane.thinkingEnd).toBe('budget');
      expect(lane.thinkingTokens).toBe(budgets[i]);
      expect(lane.thinkingText).toBe(thinkText(budgets[i]!));
      expect(lane.solutionText).toContain(`(thought: ${budgets[i]} tokens)`);
      expect(lane.solutionEnd).toBe('eos');
    });
    const sumS = result.lanes.reduce((a, l) => a + l.solutionTokens, 0);
    expect(result.stats.decodedTokens).toBe(30 + sumS);
    // The prompt is read once for all lanes.
    expect(feeds.filter((f) => f.length > 2)).toHaveLength(1);
    expect(feeds.filter((f) => f.length === 2)).toHaveLength(3);

    // Forks do not disturb each other or the trunk: each lane equals its own single run.
    for (const [i, t] of budgets.entries()) {
      const single = await run(e, [{ thinking: t, solution: 100 }]);
      expect(single.result.lanes[0]!.solutionIds).toEqual(result.lanes[i]!.solutionIds);
      expect(single.result.lanes[0]!.thinkingText).toBe(result.lanes[i]!.thinkingText);
    }
  });

  it('with sampling, every lane equals the independent run with the same seed', async () => {
    const e = await engine('scripted-never-close');
    const sampling: Sampling = { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 7 };
    const budgets = [5, 12, 25];
    const { result } = await run(
      e,
      budgets.map((t) => ({ thinking: t, solution: 40 })),
      sampling,
    );
    for (const [i, t] of budgets.entries()) {
      const single = await run(e, [{ thinking: t, solution: 40 }], sampling);
      expect(single.result.thinkingIds).toEqual(result.thinkingIds.slice(0, t));
      expect(single.result.lanes[0]!.solutionIds).toEqual(result.lanes[i]!.solutionIds);
    }
  });

  it('lanes past a natural close all fork from the same point', async () => {
    const e = await engine('scripted-think48');
    const { result } = await run(e, [
      { thinking: 10, solution: 100 },
      { thinking: 60, solution: 100 },
      { thinking: 90, solution: 100 },
    ]);
    expect(result.lanes.map((l) => l.thinkingEnd)).toEqual(['budget', 'model', 'model']);
    expect(result.lanes.map((l) => l.thinkingTokens)).toEqual([10, 49, 49]);
    expect(result.lanes[1]!.solutionText).toContain('(thought: 48 tokens)');
    expect(result.lanes[2]!.solutionIds).toEqual(result.lanes[1]!.solutionIds);
    expect(result.thinkingIds).toHaveLength(49);
  });
});

describe('batched sweep: the trunk and every lane in its solution share each model call', () => {
  const budgets = [8, 16, 30];
  const lanes = budgets.map((t) => ({ thinking: t, solution: 100 }));

  it('forks rows at different steps, ends lanes at different steps, and costs max(t + s) steps', async () => {
    const e = await engine('scripted-never-close');
    const { result, calls } = await run(e, lanes);
    // Rows per call: the prompt, the trunk alone, then each fork adds a row and each end drops one.
    const widths = calls.map((c) => c.length);
    expect(widths.slice(0, 9)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2]);
    expect(Math.max(...widths)).toBe(3);
    // The cut row feeds (x, </think>) beside the trunk's single x, in the same call.
    expect(calls[8]).toEqual([[result.thinkingIds[7], SPECIAL.thinkClose], [result.thinkingIds[7]]]);
    // Lanes end 19 tokens after their cuts: 8 + 19, 16 + 19, 30 + 19 steps.
    expect(widths.lastIndexOf(3)).toBeLessThan(8 + SOLUTION_LEN);
    expect(result.stats.forwardCalls).toBe(30 + SOLUTION_LEN);
    expect(result.stats.rows).toBe(30 + 3 * SOLUTION_LEN);
    result.lanes.forEach((lane, i) => expect(lane.solutionText).toBe(solutionText(budgets[i]!)));
  });

  it('gives every lane the ids of the sequential order, greedy and sampled', async () => {
    const e = await engine('scripted-never-close');
    const sampling: Sampling = { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 21 };
    for (const s of [GREEDY, sampling]) {
      const batched = await run(e, lanes, s);
      const sequential = await run(e, lanes, s, undefined, { maxRows: 1 });
      expect(sequential.calls.every((c) => c.length === 1)).toBe(true);
      expect(batched.result.thinkingIds).toEqual(sequential.result.thinkingIds);
      expect(batched.result.lanes.map((l) => l.solutionIds)).toEqual(sequential.result.lanes.map((l) => l.solutionIds));
      expect(batched.result.stats.forwardCalls).toBeLessThan(sequential.result.stats.forwardCalls);
    }
  });

  it('independent runs at different seeds decode together, one trace per seed, each lane equal to its single run', async () => {
    const e = await engine('scripted-never-close');
    const sampling = (seed: number): Sampling => ({ kind: 'sample', temperature: 1, topP: 1, topK: 0, seed });
    const runs = [
      { thinking: 12, solution: 30, seed: 3 },
      { thinking: 20, solution: 30, seed: 4 },
      { thinking: 12, solution: 30, seed: 5 },
      { thinking: 20, solution: 30, seed: 3 },
    ];
    const laneSeeds = runs.map((r) => r.seed);
    const budgets = runs.map(({ thinking, solution }) => ({ thinking, solution }));
    const req = { problem: PROBLEM, paperSuffix: true, lanes: budgets, sampling: sampling(0), laneSeeds };
    // Rows at once: seed 3's trunk and two lanes, one row each for seeds 4 and 5.
    expect(await e.planRun(req)).toMatchObject({ rowsWanted: 5, maxRows: 5 });
    for (const maxRows of [undefined, 1]) {
      const { result, calls, events } = await run(e, budgets, sampling(0), undefined, { laneSeeds, ...(maxRows ? { maxRows } : {}) });
      for (const [i, r] of runs.entries()) {
        const single = await run(e, [{ thinking: r.thinking, solution: r.solution }], sampling(r.seed));
        expect(result.lanes[i]!.thinkingText, `lane ${i}`).toBe(single.result.lanes[0]!.thinkingText);
        expect(result.lanes[i]!.solutionIds, `lane ${i}`).toEqual(single.result.lanes[0]!.solutionIds);
      }
      // The seeds' traces differ; the prompt is read once.
      expect(result.traces?.map((t) => t.seed)).toEqual([3, 4, 5]);
      expect(result.lanes[0]!.thinkingText).not.toBe(result.lanes[2]!.thinkingText);
      expect(calls.filter((c) => c.some((f) => f.length > 2))).toHaveLength(1);
      if (maxRows === 1) expect(calls.every((c) => c.length === 1)).toBe(true);
      else {
        expect(Math.max(...calls.map((c) => c.length))).toBeGreaterThanOrEqual(3);
        expect(result.stats.forwardCalls).toBeLessThan(result.stats.rows!);
      }
      expect(new Set(events.flatMap((ev) => (ev.type === 'token' && ev.lane === null ? [ev.trace ?? 0] : [])))).toEqual(new Set([0, 1, 2]));
    }
  });

  it('falls back to the sequential order when the caches of every row would not fit, and refuses with the numbers what never fits', async () => {
    const small = await ElasticEngine.load('scripted-never-close', { device: 'cpu', dtype: 'fp32', memory: { maxCacheBytes: 400_000 } });
    const tiny = await ElasticEngine.load('scripted-never-close', { device: 'cpu', dtype: 'fp32', memory: { maxCacheBytes: 100_000 } });
    try {
      const req = { problem: PROBLEM, paperSuffix: true, lanes, sampling: GREEDY };
      expect(await small.planRun(req)).toMatchObject({ maxRows: 1, rowsWanted: 4 });
      const { result, calls } = await run(small, lanes);
      expect(calls.every((c) => c.length === 1)).toBe(true);
      result.lanes.forEach((lane, i) => expect(lane.solutionText).toBe(solutionText(budgets[i]!)));
      // Too little for these budgets even one row at a time: the context itself is limited, and says why.
      await expect(tiny.run(req)).rejects.toThrow(/context is 57\. .*\(Context limited to 57 positions of the model's 2,048: .* this device allows 0\.10 MB\.\)/);
      expect(tiny.ledger.live()).toBe(0);
    } finally {
      await small.dispose();
      await tiny.dispose();
    }
  });
});

describe('the context a device can hold', () => {
  it('clamps a declared length whose KV cache does not fit, says why with the sizes, and runs "max" budgets within it', async () => {
    // The scripted graph: 2 layers × 2 KV heads × 16 × 4 bytes × keys and values = 512 bytes per position;
    // 3 caches at the peak → 400,000 bytes hold 260 positions of the declared 2,048, less 8 for a sweep's masked holes.
    const small = await ElasticEngine.load('scripted-never-close', { device: 'cpu', dtype: 'fp32', memory: { maxCacheBytes: 400_000 } });
    try {
      expect(small.info.context).toBe(252);
      expect(small.info.contextNote).toBe(
        "Context limited to 252 positions of the model's 2,048: the KV cache for 2,048 would need 3 MB (3 caches × 2 layers × 2 KV heads × 16 × 4 bytes per position), this device allows 0.38 MB.",
      );
      const { result } = await run(small, [{ thinking: 'max', solution: 20 }]);
      const used = result.stats.promptTokens + result.thinkingIds.length + 1 + result.lanes[0]!.solutionIds.length;
      expect(result.lanes[0]!.thinkingEnd).toBe('budget');
      expect(used).toBeLessThanOrEqual(252);
      expect(used).toBeGreaterThan(230);
      expect(small.ledger.live()).toBe(0);
    } finally {
      await small.dispose();
    }
    const roomy = await engine('scripted-never-close');
    expect(roomy.info).toMatchObject({ context: 2048, contextNote: null });
  });
});

describe('when rows batch', () => {
  it('batches on WebGPU and with float weights; not 4-bit weights on the CPU unless asked', async () => {
    const { batchesRows } = await import('../src/worker/engine.ts');
    expect(batchesRows('webgpu', 'q4f16')).toBe(true);
    expect(batchesRows('cpu', 'fp32')).toBe(true);
    expect(batchesRows('wasm', 'q4')).toBe(false);
    expect(batchesRows('cpu', 'q4', 'always')).toBe(true);
    expect(batchesRows('webgpu', 'fp32', 'never')).toBe(false);
    expect(batchesRows('wasm', 'q8')).toBe(true);
    const q4 = await engine('scripted-never-close', 'q4');
    const req = { problem: PROBLEM, paperSuffix: true, lanes: [{ thinking: 8, solution: 20 }, { thinking: 16, solution: 20 }], sampling: GREEDY };
    // The plan says why the rows run one at a time although they would fit.
    expect(await q4.planRun(req)).toMatchObject({ maxRows: 1, rowsWanted: 3, sequentialBecause: expect.stringMatching(/4-bit\) weights on the CPU decode several rows slower/) });
    const fp32 = await engine('scripted-never-close', 'fp32');
    expect(await fp32.planRun(req)).toMatchObject({ maxRows: 3, rowsWanted: 3, sequentialBecause: null, limits: { maxCacheBytes: 4 * 2 ** 30 } });
    const { calls } = await run(q4, req.lanes);
    expect(calls.every((c) => c.length === 1)).toBe(true);
  });
});

describe('sampling through the engine', () => {
  it('is reproducible for a seed and differs across seeds', async () => {
    const e = await engine('scripted-never-close');
    const s = (seed: number): Sampling => ({ kind: 'sample', temperature: 1, topP: 1, topK: 0, seed });
    const a = await run(e, [{ thinking: 40, solution: 30 }], s(1));
    const b = await run(e, [{ thinking: 40, solution: 30 }], s(1));
    const c = await run(e, [{ thinking: 40, solution: 30 }], s(2));
    expect(b.result.thinkingIds).toEqual(a.result.thinkingIds);
    expect(b.result.lanes[0]!.solutionIds).toEqual(a.result.lanes[0]!.solutionIds);
    expect(c.result.thinkingIds).not.toEqual(a.result.thinkingIds);
  });

  it('applies top_p: a nucleus of one token makes sampling greedy', async () => {
    const e = await engine('scripted-never-close');
    // Target p ≈ 0.881 at temperature 1, the alternative ≈ 0.119: top_p 0.85 keeps the target only.
    const greedy = await run(e, [{ thinking: 60, solution: 30 }]);
    const nucleus = await run(e, [{ thinking: 60, solution: 30 }], { kind: 'sample', temperature: 1, topP: 0.85, topK: 0, seed: 3 });
    expect(nucleus.result.thinkingIds).toEqual(greedy.result.thinkingIds);
    expect(nucleus.result.lanes[0]!.solutionIds).toEqual(greedy.result.lanes[0]!.solutionIds);
    // And without the nucleus the alternatives do appear.
    const open = await run(e, [{ thinking: 60, solution: 30 }], { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 3 });
    expect(open.result.thinkingIds).not.toEqual(greedy.result.thinkingIds);
  });

  it('applies top_k: k = 1 is greedy', async () => {
    const e = await engine('scripted-never-close');
    const greedy = await run(e, [{ thinking: 40, solution: 20 }]);
    const k1 = await run(e, [{ thinking: 40, solution: 20 }], { kind: 'sample', temperature: 1, topP: 1, topK: 1, seed: 5 });
    expect(k1.result.thinkingIds).toEqual(greedy.result.thinkingIds);
  });
});

describe('abort', () => {
  it('stops mid-thinking, frees every tensor, and the engine runs again', async () => {
    const e = await engine('scripted-think48');
    let thinkingSeen = 0;
    const { result, feeds } = await run(e, [{ thinking: 100, solution: 100 }], GREEDY, (ev, abort) => {
      if (ev.type === 'token' && ev.phase === 'thinking' && ++thinkingSeen === 10) abort();
    });
    expect(result.aborted).toBe(true);
    expect(result.lanes[0]!.thinkingEnd).toBe('aborted');
    expect(result.lanes[0]!.solutionEnd).toBe('aborted');
    expect(feeds).toHaveLength(10);
    const again = await run(e, [{ thinking: 100, solution: 100 }]);
    expect(again.result.lanes[0]!.solutionText).toContain('(thought: 48 tokens)');
  });

  it('stops during the phase switch, before </think> is fed', async () => {
    const e = await engine('scripted-never-close');
    const { result, feeds } = await run(e, [{ thinking: 12, solution: 100 }], GREEDY, (ev, abort) => {
      if (ev.type === 'thinkingEnded') abort();
    });
    expect(result.aborted).toBe(true);
    expect(result.lanes[0]!.thinkingEnd).toBe('budget');
    expect(result.lanes[0]!.solutionEnd).toBe('aborted');
    expect(feeds.some((f) => f.includes(SPECIAL.thinkClose))).toBe(false);
  });

  it('stops mid-solution inside a sweep and frees the shared trace', async () => {
    const e = await engine('scripted-never-close');
    let lane1Tokens = 0;
    const { result } = await run(
      e,
      [
        { thinking: 5, solution: 100 },
        { thinking: 30, solution: 100 },
      ],
      GREEDY,
      (ev, abort) => {
        if (ev.type === 'token' && ev.lane === 1 && ++lane1Tokens === 5) abort();
      },
    );
    expect(result.aborted).toBe(true);
    expect(result.lanes[0]!.solutionEnd).toBe('eos');
    expect(result.lanes[1]!.solutionEnd).toBe('aborted');
  });

  it('stops mid-batch: rows of the trunk and two lanes in flight, every tensor freed', async () => {
    const e = await engine('scripted-never-close');
    let lane1Tokens = 0;
    const { result, calls } = await run(
      e,
      [
        { thinking: 5, solution: 100 },
        { thinking: 8, solution: 100 },
        { thinking: 40, solution: 100 },
      ],
      GREEDY,
      (ev, abort) => {
        if (ev.type === 'token' && ev.lane === 1 && ++lane1Tokens === 3) abort();
      },
    );
    expect(result.aborted).toBe(true);
    expect(calls.at(-1)).toHaveLength(3);
    expect(result.lanes.map((l) => l.solutionEnd)).toEqual(['aborted', 'aborted', 'aborted']);
    expect(result.lanes[0]!.solutionText).toContain('(thought: 5 tokens)');
  });
});

describe('special ids', () => {
  it('come from the tokenizer; a tokenizer without </think> is a clear error', async () => {
    const { specialIdsFrom } = await import('../src/worker/engine.ts');
    const fake = (map: Record<string, number[]>, eos?: number) =>
      ({ encode: (t: string) => map[t] ?? [1, 2, 3], eos_token_id: eos }) as unknown as Parameters<typeof specialIdsFrom>[0];
    expect(specialIdsFrom(fake({ '<think>': [7], '</think>': [8] }, 9), undefined)).toEqual({ eos: 9, thinkOpen: 7, thinkClose: 8 });
    expect(specialIdsFrom(fake({ '<think>': [7], '</think>': [8] }), [5, 6])).toEqual({ eos: 5, thinkOpen: 7, thinkClose: 8 });
    expect(() => specialIdsFrom(fake({ '<think>': [7] }, 9), undefined)).toThrow(/no single `<think>`\/`<\/think>` tokens/);
  });
});
