// The worker's message handlers: one per request type, over an injectable engine loader so
// they can be tested in Node without a model. The worker entry only routes messages here.
import { traceOfLanes, type DecodeEvent, type DecodeOptions, type DecodeResult } from '../core/decode.ts';
import type { RunPlan } from '../core/row-memory.ts';
import {
  assertNever,
  type Device,
  type Dtype,
  type FileProgress,
  type FromWorker,
  type GpuProbe,
  type RunSpec,
  type TestFault,
  type ToWorker,
} from './protocol.ts';

export interface HostEngine {
  readonly context: number;
  /** Why the context is below the model's declared length, or null (see contextFor). */
  readonly contextNote?: string | null;
  /** Set when storage refused to keep some of the model's files during the load (the quota's figures, when known). */
  readonly notCached?: { readonly usage: number | null; readonly quota: number | null };
  /** The weights were read from the cached files (ModelInfo.weightsFromCache). */
  readonly weightsFromCache?: boolean;
  /** Settles with a message if the GPU device behind this engine is lost (WebGPU only). */
  readonly lost?: Promise<string>;
  run(spec: RunSpec, opts: Omit<DecodeOptions, 'detokenize'>): Promise<DecodeResult>;
  /** The memory plan of `spec` (rows, cache, limits, batched or not); rejects with the numbers when it cannot fit. */
  plan(spec: RunSpec): Promise<RunPlan>;
  dispose(): Promise<void>;
}

export interface LoadRequest {
  readonly modelId: string;
  readonly device: Device;
  readonly dtype: Dtype;
  /** transformers.js progress events. */
  readonly progress: (p: unknown) => void;
}

export interface HostDeps {
  readonly post: (m: FromWorker) => void;
  readonly load: (req: LoadRequest) => Promise<HostEngine>;
  readonly probe: () => Promise<GpuProbe>;
  readonly isCached: (modelId: string) => Promise<boolean>;
  readonly clearCache: () => Promise<number>;
  /** Schedules a flush of batched tokens (setTimeout in the worker). */
  readonly schedule: (fn: () => void, ms: number) => void;
  readonly now: () => number;
  /** Provokes a real fault (e2e tests only send it). */
  readonly fault: (f: TestFault) => void;
}

/** How long a failed step waits to learn whether the device was lost under it. */
export const LOST_GRACE_MS = 250;

/** The value of `p` if it settles within `ms`, else null. */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
}

/** How often streamed tokens are posted to the page, at most. */
export const BATCH_MS = 33;

interface ActiveRun {
  readonly runId: string;
  readonly ctrl: AbortController;
}

export class WorkerHost {
  private engine: HostEngine | null = null;
  private engineModel: string | null = null;
  private loading: Promise<void> | null = null;
  /** Loads accepted and not yet finished: no run may start while the engine can change. */
  private pendingLoads = 0;
  private run: ActiveRun | null = null;

  constructor(private readonly deps: HostDeps) {}

  handle(msg: ToWorker): Promise<void> {
    switch (msg.type) {
      case 'probe':
        return this.onProbe();
      case 'load':
        return this.onLoad(msg.modelId, msg.device, msg.dtype);
      case 'run':
        return this.onRun(msg.runId, msg.spec);
      case 'stop':
        return this.onStop(msg.runId);
      case 'plan':
        return this.onPlan(msg.planId, msg.spec);
      case 'clearCache':
        return this.onClearCache();
      case 'testFault':
        return Promise.resolve(this.deps.fault(msg.fault));
      default:
        return assertNever(msg);
    }
  }

  private async onProbe(): Promise<void> {
    this.deps.post({ type: 'probed', probe: await this.deps.probe() });
  }

