// Measurements shared by the bench's Node items (node-items.ts) and its Chromium items (the
// bench worker, tools/bench/chromium/bench.worker.ts): no Node-only imports here. Our decode loop
// against transformers.js generate(), a traced run of our loop, and the random KV caches of the
// decode-vs-context item.
import { Tensor } from '@huggingface/transformers';
import { decode, type DecodeResult } from '../../src/core/decode.ts';
import type { Budgets } from '../../src/core/policy.ts';
import type { ElasticEngine, TransformersBackend } from '../../src/worker/engine.ts';

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const round = (x: number, digits = 2) => Number(x.toFixed(digits));


export const PROBLEM =
  'Let $a$, $b$ and $c$ be positive real numbers with $a + b + c = 1$. Find the minimum of $\\frac{1}{a} + \\frac{4}{b} + \\frac{9}{c}$, and the values of $a$, $b$, $c$ where it is reached.';

export type EngineModel = ConstructorParameters<typeof TransformersBackend>[0];

/** Runs our loop; records the length of every feed. */
export async function runTraced(engine: ElasticEngine, promptIds: readonly number[], lanes: readonly Budgets[], cpuClock?: CpuClock) {
  const backend = engine.backend();
  const feeds: { n: number; ms: number }[] = [];
  const forward = backend.forward.bind(backend);
  let prefillEndCpu: number | null = null;
  // One entry per row fed (on CPU with q4 weights the engine feeds one row per call).
  backend.forward = async (rows) => {
    const t0 = performance.now();
    const r = await forward(rows);
    const ms = performance.now() - t0;
    if (cpuClock) prefillEndCpu ??= cpuClock();
    for (const row of rows) feeds.push({ n: row.feed.length, ms });
    return r;
  };
  const t0 = performance.now();
  const result: DecodeResult = await decode(backend, { promptIds, lanes, sampling: { kind: 'greedy' }, ids: engine.info.ids, context: engine.info.context }, { now: () => performance.now() });
  // CPU ms of the decode after the prefill (null without a clock).
  const cpuMs = cpuClock && prefillEndCpu !== null ? cpuClock() - prefillEndCpu : null;
  engine.ledger.compact();
  return { result, feeds, wallMs: performance.now() - t0, cpuMs };
}

/** CPU time of the process in ms (Node: `process.cpuUsage`); absent where the runtime has none. */
export type CpuClock = () => number;

/** generate() of `n` greedy tokens: ms from the end of its first model call (the prefill) to its end. */
export async function timedGenerate(model: EngineModel, promptIds: readonly number[], n: number, cpuClock?: CpuClock) {
  const m = model as unknown as { forward(i: unknown): Promise<unknown>; generate(a: unknown): Promise<{ dims: number[]; dispose?: () => void }> };
  const input_ids = new Tensor('int64', BigInt64Array.from(promptIds.map(BigInt)), [1, promptIds.length]);
  const forward = m.forward;
  let prefillEnd: number | null = null;
  let prefillEndCpu: number | null = null;
  m.forward = async (i: unknown) => {
    const r = await forward.call(m, i);
    prefillEnd ??= performance.now();
    if (cpuClock) prefillEndCpu ??= cpuClock();
    return r;
  };
  try {
    const out = await m.generate({ input_ids, max_new_tokens: n, min_new_tokens: n, do_sample: false });
    const ms = performance.now() - prefillEnd!;
    const cpuMs = cpuClock && prefillEndCpu !== null ? cpuClock() - prefillEndCpu : null;
    out.dispose?.();
    return { ms, cpuMs, generated: out.dims[1]! - promptIds.length };
  } finally {
    m.forward = forward;
  }
}

/**
 * 2.2: our loop's decode tokens/s against generate()'s (greedy, same model and session),
 * alternating. Both count the same span: from the end of the prefill's model call (ours: the first
 * token sampled) to the last token, over the tokens decoded after the first.
 */
