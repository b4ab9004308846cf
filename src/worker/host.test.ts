// The worker's handlers with a fake engine: message order, batching, stop, errors.
import { describe, expect, it } from 'vitest';
import type { DecodeOptions, DecodeResult } from '../core/decode.ts';
import { WorkerHost, loadErrorMessage, type HostDeps, type HostEngine } from './host.ts';
import type { FromWorker, RunSpec } from './protocol.ts';
import type { RunPlan } from '../core/row-memory.ts';

const SPEC: RunSpec = { problem: 'p', paperSuffix: true, lanes: [{ thinking: 3, solution: 2 }], sampling: { kind: 'greedy' } };

function result(aborted: boolean): DecodeResult {
  return {
    aborted,
    thinkingIds: [1, 2, 3],
    lanes: [{ budgets: { thinking: 3, solution: 2 }, thinkingTokens: 3, thinkingEnd: 'budget', thinkingText: 'abc', solutionTokens: 2, solutionEnd: aborted ? 'aborted' : 'budget', solutionIds: [4, 5], solutionText: 'de' }],
    stats: { promptTokens: 5, prefillMs: 1, ttftMs: 2, decodeMs: 3, decodedTokens: 5, tokensPerSecond: 10, forwardCalls: 5, tokensFed: 10 },
  };
}

/** An engine that emits a scripted run, pausing where the test says. */
const PLAN: RunPlan = {
  maxRows: 3,
  rowsWanted: 3,
  positions: 120,
  rowBytes: 1000,
  peakBytes: 9000,
  limits: { maxBufferBytes: 1e9, maxCacheBytes: 1e9 },
  sequentialBecause: null,
};

function fakeEngine(opts: { failWith?: string; waitAfterTokens?: Promise<void> } = {}): HostEngine {
  return {
    context: 4096,
    plan: async (spec) => {
      if (spec.lanes.length > 4) throw new Error('This run needs 5 GB of KV cache even one row at a time.');
      return PLAN;
    },
    async run(_spec: RunSpec, o: Omit<DecodeOptions, 'detokenize'>) {
      if (opts.failWith) throw new Error(opts.failWith);
      const emit = o.onEvent!;
      emit({ type: 'prefill', promptTokens: 5, ms: 1 });
      for (const [id, text] of [[1, 'a'], [2, ''], [3, 'cd']] as const) emit({ type: 'token', lane: null, phase: 'thinking', id, text });
      emit({ type: 'thinkingEnded', lane: 0, how: 'budget', tokens: 3, traceChars: 3 });
      if (opts.waitAfterTokens !== undefined) await opts.waitAfterTokens;
      if (o.signal?.aborted) return result(true);
      emit({ type: 'token', lane: 0, phase: 'solution', id: 4, text: 'd' });
      emit({ type: 'token', lane: 0, phase: 'solution', id: 5, text: 'e' });
      emit({ type: 'solutionEnded', lane: 0, how: 'budget', tokens: 2 });
      return result(false);
    },
    dispose: async () => {},
  };
}

function setup(engine: HostEngine | (() => Promise<HostEngine>)) {
  const posted: FromWorker[] = [];
  const timers: (() => void)[] = [];
  const faults: string[] = [];
  const deps: HostDeps = {
    post: (m) => posted.push(m),
    load: async (req) => {
      req.progress({ status: 'initiate', file: 'onnx/model.onnx' });
      req.progress({ status: 'progress', file: 'onnx/model.onnx', loaded: 50, total: 100 });
      req.progress({ status: 'done', file: 'onnx/model.onnx' });
      return typeof engine === 'function' ? engine() : engine;
    },
    probe: async () => ({ webgpu: true, shaderF16: false, adapter: 'fake' }),
    isCached: async () => false,
    clearCache: async () => 1234,
    schedule: (fn) => void timers.push(fn),
    now: () => 0,
    fault: (f) => void faults.push(f),
  };
  return { host: new WorkerHost(deps), posted, timers, faults };
}