  private async onLoad(modelId: string, device: Device, dtype: Dtype): Promise<void> {
    if (this.run) {
      this.deps.post({ type: 'loadFailed', modelId, message: 'Stop the running generation before loading another model.' });
      return;
    }
    const previous = this.loading;
    this.pendingLoads++;
    const task = (async () => {
      await previous?.catch(() => {});
      if (this.run) {
        this.deps.post({ type: 'loadFailed', modelId, message: 'Stop the running generation before loading another model.' });
        return;
      }
      const files = new Map<string, FileProgress>();
      let lastPost = 0;
      const postProgress = (force: boolean) => {
        const t = this.deps.now();
        if (!force && t - lastPost < 100) return;
        lastPost = t;
        this.deps.post({ type: 'loadProgress', modelId, files: [...files.values()] });
      };
      const progress = (p: unknown) => {
        const e = p as { status?: string; file?: string; loaded?: number; total?: number };
        if (!e.file) return;
        const prev = files.get(e.file);
        if (e.status === 'progress' || e.status === 'initiate' || e.status === 'download') {
          files.set(e.file, { file: e.file, loaded: e.loaded ?? prev?.loaded ?? 0, total: e.total ?? prev?.total ?? 0, done: false });
          postProgress(false);
        } else if (e.status === 'done') {
          const total = prev?.total ?? e.total ?? 0;
          files.set(e.file, { file: e.file, loaded: total, total, done: true });
          postProgress(true);
        }
      };
      try {
        const fromCache = await this.deps.isCached(modelId).catch(() => false);
        const old = this.engine;
        this.engine = null;
        this.engineModel = null;
        await old?.dispose();
        const engine = await this.deps.load({ modelId, device, dtype, progress });
        this.engine = engine;
        this.engineModel = modelId;
        void engine.lost?.then((message) => {
          // Only the engine in use matters; the page recreates the worker on this message.
          if (this.engine === engine) this.deps.post({ type: 'deviceLost', message });
        });
        postProgress(true);
        this.deps.post({
          type: 'loaded',
          info: {
            modelId,
            device,
            dtype,
            context: engine.context,
            fromCache,
            ...(engine.weightsFromCache ? { weightsFromCache: true } : {}),
            ...(engine.contextNote ? { contextNote: engine.contextNote } : {}),
            // What the model needs kept: every file it downloaded.
            ...(engine.notCached ? { notCached: { ...engine.notCached, neededBytes: [...files.values()].reduce((a, f) => a + f.total, 0) } } : {}),
          },
        });
      } catch (e) {
        this.deps.post({ type: 'loadFailed', modelId, message: loadErrorMessage(modelId, e) });
      }
    })();
    this.loading = task;
    try {
      await task;
    } finally {
      this.pendingLoads--;
    }
  }

  private async onRun(runId: string, spec: RunSpec): Promise<void> {
    const engine = this.engine;
    if (!engine) {
      this.deps.post({ type: 'runFailed', runId, message: 'No model is loaded yet.' });
      return;
    }
    if (this.run) {
      this.deps.post({ type: 'runFailed', runId, message: 'A generation is already running; stop it first.' });
      return;
    }
    if (this.pendingLoads > 0) {
      this.deps.post({ type: 'runFailed', runId, message: 'A model is loading; run again when it is ready.' });
      return;
    }
    const ctrl = new AbortController();
    this.run = { runId, ctrl };
    const batcher = new TokenBatcher(runId, this.deps, this.deps.now(), traceOfLanes(spec));
    // Where each thinking token ends in the streamed trace, so the page can re-cut at a click.
    const thinkingEnds: number[] = [];
    let traceChars = 0;
    try {
      const result = await engine.run(spec, {
        signal: ctrl.signal,
        now: this.deps.now,
        onEvent: (e) => {
          // Re-cuts start from the first trace.
          if (e.type === 'token' && e.lane === null && !e.trace) thinkingEnds.push((traceChars += e.text.length));
          this.onDecodeEvent(runId, e, batcher);
        },
      });
      batcher.flush();
      this.deps.post({
        type: 'runFinished',
        runId,
        aborted: result.aborted,
        lanes: result.lanes.map((l) => ({
          thinkingText: l.thinkingText,
          solutionText: l.solutionText,
          thinkingTokens: l.thinkingTokens,
          thinkingEnd: l.thinkingEnd,
          solutionTokens: l.solutionTokens,
          solutionEnd: l.solutionEnd,
        })),
        stats: result.stats,
        thinkingIds: result.thinkingIds,
        thinkingEnds,
      });
    } catch (e) {
      batcher.flush();
      // A step that failed because the GPU device vanished is an interruption, not a model error:
      // the device-lost message (which the page turns into "interrupted") says what happened.
      const lost = engine.lost && (await settledWithin(engine.lost, LOST_GRACE_MS));
      if (lost) this.deps.post({ type: 'deviceLost', message: lost });
      else this.deps.post({ type: 'runFailed', runId, message: e instanceof Error ? e.message : String(e) });
    } finally {
      this.run = null;
    }
  }

  private onDecodeEvent(runId: string, e: DecodeEvent, batcher: TokenBatcher): void {
    switch (e.type) {
      case 'prefill':
        this.deps.post({ type: 'runStarted', runId, promptTokens: e.promptTokens });
        return;
      case 'token':
        batcher.add(e);
        return;
      case 'thinkingEnded':
        batcher.flush();
        batcher.thinkingEnded(e.lane);
        this.deps.post({ type: 'thinkingEnded', runId, lane: e.lane, how: e.how, tokens: e.tokens, traceChars: e.traceChars });
        return;
      case 'solutionEnded':
        batcher.flush();
        this.deps.post({ type: 'solutionEnded', runId, lane: e.lane, how: e.how, tokens: e.tokens });
        return;
      default:
        assertNever(e);
    }
  }