export async function loopVsGenerate(engine: ElasticEngine, model: EngineModel, tokens: number, pairs: number, log: (s: string) => void, cpuClock?: CpuClock) {
  const promptIds = engine.encodePrompt(PROBLEM, true);
  const ours: number[] = [];
  const theirs: number[] = [];
  // With a CPU clock, the CPU ms of each side too: on a shared machine the wall clock counts the
  // others' load, the process's CPU time counts only its own work.
  const cpuRatios: number[] = [];
  const gen = (n: number) => timedGenerate(model, promptIds, n, cpuClock);
  // Warm-up, untimed: a session's first runs allocate and (on WASM/WebGPU) compile kernels.
  await gen(2);
  await runTraced(engine, promptIds, [{ thinking: 2, solution: 0 }]);
  for (let p = 0; p < pairs; p++) {
    const g = await gen(tokens + 1);
    if (g.generated !== tokens + 1) throw new Error(`generate() produced ${g.generated} tokens, asked ${tokens + 1}`);
    theirs.push((tokens * 1000) / g.ms);
    const { result, cpuMs } = await runTraced(engine, promptIds, [{ thinking: tokens + 1, solution: 0 }], cpuClock);
    ours.push(result.stats.tokensPerSecond);
    // Same tokens on both sides: generate()'s CPU over ours is our speed over its, by CPU time.
    if (cpuMs !== null && g.cpuMs !== null) cpuRatios.push(g.cpuMs / cpuMs);
    const cpu = cpuRatios.length > p ? `; CPU ms ours ${cpuMs!.toFixed(0)}, generate ${g.cpuMs!.toFixed(0)}` : '';
    log(`loop vs generate: pair ${p + 1}/${pairs}: ours ${ours.at(-1)!.toFixed(2)} tok/s, generate ${theirs.at(-1)!.toFixed(2)} tok/s${cpu}`);
  }
  // The ratio is the median of the pairs' ratios: each pair's two sides ran back to back, under
  // about the same load (a ratio of the two medians would mix pairs taken under different loads).
  const pairRatios = ours.map((o, i) => round(o / theirs[i]!));
  return {
    promptTokens: promptIds.length,
    decodedTokens: tokens,
    oursTokensPerSecond: round(median(ours)),
    generateTokensPerSecond: round(median(theirs)),
    pairRatios,
    ratio: round(median(ours.map((o, i) => o / theirs[i]!))),
    ...(cpuRatios.length ? { cpuPairRatios: cpuRatios.map((r) => round(r)), ratioByCpuTime: round(median(cpuRatios)) } : {}),
  };
}

/** A past input of the graph: its name and element type (the shapes are [1, kvHeads, P, headDim]). */
export interface PastSpec {
  readonly name: string;
  readonly type?: string;
}

/**
 * Feeds for one decode step with `P` random positions in the cache: per past input its element
 * type and data ([1, kvHeads, P, headDim]), and the ids, mask and position of one new token.
 * `tensor` builds the runtime's tensor (onnxruntime-node's or onnxruntime-web's).
 */
export function decodeFeeds<T>(
  P: number,
  past: readonly PastSpec[],
  kvHeads: number,
  headDim: number,
  inputNames: readonly string[],
  tensor: (type: 'float32' | 'float16' | 'int64', data: Float32Array | Uint16Array | BigInt64Array, dims: number[]) => T,
): Record<string, T> {
  const feeds: Record<string, T> = {};
  const n = kvHeads * P * headDim;
  for (const { name, type } of past) {
    if (type === 'float16') {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = 0x3000 + ((i * 2654435761) >>> 22); // small positive halves
      feeds[name] = tensor('float16', h, [1, kvHeads, P, headDim]);
    } else {
      const f = new Float32Array(n);
      for (let i = 0; i < n; i++) f[i] = Math.sin(i * 12.9898) * 0.5;
      feeds[name] = tensor('float32', f, [1, kvHeads, P, headDim]);
    }
  }
  feeds['input_ids'] = tensor('int64', BigInt64Array.from([1000n]), [1, 1]);
  feeds['attention_mask'] = tensor('int64', new BigInt64Array(P + 1).fill(1n), [1, P + 1]);
  feeds['position_ids'] = tensor('int64', BigInt64Array.from([BigInt(P)]), [1, 1]);
  if (inputNames.includes('num_logits_to_keep')) feeds['num_logits_to_keep'] = tensor('int64', BigInt64Array.from([1n]), []);
  return feeds;
}

/** Per context, the median ms and its ratio to the first context's (the 128 figure). */
export function byContext(contexts: readonly number[], times: ReadonlyMap<number, readonly number[]>) {
  const base = median(times.get(contexts[0]!)!);
  return Object.fromEntries(
    contexts.map((P) => {
      const ms = median(times.get(P)!);
      return [P, { msPerToken: round(ms, 1), ratioTo128: round(ms / base), speedVs128: round(base / ms) }];
    }),
  );
}
