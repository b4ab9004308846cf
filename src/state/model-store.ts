// Model loading state. Actions are named after what happened, not what they set.
import { createStore } from 'zustand/vanilla';
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
  });
}

export function loadProgressed(modelId: string, files: readonly FileProgress[], at: number): void {
  const s = modelStore.getState();
  if (s.requested?.modelId !== modelId) return;
  const loaded = files.reduce((a, f) => a + f.loaded, 0);
  modelStore.setState({ files, firstSample: s.firstSample ?? { at, loaded }, lastSample: { at, loaded } });
}

export function modelLoaded(info: ModelInfo): void {
  if (modelStore.getState().requested?.modelId !== info.modelId) return;
  modelStore.setState({ status: 'ready', info, error: null });
}

export function modelLoadFailed(modelId: string, message: string): void {
  if (modelStore.getState().requested?.modelId !== modelId) return;
  modelStore.setState({ status: 'error', error: message, info: null });
}

/** A load the app refused to start (bad id, no WebGPU, …): shown, nothing else changes. */
export function loadRejected(message: string): void {
  modelStore.setState({ error: message });
}

export function cacheCleared(bytesFreed: number): void {
  const mb = (bytesFreed / 1e6).toFixed(1);
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
