// Model loading state. Actions are named after what happened, not what they set.
import { createStore } from 'zustand/vanilla';
import type { MemoryNeed } from '../core/memory-need.ts';
import type { Device, Dtype, FileProgress, GpuProbe, ModelInfo } from '../worker/protocol.ts';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface ProgressSample {
  readonly at: number;
  readonly loaded: number;
}

export interface ModelState {
  readonly probe: GpuProbe | null;
  readonly status: LoadStatus;
  /** The model being loaded or last asked for. */
  readonly requested: { readonly modelId: string; readonly device: Device; readonly dtype: Dtype } | null;
  readonly files: readonly FileProgress[];
  /** First and latest byte counts, for the download rate. */
  readonly firstSample: ProgressSample | null;
  readonly lastSample: ProgressSample | null;
  readonly info: ModelInfo | null;
  readonly error: string | null;
  readonly cacheMessage: string | null;
  /** A caution about the chosen runtime (e.g. WASM is slow). */
  readonly warning: string | null;
  /** Bytes of weights and files each model needed when it loaded (its memory, roughly). */
  readonly sizes: Readonly<Record<string, number>>;
  /** The model worker died (crash, out of memory, GPU lost): what was loaded, to offer a reload. */
  readonly lost: { readonly message: string; readonly modelId: string | null } | null;
  /** A model from a foreign host waiting for the user's yes: where from, how big (null: asking). */
  readonly consent: {
    readonly modelId: string;
    readonly host: string;
    readonly size: { readonly bytes: number; readonly files: number } | { readonly error: string } | null;
  } | null;
  /**
   * What loading the chosen model would need (files, memory at peak) against what the device
   * reports, for `key` = model|device|dtype; `need` null while it is being sized or when it cannot be.
   */
  readonly memory: { readonly key: string; readonly need: MemoryNeed | null } | null;
}

const initial: ModelState = {
  probe: null,
  status: 'idle',
  requested: null,
  files: [],
  firstSample: null,
  lastSample: null,
  info: null,
  error: null,
  cacheMessage: null,
  warning: null,
  sizes: {},
  lost: null,
  consent: null,
  memory: null,
};

export const modelStore = createStore<ModelState>(() => initial);

export function probed(probe: GpuProbe): void {
  modelStore.setState({ probe });
}

export function loadRequested(modelId: string, device: Device, dtype: Dtype, warning: string | null = null): void {
  modelStore.setState({
    warning,
    status: 'loading',
    requested: { modelId, device, dtype },
    files: [],
    firstSample: null,
    lastSample: null,
    error: null,
    cacheMessage: null,
    lost: null,
  });
}

export function loadProgressed(modelId: string, files: readonly FileProgress[], at: number): void {
  const s = modelStore.getState();
  if (s.requested?.modelId !== modelId) return;
  const loaded = files.reduce((a, f) => a + f.loaded, 0);
  modelStore.setState({ files, firstSample: s.firstSample ?? { at, loaded }, lastSample: { at, loaded } });
}

export function modelLoaded(info: ModelInfo): void {
  const s = modelStore.getState();
  const r = s.requested;
  if (r?.modelId !== info.modelId || r.device !== info.device || r.dtype !== info.dtype) return;
  const bytes = s.files.reduce((a, f) => a + f.total, 0);
  const sizes = bytes > 0 ? { ...s.sizes, [`${info.modelId}|${info.dtype}`]: bytes } : s.sizes;
  modelStore.setState({ status: 'ready', info, error: null, sizes });
}

/** Known size of a model's files for a dtype, from an earlier load. */
export function knownSize(sizes: ModelState['sizes'], modelId: string, dtype: string | undefined): number | null {
  if (dtype) return sizes[`${modelId}|${dtype}`] ?? null;
  const hit = Object.entries(sizes).find(([k]) => k.startsWith(`${modelId}|`));
  return hit ? hit[1] : null;
}

export function modelLoadFailed(modelId: string, message: string): void {
  if (modelStore.getState().requested?.modelId !== modelId) return;
  modelStore.setState({ status: 'error', error: message, info: null });
}

/** A load the app refused to start (bad id, no WebGPU, …): shown, nothing else changes. */
export function loadRejected(message: string): void {
  modelStore.setState({ error: message });
}

/**
 * The worker is gone and a fresh one is starting: no model is held any more. A load in flight
 * ends as failed (so whoever waits on it moves on); the model is remembered for a reload.
 */
export function modelWorkerLost(message: string): void {
  const s = modelStore.getState();
  const modelId = s.status === 'ready' || s.status === 'loading' ? (s.requested?.modelId ?? null) : null;
  modelStore.setState({ status: s.status === 'idle' ? 'idle' : 'error', info: null, error: null, lost: { message, modelId } });
}

/** A foreign model needs the user's yes before any download; its size is being looked up. */
export function downloadConsentAsked(modelId: string, host: string): void {
  modelStore.setState({ consent: { modelId, host, size: null }, error: null });
}

export function downloadSizeFound(modelId: string, size: { bytes: number; files: number } | { error: string }): void {
  const c = modelStore.getState().consent;
  if (c?.modelId === modelId) modelStore.setState({ consent: { ...c, size } });
}

/** The model, device or weights chosen changed: what they need is being sized (or cannot be: null key). */
export function memoryCheckStarted(key: string | null): void {
  modelStore.setState({ memory: key === null ? null : { key, need: null } });
}

/** The chosen model's files were sized and the device asked: stale answers (another choice since) are dropped. */
export function memoryNeedFound(key: string, need: MemoryNeed | null): void {
  if (modelStore.getState().memory?.key === key) modelStore.setState({ memory: need ? { key, need } : null });
}

/** Answered (yes or no): the question goes away. */
export function downloadConsentEnded(): void {
  modelStore.setState({ consent: null });
}

/**
 * The user cancelled a load: the worker was replaced, nothing is loaded. It ends like a failed
 * load, so whoever waits on it (a comparison loading a lane's model) moves on.
 */
export function loadCancelled(): void {
  modelStore.setState({ status: 'error', info: null, files: [], error: 'Load cancelled.', lost: null });
}

export function cacheCleared(bytesFreed: number, refused: string | null = null): void {
  const mb = (bytesFreed / 1e6).toFixed(1);
  if (refused) return modelStore.setState({ cacheMessage: `The model cache was not cleared: ${refused}` });
  modelStore.setState({ cacheMessage: `Cleared the model cache (${mb} MB freed). The loaded model stays usable until you reload.` });
}

export function resetModelStore(): void {
  modelStore.setState(initial, true);
}

/** Total bytes, rate and time left, derived from the samples (never stored). */
export function downloadSummary(s: Pick<ModelState, 'files' | 'firstSample' | 'lastSample'>) {
  const total = s.files.reduce((a, f) => a + f.total, 0);
  const loaded = s.files.reduce((a, f) => a + f.loaded, 0);
  const dt = s.firstSample && s.lastSample ? (s.lastSample.at - s.firstSample.at) / 1000 : 0;
  const rate = dt > 0.2 && s.firstSample && s.lastSample ? (s.lastSample.loaded - s.firstSample.loaded) / dt : 0;
  const secondsLeft = rate > 0 && total > loaded ? (total - loaded) / rate : null;
  return { total, loaded, rate, secondsLeft };
}