describe('WorkerHost', () => {
  it('loads with per-file progress and reports the model', async () => {
    const { host, posted } = setup(fakeEngine());
    await host.handle({ type: 'load', modelId: '/models/x', device: 'webgpu', dtype: 'q4' });
    const last = posted.at(-1)!;
    expect(last).toEqual({ type: 'loaded', info: { modelId: '/models/x', device: 'webgpu', dtype: 'q4', context: 4096, fromCache: false } });
    const progress = posted.filter((m) => m.type === 'loadProgress');
    expect(progress.at(-1)).toMatchObject({ files: [{ file: 'onnx/model.onnx', loaded: 100, total: 100, done: true }] });
  });

  it('a model storage could not keep still loads, and the page learns what it needed kept', async () => {
    const { host, posted } = setup({ ...fakeEngine(), notCached: { usage: 900, quota: 1000 } });
    await host.handle({ type: 'load', modelId: '/models/x', device: 'webgpu', dtype: 'q4' });
    // The one file downloaded reported a total of 100 bytes.
    expect(posted.at(-1)).toMatchObject({ type: 'loaded', info: { notCached: { neededBytes: 100, usage: 900, quota: 1000 } } });
  });

  it('says whether the runtime read the weights from the cached files', async () => {
    const cached = setup({ ...fakeEngine(), weightsFromCache: true });
    await cached.host.handle({ type: 'load', modelId: '/models/x', device: 'wasm', dtype: 'q8' });
    expect(cached.posted.at(-1)).toMatchObject({ type: 'loaded', info: { weightsFromCache: true } });
    const inMemory = setup({ ...fakeEngine(), weightsFromCache: false });
    await inMemory.host.handle({ type: 'load', modelId: '/models/x', device: 'wasm', dtype: 'q8' });
    expect((inMemory.posted.at(-1) as { info: object }).info).not.toHaveProperty('weightsFromCache');
  });

  it('says why the context is below the model\'s own (the device cannot hold its cache)', async () => {
    const note = "Context limited to 24,958 positions of the model's 131,072: …";
    const { host, posted } = setup({ ...fakeEngine(), context: 24_958, contextNote: note });
    await host.handle({ type: 'load', modelId: '/models/x', device: 'webgpu', dtype: 'q4' });
    expect(posted.at(-1)).toMatchObject({ type: 'loaded', info: { context: 24_958, contextNote: note } });
  });

  it('turns load errors into messages that say what to do', async () => {
    const { host, posted } = setup(async () => {
      throw new TypeError('Failed to fetch');
    });
    await host.handle({ type: 'load', modelId: 'a/b', device: 'webgpu', dtype: 'q4' });
    expect(posted.at(-1)).toMatchObject({ type: 'loadFailed', modelId: 'a/b', message: expect.stringMatching(/unreachable/) });
    expect(loadErrorMessage('a/b', new Error('Could not locate file: "x"'))).toMatch(/not found/);
  });

  it('streams a run: started, batched tokens, phase ends, finished — in order', async () => {
    const { host, posted } = setup(fakeEngine());
    await host.handle({ type: 'load', modelId: 'm/m', device: 'wasm', dtype: 'q4' });
    posted.length = 0;
    await host.handle({ type: 'run', runId: 'r1', spec: SPEC });
    expect(posted.map((m) => m.type)).toEqual(['runStarted', 'tokens', 'thinkingEnded', 'tokens', 'solutionEnded', 'runFinished']);
    expect(posted[1]).toMatchObject({ batch: { thinking: 'acd', thinkingTokens: 3 } });
    expect(posted[3]).toMatchObject({ batch: { thinking: '', solutions: { 0: 'de' }, solutionTokens: { 0: 2 } } });
    expect(posted.at(-1)).toMatchObject({ type: 'runFinished', aborted: false, lanes: [{ solutionEnd: 'budget' }] });
    // Where each thinking token ends in the streamed trace (a token may stream no text yet).
    expect(posted.at(-1)).toMatchObject({ thinkingEnds: [1, 1, 3] });
  });

  it('refuses a run without a model, and a second run while one is going', async () => {
    const { host, posted } = setup(fakeEngine());
    await host.handle({ type: 'run', runId: 'r0', spec: SPEC });
    expect(posted.at(-1)).toMatchObject({ type: 'runFailed', runId: 'r0', message: expect.stringMatching(/No model/) });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s2 = setup(fakeEngine({ waitAfterTokens: gate }));
    await s2.host.handle({ type: 'load', modelId: 'm/m', device: 'wasm', dtype: 'q4' });
    const first = s2.host.handle({ type: 'run', runId: 'r1', spec: SPEC });
    await s2.host.handle({ type: 'run', runId: 'r2', spec: SPEC });
    expect(s2.posted.at(-1)).toMatchObject({ type: 'runFailed', runId: 'r2', message: expect.stringMatching(/already running/) });
    release();
    await first;
  });

  it("answers a memory plan for the loaded model, the engine's refusal, or that no model is loaded", async () => {
    const { host, posted } = setup(fakeEngine());
    await host.handle({ type: 'plan', planId: 'p0', spec: SPEC });
    expect(posted.at(-1)).toEqual({ type: 'planned', planId: 'p0', modelId: null, plan: null, error: expect.stringMatching(/No model is loaded/) });
    await host.handle({ type: 'load', modelId: 'm/m', device: 'wasm', dtype: 'q8' });
    await host.handle({ type: 'plan', planId: 'p1', spec: SPEC });
    expect(posted.at(-1)).toEqual({ type: 'planned', planId: 'p1', modelId: 'm/m', plan: PLAN, error: null });
    const big = { ...SPEC, lanes: Array.from({ length: 5 }, () => SPEC.lanes[0]!) };
    await host.handle({ type: 'plan', planId: 'p2', spec: big });
    expect(posted.at(-1)).toEqual({ type: 'planned', planId: 'p2', modelId: 'm/m', plan: null, error: expect.stringMatching(/5 GB of KV cache/) });
  });

  it('a run with a trace per seed streams each lane its own thinking until its cut', async () => {
    const spec: RunSpec = { ...SPEC, lanes: [SPEC.lanes[0]!, SPEC.lanes[0]!, SPEC.lanes[0]!], sampling: { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 1 }, laneSeeds: [1, 2, 1] };
    const { host, posted } = setup({
      context: 100,
      plan: async () => PLAN,
      async run(_s, o) {
        const emit = o.onEvent!;
        emit({ type: 'token', lane: null, phase: 'thinking', id: 1, text: 'a', trace: 0 });
        emit({ type: 'token', lane: null, phase: 'thinking', id: 2, text: 'B', trace: 1 });
        emit({ type: 'thinkingEnded', lane: 0, how: 'budget', tokens: 1, traceChars: 1, trace: 0 });
        emit({ type: 'token', lane: null, phase: 'thinking', id: 3, text: 'c', trace: 0 });
        return result(false);
      },
      dispose: async () => {},
    });
    await host.handle({ type: 'load', modelId: 'm/m', device: 'wasm', dtype: 'q8' });
    await host.handle({ type: 'run', runId: 'r1', spec });
    const batches = posted.flatMap((m) => (m.type === 'tokens' ? [m.batch] : []));
    // Lanes 0 and 2 share seed 1's trace (the first); lane 1 has its own; lane 0 stops at its cut.
    expect(batches.map((b) => [b.thinking, b.laneThinking])).toEqual([
      ['a', { 0: 'a', 1: 'B', 2: 'a' }],
      ['c', { 2: 'c' }],
    ]);
    expect(batches[0]!.laneThinkingTokens).toEqual({ 0: 1, 1: 1, 2: 1 });
  });

  it('stop aborts the matching run only; the result says aborted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { host, posted } = setup(fakeEngine({ waitAfterTokens: gate }));
    await host.handle({ type: 'load', modelId: 'm/m', device: 'wasm', dtype: 'q4' });
    const running = host.handle({ type: 'run', runId: 'r1', spec: SPEC });
    await host.handle({ type: 'stop', runId: 'other' });
    await host.handle({ type: 'stop', runId: 'r1' });
    release();
    await running;
    expect(posted.at(-1)).toMatchObject({ type: 'runFinished', runId: 'r1', aborted: true });
  });

  it('reports engine errors as runFailed and stays usable', async () => {
    const { host, posted } = setup(fakeEngine({ failWith: 'The prompt is empty.' }));
    await host.handle({ type: 'load', modelId: 'm/m', device: 'wasm', dtype: 'q4' });
    await host.handle({ type: 'run', runId: 'r1', spec: SPEC });
    expect(posted.at(-1)).toEqual({ type: 'runFailed', runId: 'r1', message: 'The prompt is empty.' });
    await host.handle({ type: 'probe' });
    expect(posted.at(-1)).toMatchObject({ type: 'probed' });
  });

  it('batches tokens on the timer when many arrive', async () => {
    const { host, posted, timers } = setup({
      context: 100,
      plan: async () => PLAN,
      async run(_s, o) {
        for (let i = 0; i < 10; i++) o.onEvent!({ type: 'token', lane: null, phase: 'thinking', id: i, text: 'x' });
        expect(timers).toHaveLength(1); // one flush scheduled for all ten
        timers.shift()!();
        return result(false);
      },
      dispose: async () => {},
    });
    await host.handle({ type: 'load', modelId: 'm/m', device: 'wasm', dtype: 'q4' });
    posted.length = 0;
    await host.handle({ type: 'run', runId: 'r', spec: SPEC });
    expect(posted[0]).toMatchObject({ type: 'tokens', batch: { thinking: 'xxxxxxxxxx', thinkingTokens: 10 } });
  });

  it('refuses a run while a load is pending, so a model is never replaced under a run', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let loads = 0;
    const { host, posted } = setup(async () => {
      if (++loads > 1) await gate;
      return fakeEngine();
    });
    await host.handle({ type: 'load', modelId: 'm/1', device: 'wasm', dtype: 'q4' });
    const second = host.handle({ type: 'load', modelId: 'm/2', device: 'wasm', dtype: 'q4' });
    await host.handle({ type: 'run', runId: 'r', spec: SPEC });
    expect(posted.at(-1)).toMatchObject({ type: 'runFailed', message: expect.stringMatching(/loading/) });
    release();
    await second;
    expect(posted.at(-1)).toMatchObject({ type: 'loaded', info: { modelId: 'm/2' } });
  });

  it("reports a lost GPU device of the engine in use, not of a replaced one", async () => {
    let loseFirst!: (m: string) => void;
    const first: HostEngine = { ...fakeEngine(), lost: new Promise((r) => (loseFirst = r)) };
    let loseSecond!: (m: string) => void;
    const second: HostEngine = { ...fakeEngine(), lost: new Promise((r) => (loseSecond = r)) };
    const engines = [first, second];
    const { host, posted } = setup(async () => engines.shift()!);
    await host.handle({ type: 'load', modelId: 'm/1', device: 'webgpu', dtype: 'q4' });
    await host.handle({ type: 'load', modelId: 'm/2', device: 'webgpu', dtype: 'q4' });
    loseFirst('old device');
    await Promise.resolve();
    await Promise.resolve();
    expect(posted.some((m) => m.type === 'deviceLost')).toBe(false);
    loseSecond('The GPU device was lost.');
    await new Promise((r) => setTimeout(r, 0));
    expect(posted.at(-1)).toEqual({ type: 'deviceLost', message: 'The GPU device was lost.' });
  });

  it('a step that fails because the device was lost reports the loss, not a model error', async () => {
    const engine: HostEngine = { ...fakeEngine({ failWith: 'failed to call OrtRun(): mapAsync' }), lost: Promise.resolve('The GPU device was lost.') };
    const { host, posted } = setup(engine);
    await host.handle({ type: 'load', modelId: 'm/1', device: 'webgpu', dtype: 'q4' });
    posted.length = 0;
    await host.handle({ type: 'run', runId: 'r1', spec: SPEC });
    expect(posted.filter((m) => m.type === 'runFailed')).toEqual([]);
    expect(posted).toContainEqual({ type: 'deviceLost', message: 'The GPU device was lost.' });
  });

  it('passes test faults to the runtime', async () => {
    const { host, faults } = setup(fakeEngine());
    await host.handle({ type: 'testFault', fault: 'destroyDevice' });
    expect(faults).toEqual(['destroyDevice']);
  });

  it('clears the cache', async () => {
    const { host, posted } = setup(fakeEngine());
    await host.handle({ type: 'clearCache' });
    expect(posted.at(-1)).toEqual({ type: 'cacheCleared', bytesFreed: 1234, refused: null });
  });
});