  private async onPlan(planId: string, spec: RunSpec): Promise<void> {
    const engine = this.engine;
    const modelId = this.engineModel;
    if (!engine || this.pendingLoads > 0) {
      this.deps.post({ type: 'planned', planId, modelId: null, plan: null, error: 'No model is loaded yet: the memory plan shows once one is.' });
      return;
    }
    try {
      this.deps.post({ type: 'planned', planId, modelId, plan: await engine.plan(spec), error: null });
    } catch (e) {
      this.deps.post({ type: 'planned', planId, modelId, plan: null, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private async onStop(runId: string): Promise<void> {
    // Cooperative: the decode loop checks the signal between model calls.
    if (this.run?.runId === runId) this.run.ctrl.abort();
  }

  private async onClearCache(): Promise<void> {
    try {
      const bytesFreed = await this.deps.clearCache();
      this.deps.post({ type: 'cacheCleared', bytesFreed, refused: null });
    } catch (e) {
      this.deps.post({ type: 'cacheCleared', bytesFreed: 0, refused: e instanceof Error ? e.message : String(e) });
    }
  }
}

/** Collects streamed tokens and posts them at most every BATCH_MS. */
class TokenBatcher {
  private thinking = '';
  private thinkingTokens = 0;
  private solutions: Record<number, string> = {};
  private solutionTokens: Record<number, number> = {};
  private laneThinking: Record<number, string> = {};
  private laneThinkingTokens: Record<number, number> = {};
  private pending = false;
  private scheduled = false;
  /** Runs with several traces: the lanes still thinking, to which each trace's text goes. */
  private readonly thinkingLanes: Set<number>;
  private readonly manyTraces: boolean;

  private firstTokenAt: number | null = null;

  constructor(
    private readonly runId: string,
    private readonly deps: HostDeps,
    private readonly startedAt: number,
    private readonly laneTrace: readonly number[] = [],
  ) {
    this.manyTraces = laneTrace.some((t) => t > 0);
    this.thinkingLanes = new Set(laneTrace.keys());
  }

  thinkingEnded(lane: number): void {
    this.thinkingLanes.delete(lane);
  }

  add(e: Extract<DecodeEvent, { type: 'token' }>): void {
    this.firstTokenAt ??= this.deps.now();
    if (e.lane === null || e.phase === 'thinking') {
      const trace = e.trace ?? 0;
      if (trace === 0) {
        this.thinking += e.text;
        this.thinkingTokens++;
      }
      if (this.manyTraces) {
        for (const lane of this.thinkingLanes) {
          if (this.laneTrace[lane] !== trace) continue;
          this.laneThinking[lane] = (this.laneThinking[lane] ?? '') + e.text;
          this.laneThinkingTokens[lane] = (this.laneThinkingTokens[lane] ?? 0) + 1;
        }
      }
    } else {
      this.solutions[e.lane] = (this.solutions[e.lane] ?? '') + e.text;
      this.solutionTokens[e.lane] = (this.solutionTokens[e.lane] ?? 0) + 1;
    }
    this.pending = true;
    if (!this.scheduled) {
      this.scheduled = true;
      this.deps.schedule(() => {
        this.scheduled = false;
        this.flush();
      }, BATCH_MS);
    }
  }

  flush(): void {
    if (!this.pending) return;
    this.deps.post({
      type: 'tokens',
      runId: this.runId,
      batch: {
        thinking: this.thinking,
        thinkingTokens: this.thinkingTokens,
        solutions: this.solutions,
        solutionTokens: this.solutionTokens,
        ...(this.manyTraces ? { laneThinking: this.laneThinking, laneThinkingTokens: this.laneThinkingTokens } : {}),
        ttftMs: this.firstTokenAt === null ? 0 : this.firstTokenAt - this.startedAt,
        decodeMs: this.firstTokenAt === null ? 0 : this.deps.now() - this.firstTokenAt,
      },
    });
    this.thinking = '';
    this.thinkingTokens = 0;
    this.solutions = {};
    this.solutionTokens = {};
    this.laneThinking = {};
    this.laneThinkingTokens = {};
    this.pending = false;
  }
}

export function loadErrorMessage(modelId: string, e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  if (/Failed to fetch|NetworkError|ERR_INTERNET|network/i.test(raw)) {
    return `Could not download ${modelId}: the network or the Hugging Face Hub is unreachable (${raw}). Models already in the cache still load offline.`;
  }
  if (/404|not found|Could not locate file/i.test(raw)) {
    return `${modelId} was not found, or it is not a transformers.js model folder (config.json, tokenizer files and onnx/ with the chosen dtype). (${raw})`;
  }
  if (/requires f16|shader-f16/i.test(raw)) {
    return `This GPU cannot run fp16 shaders, so the q4f16 files cannot run here; choose q4. (${raw})`;
  }
  return `Could not load ${modelId}: ${raw}`;
}
