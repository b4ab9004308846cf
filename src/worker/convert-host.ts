// The converter worker's message handlers, over injectable sources, cache, staging and quota so
// they run in Node with fakes. The worker entry (convert.worker.ts) only routes messages here.
import { ConvertError, convertQwen2, verifyConversion, type ConvertProgress } from '../convert/convert.ts';
import { planConversion, type ConvertPlan } from '../convert/convert-plan.ts';
import { MissingFileError } from '../convert/io.ts';
import { UnsupportedModelError } from '../convert/qwen2-config.ts';
import { SafetensorsError } from '../convert/safetensors.ts';
import {
  assertNeverConvert,
  type ConvertDtype,
  type ConvertSource,
  type FromConvertWorker,
  type JobProgress,
  type PlanSummary,
  type StorageQuota,
  type StoredModel,
  type ToConvertWorker,
} from './convert-protocol.ts';
import { SourceError, countingSource, type OpenedSource } from './convert-sources.ts';
import { cacheSource, cacheWriter, listConverted, removeConverted, type CacheLike, type Stager } from './convert-storage.ts';

export interface ConvertHostDeps {
  readonly post: (m: FromConvertWorker) => void;
  readonly openSource: (source: ConvertSource) => Promise<OpenedSource>;
  readonly openCache: () => Promise<CacheLike>;
  /** Origin of the app (cache keys are absolute URLs on it). */
  readonly origin: string;
  readonly stager: () => Promise<Stager>;
  readonly estimate: () => Promise<StorageQuota | null>;
  readonly now: () => number;
  /** Largest external data file (default 512 MiB: the staging area needs one file's worth of room). */
  readonly maxDataFileBytes?: number;
  /** Checkpoint bytes per read (default 16 MiB). */
  readonly chunkBytes?: number;
  /**
   * Runs `fn` holding the conversion lock shared by every tab (Web Locks, CONVERT_LOCK); false,
   * without running it, when another tab holds it. Default: no other tabs (tests).
   */
  readonly exclusive?: (fn: () => Promise<void>) => Promise<boolean>;
}

export const BUSY_ELSEWHERE = 'Another tab of this app is converting a model. Wait for it to finish (or cancel it there), then convert again.';

/** Free space asked for beyond the estimate (graph sizes are estimated). */
const MARGIN = 1.05;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A message that names the problem, for every failure the converter can hit. */
export function convertErrorMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  const name = e instanceof Error ? e.name : '';
  if (e instanceof UnsupportedModelError) return `Unsupported model: ${raw}.`;
  if (e instanceof SafetensorsError && /: read failed \(/.test(raw)) {
    return `Reading the checkpoint failed: ${raw}. The download was interrupted or the file is shorter than its header says.`;
  }
  if (e instanceof SafetensorsError) return `Bad checkpoint: ${raw}.`;
  if (e instanceof MissingFileError) return `Missing file: ${raw.replace(/^missing (file|shard)( on the Hub)?: /, '')} — the model folder is incomplete.`.replace('Missing file: missing', 'Missing');
  if (e instanceof RangeError) return `Truncated file: ${raw}.`;
  if (e instanceof ConvertError) return /aborted/.test(raw) ? 'Conversion cancelled; nothing was kept.' : `Conversion failed: ${raw}.`;
  if (e instanceof SourceError) return `Could not read the source: ${raw}.`;
  if (name === 'QuotaExceededError') return `Storage is full: the browser refused to store more (${raw}). Free some space (or remove other converted models) and convert again.`;
  if (e instanceof TypeError && /fetch|network/i.test(raw)) return `Download failed: ${raw}. Check the connection and try again.`;
  return `Conversion failed: ${raw}`;
}

/** Bytes read to measure the download rate before converting. */
export const RATE_SAMPLE_BYTES = 4 * 1024 * 1024;

/** Times one ranged read from the largest input file: the download rate to expect, in bytes/s. */
async function measureRate(opened: OpenedSource, plan: ConvertPlan, now: () => number): Promise<number | null> {
  const largest = [...plan.inputs].sort((a, b) => b.bytes - a.bytes)[0];
  if (!largest || largest.bytes === 0) return null;
  const n = Math.min(RATE_SAMPLE_BYTES, largest.bytes);
  const t0 = now();
  await opened.src.read(largest.name, largest.bytes - n, n);
  const ms = Math.max(now() - t0, 1);
  return (n * 1000) / ms;
}

interface Job {
  readonly jobId: string;
  readonly modelId: string;
  readonly ctrl: AbortController;
}

export class ConvertHost {
  private job: Job | null = null;

  constructor(private readonly deps: ConvertHostDeps) {}

