// The bench's figures measured in Node on a converted full-size model (onnxruntime-node, CPU):
// decode cost against context (raw ONNX Runtime session, synthetic caches), our decode loop
// against transformers.js generate(), prefill and the 2-token budget cut, and a budget sweep
// against separate runs. Every figure is a ratio of two things measured in this process, in
// alternation where the order could bias it, or a count.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { env } from '@huggingface/transformers';
import { ElasticEngine } from '../../src/worker/engine.ts';
import { byContext, decodeFeeds, type EngineModel, median, PROBLEM, round, runTraced } from './measure.ts';

export { loopVsGenerate } from './measure.ts';

/** A converted model: a folder (the converter's output, any graph variant) and the dtype to load. */
export interface ModelUnderTest {
  readonly dir: string;
  readonly dtype: 'q4' | 'q4f16' | 'fp32';
}

const onnxFile = (m: ModelUnderTest) => join(m.dir, 'onnx', m.dtype === 'fp32' ? 'model.onnx' : `model_${m.dtype}.onnx`);

/**
 * 2.1: ms per decoded token with `contexts` positions in the cache, on the raw session (the
 * graph alone, no transformers.js). Caches are random tensors of each length, built once; rounds
 * alternate the contexts so load changes hit every context alike.
 */
export async function decodeVsContext(m: ModelUnderTest, contexts: readonly number[], rounds: number, log: (s: string) => void) {
  const session = await ort.InferenceSession.create(onnxFile(m), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const meta = (session as unknown as { inputMetadata: { name: string; type?: string; shape?: (number | string)[] }[] }).inputMetadata;
  const pastNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const pastMeta = meta.find((x) => x.name === pastNames[0]);
  const [kvHeads, headDim] = [Number(pastMeta?.shape?.[1]), Number(pastMeta?.shape?.[3])];
  const pastFor = (P: number) =>
    decodeFeeds(P, pastNames.map((name) => ({ name, type: meta.find((x) => x.name === name)?.type })), kvHeads, headDim, session.inputNames, (type, data, dims) => new ort.Tensor(type, data, dims));
  const feeds = new Map(contexts.map((P) => [P, pastFor(P)]));
  const times = new Map<number, number[]>(contexts.map((P) => [P, []]));
  for (const P of contexts) await session.run(feeds.get(P)!); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const P of r % 2 ? [...contexts].reverse() : contexts) {
      const t0 = performance.now();
      await session.run(feeds.get(P)!);
      times.get(P)!.push(performance.now() - t0);
    }
    log(`decode: round ${r + 1}/${rounds}: ${contexts.map((P) => `${P}: ${times.get(P)!.at(-1)!.toFixed(0)} ms`).join(', ')}`);
  }
  await session.release();
  return byContext(contexts, times);
}

/** The loaded full-size model, through the app's engine (the model the engine owns is reused for generate()). */
export async function loadEngine(m: ModelUnderTest): Promise<{ engine: ElasticEngine; model: EngineModel }> {
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = `${join(m.dir, '..')}/`;
  const engine = await ElasticEngine.load(m.dir.split('/').pop()!, { device: 'cpu', dtype: m.dtype });
  // generate() runs on the same session as our loop: same weights, same threads.
  const model = (engine as unknown as { model: EngineModel }).model;
  return { engine, model };
}

/** A prompt of exactly `n` ids: the chat template around a long problem, cut before its last ids. */
function promptOf(engine: ElasticEngine, n: number): number[] {
  const full = engine.encodePrompt(Array.from({ length: 40 }, () => PROBLEM).join('\n\n'), true);
  const TAIL = 6; // "…\boxed{}.<｜Assistant｜><think>\n"
  return [...full.slice(0, n - TAIL), ...full.slice(-TAIL)];
}

/** 2.3: prefill of a `promptTokens` prompt; the tokens fed at a budget cut, and that step against a re-prefill of prompt + thinking. */
export async function prefillAndCut(engine: ElasticEngine, promptTokens: number, thinking: number, log: (s: string) => void) {
  const promptIds = promptOf(engine, promptTokens);
  const { result, feeds } = await runTraced(engine, promptIds, [{ thinking, solution: 4 }]);
  const prefill = feeds[0]!;
  // After the prefill, one feed per thinking token; the cut is the first feed of another length.
  const cutIndex = feeds.findIndex((f, i) => i > 0 && f.n !== 1);
  const cut = feeds[cutIndex]!;
  const single = median(feeds.slice(1, cutIndex).map((f) => f.ms));
  log(`prefill ${prefill.n} tokens in ${prefill.ms.toFixed(0)} ms; cut feed ${cut.n} tokens in ${cut.ms.toFixed(0)} ms`);
  const backend = engine.backend();
  const t0 = performance.now();
  const [re] = await backend.forward([{ feed: [...promptIds, ...result.thinkingIds], past: null }]);
  const reMs = performance.now() - t0;
  backend.release(re!.cache);
  engine.ledger.compact();
  log(`re-prefill of prompt + thinking (${promptIds.length + result.thinkingIds.length} tokens): ${reMs.toFixed(0)} ms`);
  return {
    promptTokens: prefill.n,
    prefillTokensPerSecond: round((prefill.n * 1000) / prefill.ms),
    prefillVsDecodeTokensPerSecond: round(prefill.n / prefill.ms / (1 / single)),
    thinkingTokens: result.lanes[0]!.thinkingTokens,
    tokensFedAtCut: cut.n,
    cutStepMs: round(cut.ms, 1),
    rePrefillTokens: promptIds.length + result.thinkingIds.length,
    rePrefillMs: round(reMs, 0),
    rePrefillOverCut: round(reMs / cut.ms, 1),
  };
}

/** 2.4: one sweep over `budgets` against a separate run per budget: decoded tokens and wall time. */
export async function sweepVsSeparate(engine: ElasticEngine, budgets: readonly number[], solution: number, log: (s: string) => void) {
  const promptIds = engine.encodePrompt(PROBLEM, true);
  const lanes = budgets.map((t) => ({ thinking: t, solution }));
  const sweep = await runTraced(engine, promptIds, lanes);
  log(`sweep ${budgets.join('/')}: ${sweep.result.stats.decodedTokens} tokens in ${(sweep.wallMs / 1000).toFixed(1)} s`);
  let sepTokens = 0;
  let sepMs = 0;
  let sepFed = 0;
  for (const lane of lanes) {
    const r = await runTraced(engine, promptIds, [lane]);
    sepTokens += r.result.stats.decodedTokens;
    sepFed += r.result.stats.tokensFed;
    sepMs += r.wallMs;
  }
  log(`separate runs: ${sepTokens} tokens in ${(sepMs / 1000).toFixed(1)} s`);
  return {
    budgets: [...budgets],
    solution,
    promptTokens: promptIds.length,
    sweepDecodedTokens: sweep.result.stats.decodedTokens,
    separateDecodedTokens: sepTokens,
    sweepTokensFed: sweep.result.stats.tokensFed,
    separateTokensFed: sepFed,
    sweepWallS: round(sweep.wallMs / 1000, 1),
    separateWallS: round(sepMs / 1000, 1),
    wallRatio: round(sepMs / sweep.wallMs),
  };
}
