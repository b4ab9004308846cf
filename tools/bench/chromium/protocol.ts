// Messages between the Chromium bench page (entry.ts, driven by tools/bench/chromium-items.ts) and
// its model worker (bench.worker.ts). The bench's own union: the app's worker protocol
// (src/worker/protocol.ts) stays the app's.
import type { Dtype } from '../../../src/worker/protocol.ts';

export type BenchRequest =
  /** Loads `model` (a folder path on this origin) with the app's engine; `threads` sets ORT's numThreads (WASM). */
  | { readonly type: 'load'; readonly model: string; readonly device: 'wasm' | 'webgpu'; readonly dtype: Dtype; readonly threads?: number; readonly browserCache: boolean }
  /** Our decode loop against generate(), `pairs` alternating pairs of `tokens` decoded tokens. */
  | { readonly type: 'loop'; readonly tokens: number; readonly pairs: number }
  /** One greedy generate() of `tokens` tokens, or one run of our loop thinking `tokens` tokens: wall ms and ms after the prefill. */
  | { readonly type: 'generate' | 'ours'; readonly tokens: number }
  /** Each model.forward() call timed under generate() and under our loop (`tokens` decoded each). */
  | { readonly type: 'loopProfile'; readonly tokens: number }
  /** Builds random caches for each context (the raw session's feeds). */
  | { readonly type: 'prepareContexts'; readonly contexts: readonly number[] }
  /** One decode step on the raw session with `context` positions cached: its ms. */
  | { readonly type: 'step'; readonly context: number }
  /** One greedy run of our loop decoding `tokens` tokens: its stats. */
  | { readonly type: 'run'; readonly tokens: number }
  /** What Cache Storage holds (transformers.js' cache) and the storage estimate. */
  | { readonly type: 'storage' };

export type BenchReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

export interface LoadFigures {
  readonly loadMs: number;
  readonly numThreads: number;
  readonly crossOriginIsolated: boolean;
  readonly device: string;
  readonly dtype: string;
}