  /** Runs `fn` under the conversion lock (all tabs); false without running it when another holds it. */
  private exclusive(fn: () => Promise<void>): Promise<boolean> {
    return this.deps.exclusive ? this.deps.exclusive(fn) : fn().then(() => true);
  }

  private get maxDataFileBytes() {
    return this.deps.maxDataFileBytes ?? 512 * 1024 * 1024;
  }

  handle(msg: ToConvertWorker): Promise<void> {
    switch (msg.type) {
      case 'plan':
        return this.onPlan(msg.requestId, msg.source, msg.dtypes);
      case 'convert':
        return this.onConvert(msg.jobId, msg.source, msg.dtypes);
      case 'cancel':
        return this.onCancel(msg.jobId);
      case 'list':
        return this.onList();
      case 'remove':
        return this.onRemove(msg.modelId);
      case 'testFault':
        return Promise.resolve(); // the worker entry provokes it
      default:
        return assertNeverConvert(msg);
    }
  }

  /** Sizes and quota for `plan`; `problem` says why it cannot be stored. */
  private async summarize(opened: OpenedSource, plan: ConvertPlan, cache: CacheLike, bytesPerSecond: number | null = null): Promise<PlanSummary> {
    const existing = await listConverted(cache, this.deps.origin);
    const same = existing.find((m) => m.modelId === opened.modelId);
    const neededBytes = Math.ceil((plan.storeBytes + plan.largestFileBytes) * MARGIN);
    const quota = await this.deps.estimate().catch(() => null);
    let problem: string | null = null;
    if (quota) {
      // Converting again replaces (first deletes) the stored copy.
      const available = quota.quota - quota.usage + (same?.bytes ?? 0);
      if (available < neededBytes) {
        problem =
          `Not enough storage: the conversion needs about ${formatBytes(neededBytes)} free ` +
          `(${formatBytes(plan.storeBytes)} kept, plus ${formatBytes(plan.largestFileBytes)} while a file is written), ` +
          `but this browser allows this site only ${formatBytes(Math.max(0, available))} more.`;
      }
    }
    return {
      modelId: opened.modelId,
      sourceLabel: opened.label,
      dtypes: plan.dtypes,
      inputs: plan.inputs,
      downloadBytes: plan.downloadBytes,
      storeBytes: plan.storeBytes,
      neededBytes,
      parameters: plan.parameters,
      quota,
      problem,
      alreadyStored: !!same && same.problems.length === 0,
      bytesPerSecond,
    };
  }

  private async onPlan(requestId: string, source: ConvertSource, dtypes: readonly ConvertDtype[]): Promise<void> {
    try {
      const opened = await this.deps.openSource(source);
      const plan = await planConversion(opened.src, dtypes, this.maxDataFileBytes);
      const rate = source.kind === 'files' ? null : await measureRate(opened, plan, this.deps.now);
      const cache = await this.deps.openCache();
      this.deps.post({ type: 'planned', requestId, plan: await this.summarize(opened, plan, cache, rate) });
    } catch (e) {
      this.deps.post({ type: 'planFailed', requestId, message: convertErrorMessage(e) });
    }
  }

  private async onConvert(jobId: string, source: ConvertSource, dtypes: readonly ConvertDtype[]): Promise<void> {
    if (this.job) {
      this.deps.post({ type: 'convertFailed', jobId, message: 'Another conversion is running; cancel it first.', cancelled: false });
      return;
    }
    const ctrl = new AbortController();
    const t0 = this.deps.now();
    let progress: JobProgress = {
      phase: 'prepare',
      item: null,
      downloadedBytes: 0,
      downloadBytes: 0,
      quantizedBytes: 0,
      quantizeBytes: 0,
      storedBytes: 0,
      storeBytes: 0,
    };
    let lastPost = -Infinity;
    const report = (patch: Partial<JobProgress>, force = false) => {
      const phaseChanged = patch.phase !== undefined && patch.phase !== progress.phase;
      progress = { ...progress, ...patch };
      const t = this.deps.now();
      if (!force && !phaseChanged && t - lastPost < 100) return;
      lastPost = t;
      this.deps.post({ type: 'progress', jobId, progress });
    };
    // Claimed before any await, so a second request is refused rather than interleaved.
    this.job = { jobId, modelId: '', ctrl };
    const ran = await this.exclusive(() => this.convertHoldingLock(jobId, source, dtypes, ctrl, t0, report));
    if (!ran) {
      this.job = null;
      this.deps.post({ type: 'convertFailed', jobId, message: BUSY_ELSEWHERE, cancelled: false });
    }
  }

