// Messages between the page and the model worker: one union per direction, each payload tied
// to its `type`. Types only — both sides import this file, neither imports the other.
import type { LaneBudget, SolutionEnd, ThinkingEnd } from '../core/policy.ts';
import type { Sampling } from '../core/sampler.ts';
import type { DecodeStats, LaneEnd } from '../core/decode.ts';
import type { RunPlan } from '../core/row-memory.ts';

export type Device = 'webgpu' | 'wasm';
export type Dtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'q8';

export interface GpuProbe {
  readonly webgpu: boolean;
  readonly shaderF16: boolean;
  /** Adapter vendor/architecture, or why there is none. */
  readonly adapter: string;
}

export interface ModelInfo {
  readonly modelId: string;
  readonly device: Device;
  readonly dtype: Dtype;
  readonly context: number;
  readonly fromCache: boolean;
  /**
   * The runtime read the weights from the files in Cache Storage (Blobs, a tensor at a time) rather
   * than from copies read whole into memory first (issue 14: a first download is streamed into the
   * cache, then read from there). Absent when they were read into memory.
   */
  readonly weightsFromCache?: boolean;
  /** Why `context` is below the model's declared length (the device cannot hold its KV cache); absent when it is not. */
  readonly contextNote?: string;
  /** Storage was full: the model loaded but some of its files were not kept (it downloads again next time). */
  readonly notCached?: { readonly neededBytes: number; readonly usage: number | null; readonly quota: number | null };
}

export interface FileProgress {
  readonly file: string;
  readonly loaded: number;
  readonly total: number;
  readonly done: boolean;
}

export interface RunSpec {
  readonly problem: string;
  readonly paperSuffix: boolean;
  readonly lanes: readonly LaneBudget[];
  readonly sampling: Sampling;
  /**
   * A re-cut: the thinking is these ids (the first k of a finished trace), then `</think>`; one
   * lane, with thinking = k. Omitted for an ordinary run.
   */
  readonly forcedThinking?: readonly number[];
  /**
   * Sampled runs: each lane's seed (else `sampling.seed` for all). Lanes of one seed share a
   * thinking trace; each seed gets its own, all decoded in the same model calls (independent
   * runs of one model at different seeds).
   */
  readonly laneSeeds?: readonly number[];
}

/** Tokens produced since the last batch, grouped by stream. */
export interface TokenBatch {
  /** Text appended to the shared thinking trace. */
  readonly thinking: string;
  readonly thinkingTokens: number;
  /** Text appended to each lane's solution, by lane index. */
  readonly solutions: Readonly<Record<number, string>>;
  readonly solutionTokens: Readonly<Record<number, number>>;
  /**
   * Runs with several traces (laneSeeds): thinking text and tokens appended to each lane still
   * thinking, by lane index (`thinking` then carries the first trace only).
   */
  readonly laneThinking?: Readonly<Record<number, string>>;
  readonly laneThinkingTokens?: Readonly<Record<number, number>>;
  /** Time from the run's start to its first token, once there is one. */
  readonly ttftMs: number;
  /** Time from the first token to this batch. */
  readonly decodeMs: number;
}

export interface LaneSummary {
  /** Exact texts (the streamed ones can lack a held-back partial character). */
  readonly thinkingText: string;
  readonly solutionText: string;
  readonly thinkingTokens: number;
  readonly thinkingEnd: ThinkingEnd | 'aborted';
  readonly solutionTokens: number;
  readonly solutionEnd: LaneEnd;
}

export type ToWorker =
  | { readonly type: 'probe' }
  | { readonly type: 'load'; readonly modelId: string; readonly device: Device; readonly dtype: Dtype }
  | { readonly type: 'run'; readonly runId: string; readonly spec: RunSpec }
  | { readonly type: 'stop'; readonly runId: string }
  /** The memory plan of a run before it starts (the Compare view shows it); answered by `planned`. */
  | { readonly type: 'plan'; readonly planId: string; readonly spec: RunSpec }
  | { readonly type: 'clearCache' }
  /** Test hook (e2e): crash the worker or lose the GPU device, as real faults would. */
  | { readonly type: 'testFault'; readonly fault: TestFault };

/** `throw`: an uncaught error; `close`: the worker ends silently; `destroyDevice`: GPUDevice.destroy(). */
export type TestFault = 'throw' | 'close' | 'destroyDevice';

export type FromWorker =
  /**
   * The worker is listening. `lifeLock` names a Web Lock the worker holds for as long as it lives:
   * the page queues a request for it, which is granted the moment the worker ends for any reason
   * (crash, out of memory, close) — no polling, no false alarm while a long step blocks the worker.
   */
  | { readonly type: 'ready'; readonly lifeLock: string | null }
  | { readonly type: 'probed'; readonly probe: GpuProbe }
  | { readonly type: 'loadProgress'; readonly modelId: string; readonly files: readonly FileProgress[] }
  | { readonly type: 'loaded'; readonly info: ModelInfo }
  | { readonly type: 'loadFailed'; readonly modelId: string; readonly message: string }
  | { readonly type: 'runStarted'; readonly runId: string; readonly promptTokens: number }
  | { readonly type: 'tokens'; readonly runId: string; readonly batch: TokenBatch }
  | {
      readonly type: 'thinkingEnded';
      readonly runId: string;
      readonly lane: number;
      readonly how: ThinkingEnd;
      readonly tokens: number;
      readonly traceChars: number;
    }
  | { readonly type: 'solutionEnded'; readonly runId: string; readonly lane: number; readonly how: SolutionEnd; readonly tokens: number }
  | {
      readonly type: 'runFinished';
      readonly runId: string;
      readonly aborted: boolean;
      readonly lanes: readonly LaneSummary[];
      readonly stats: DecodeStats;
      /** The shared thinking trace's ids, and where each token ends in its streamed text (for re-cuts). */
      readonly thinkingIds: readonly number[];
      readonly thinkingEnds: readonly number[];
    }
  | { readonly type: 'runFailed'; readonly runId: string; readonly message: string }
  /** A run's memory plan, or why there is none (no model loaded, or the run would not fit: the numbers). */
  | { readonly type: 'planned'; readonly planId: string; readonly modelId: string | null; readonly plan: RunPlan | null; readonly error: string | null }
  /** `refused`: why nothing was cleared (a conversion is writing the cache), or null. */
  | { readonly type: 'cacheCleared'; readonly bytesFreed: number; readonly refused: string | null }
  /** The WebGPU device is gone (GPUDevice.lost): the loaded model cannot run any more. */
  | { readonly type: 'deviceLost'; readonly message: string };

export function assertNever(x: never): never {
  throw new Error(`Unhandled message: ${JSON.stringify(x)}`);
}
