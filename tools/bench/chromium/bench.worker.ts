// The Chromium bench's model worker: the app's runtime setup (src/worker/runtime.ts) and engine
// (src/worker/engine.ts) on a model served by the bench, plus the raw ORT session for the
// decode-vs-context item. Requests come from entry.ts one at a time.
import { env, Tensor } from '@huggingface/transformers';
import { ElasticEngine } from '../../../src/worker/engine.ts';
import { configureRuntime } from '../../../src/worker/runtime.ts';
import { decodeFeeds, type EngineModel, loopVsGenerate, PROBLEM, runTraced, timedGenerate } from '../measure.ts';
import type { BenchReply, BenchRequest, LoadFigures } from './protocol.ts';

configureRuntime();

type OrtTensor = unknown;
interface RawSession {
  readonly inputNames: string[];
  readonly inputMetadata: { name: string; type?: string; shape?: (number | string)[] }[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, { dispose?: () => void }>>;
}

let engine: ElasticEngine | null = null;
const contextFeeds = new Map<number, Record<string, OrtTensor>>();

const loaded = () => {
  if (!engine) throw new Error('load a model first');
  return engine;
};
const modelOf = (e: ElasticEngine) => (e as unknown as { model: EngineModel }).model;
const sessionOf = (e: ElasticEngine) => (modelOf(e) as unknown as { sessions: Record<string, RawSession> }).sessions['model']!;
const wasmEnv = () => (env.backends.onnx as { wasm: { numThreads?: number } }).wasm;

async function handle(req: BenchRequest): Promise<unknown> {
  switch (req.type) {
    case 'load': {
      env.useBrowserCache = req.browserCache;
      if (req.threads) wasmEnv().numThreads = req.threads;
      // The model lives on this origin (as the app's "local" model source: src/worker/runtime.ts).
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      env.remoteHost = `${self.location.origin}/`;
      env.remotePathTemplate = '{model}/';
      const t0 = performance.now();
      engine = await ElasticEngine.load(req.model.replace(/^\/+/, ''), { device: req.device, dtype: req.dtype });
      const figures: LoadFigures = { loadMs: performance.now() - t0, numThreads: wasmEnv().numThreads ?? 0, crossOriginIsolated: self.crossOriginIsolated, device: req.device, dtype: req.dtype };
      return figures;
    }
    case 'loop': {
      const e = loaded();
      return loopVsGenerate(e, modelOf(e), req.tokens, req.pairs, (s) => console.log(s));
    }
    case 'generate': {
      const e = loaded();
      const t0 = performance.now();
      const g = await timedGenerate(modelOf(e), e.encodePrompt(PROBLEM, true), req.tokens);
      if (g.generated !== req.tokens) throw new Error(`generate() produced ${g.generated} tokens, asked ${req.tokens}`);
      return { wallMs: performance.now() - t0, decodeMs: g.ms };
    }
    case 'ours': {
      const e = loaded();
      const t0 = performance.now();
      const { result } = await runTraced(e, e.encodePrompt(PROBLEM, true), [{ thinking: req.tokens, solution: 0 }]);
      if (result.stats.decodedTokens !== req.tokens) throw new Error(`our loop decoded ${result.stats.decodedTokens} tokens, asked ${req.tokens}`);
      return { wallMs: performance.now() - t0, decodeMs: result.stats.decodeMs };
    }
    case 'loopProfile': {
      // Where a step's time goes: each model.forward() call timed, under generate() and under our loop.
      const e = loaded();
      const model = modelOf(e) as unknown as { forward(i: unknown): Promise<unknown> };
      const forward = model.forward.bind(model);
      let calls: number[] = [];
      model.forward = async (i: unknown) => {
        const t0 = performance.now();
        const r = await forward(i);
        calls.push(performance.now() - t0);
        return r;
      };
      try {
        const promptIds = e.encodePrompt(PROBLEM, true);
        const input_ids = new Tensor('int64', BigInt64Array.from(promptIds.map(BigInt)), [1, promptIds.length]);
        let t0 = performance.now();
        await (model as unknown as { generate(a: unknown): Promise<unknown> }).generate({ input_ids, max_new_tokens: req.tokens, min_new_tokens: req.tokens, do_sample: false });
        const generate = { wallMs: performance.now() - t0, forwardMs: calls };
        calls = [];
        t0 = performance.now();
        const { feeds } = await runTraced(e, promptIds, [{ thinking: req.tokens, solution: 0 }]);
        return { generate, ours: { wallMs: performance.now() - t0, forwardMs: calls, backendMs: feeds.map((f) => f.ms) } };
      } finally {
        model.forward = forward;
      }
    }
    case 'prepareContexts': {
      const session = sessionOf(loaded());
      const past = session.inputMetadata.filter((m) => m.name.startsWith('past_key_values.'));
      const [kvHeads, headDim] = [Number(past[0]?.shape?.[1]), Number(past[0]?.shape?.[3])];
      for (const P of req.contexts) {
        contextFeeds.set(
          P,
          decodeFeeds(P, past, kvHeads, headDim, session.inputNames, (type, data, dims) => new Tensor(type, data as Float32Array, dims).ort_tensor as OrtTensor),
        );
      }
      return { contexts: req.contexts, kvHeads, headDim, pastType: past[0]?.type };
    }
    case 'step': {
      const feeds = contextFeeds.get(req.context);
      if (!feeds) throw new Error(`no caches prepared for ${req.context} positions`);
      const t0 = performance.now();
      const out = await sessionOf(loaded()).run(feeds);
      const ms = performance.now() - t0;
      for (const t of Object.values(out)) t.dispose?.();
      return ms;
    }
    case 'run': {
      const e = loaded();
      const r = await e.run({ problem: PROBLEM, paperSuffix: true, lanes: [{ thinking: req.tokens, solution: 0 }], sampling: { kind: 'greedy' } });
      return { ...r.stats, thinkingTokens: r.lanes[0]?.thinkingTokens };
    }
    case 'storage': {
      const cache = await caches.open('transformers-cache');
      const keys = await cache.keys();
      const estimate = await navigator.storage.estimate();
      return { cachedFiles: keys.map((k) => new URL(k.url).pathname), usage: estimate.usage, quota: estimate.quota };
    }
  }
}

self.onmessage = async (e: MessageEvent<BenchRequest & { id: number }>) => {
  const { id } = e.data;
  let reply: BenchReply;
  try {
    reply = { id, ok: true, value: await handle(e.data) };
  } catch (err) {
    reply = { id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) };
  }
  self.postMessage(reply);
};