  private async convertHoldingLock(
    jobId: string,
    source: ConvertSource,
    dtypes: readonly ConvertDtype[],
    ctrl: AbortController,
    t0: number,
    report: (patch: Partial<JobProgress>, force?: boolean) => void,
  ): Promise<void> {
    let modelId: string | null = null;
    let cache: CacheLike | null = null;
    try {
      report({ phase: 'prepare' }, true);
      const opened = await this.deps.openSource(source);
      modelId = opened.modelId;
      this.job = { jobId, modelId, ctrl };
      report({ phase: 'inspect', item: 'config.json' });
      const plan = await planConversion(opened.src, dtypes, this.maxDataFileBytes);
      cache = await this.deps.openCache();
      const summary = await this.summarize(opened, plan, cache);
      if (summary.problem) throw new QuotaError(summary.problem);
      if (ctrl.signal.aborted) throw new ConvertError('conversion aborted');
      // Replace an earlier copy: its marker goes first, so it is never half old, half new.
      await removeConverted(cache, this.deps.origin, modelId);
      let downloaded = 0;
      const src = countingSource(opened.src, (n) => {
        downloaded += n;
        report({ downloadedBytes: downloaded });
      });
      report({ downloadBytes: plan.downloadBytes, storeBytes: plan.storeBytes });
      const stager = await this.deps.stager();
      await stager.cleanup(); // leftovers of an interrupted run
      const writer = cacheWriter(cache, this.deps.origin, modelId, stager, { onBytes: (n) => report({ storedBytes: n }) });
      await convertQwen2(src, writer, {
        dtypes: plan.dtypes,
        maxDataFileBytes: this.maxDataFileBytes,
        ...(this.deps.chunkBytes ? { chunkBytes: this.deps.chunkBytes } : {}),
        signal: ctrl.signal,
        onProgress: (p: ConvertProgress) => {
          if (p.phase === 'done') return;
          report({ phase: p.phase, item: p.item ?? null, quantizedBytes: p.bytesDone, quantizeBytes: p.bytesTotal });
        },
      });
      report({ phase: 'verify', item: null }, true);
      const problems = await verifyConversion(cacheSource(cache, this.deps.origin, modelId));
      if (problems.length > 0) throw new ConvertError(`the stored copy is incomplete (${problems.slice(0, 3).join('; ')})`);
      const [model] = (await listConverted(cache, this.deps.origin)).filter((m) => m.modelId === modelId);
      if (!model) throw new ConvertError('the stored copy disappeared');
      report({ phase: 'done', item: null }, true);
      this.deps.post({ type: 'converted', jobId, model, seconds: (this.deps.now() - t0) / 1000 });
    } catch (e) {
      // Nothing partial may stay loadable (the converter already aborted its writer; this also
      // covers failures before and after it ran).
      if (cache && modelId) await removeConverted(cache, this.deps.origin, modelId).catch(() => {});
      const cancelled = ctrl.signal.aborted;
      this.deps.post({
        type: 'convertFailed',
        jobId,
        message: cancelled ? 'Conversion cancelled; nothing was kept.' : e instanceof QuotaError ? e.message : convertErrorMessage(e),
        cancelled,
      });
    } finally {
      this.job = null;
    }
  }

  private async onCancel(jobId: string): Promise<void> {
    if (this.job?.jobId === jobId) this.job.ctrl.abort();
  }

  /**
   * Lists the stored conversions. When no conversion runs in any tab (the lock is free), also
   * removes what a dead one left: unfinished models' files and OPFS staging (after a crashed
   * converter, the fresh worker's first listing does this).
   */
  private async onList(): Promise<void> {
    try {
      const cache = await this.deps.openCache();
      const tidied: { models?: StoredModel[] } = {};
      if (!this.job) {
        await this.exclusive(async () => {
          await (await this.deps.stager()).cleanup();
          tidied.models = await listConverted(cache, this.deps.origin, true);
        });
      }
      this.deps.post({ type: 'listed', models: tidied.models ?? (await listConverted(cache, this.deps.origin)) });
    } catch (e) {
      this.deps.post({ type: 'storageFailed', message: `Could not read the browser's storage: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private async onRemove(modelId: string): Promise<void> {
    if (this.job?.modelId === modelId) {
      this.deps.post({ type: 'storageFailed', message: `${modelId} is being converted; cancel the conversion first.` });
      return;
    }
    try {
      const cache = await this.deps.openCache();
      const bytesFreed = await removeConverted(cache, this.deps.origin, modelId);
      this.deps.post({ type: 'removed', modelId, bytesFreed });
    } catch (e) {
      this.deps.post({ type: 'storageFailed', message: `Could not remove ${modelId}: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
}

class QuotaError extends Error {
  override name = 'QuotaError';
}
