// What loading a model will take, stated before the load: its files, and the browser's memory at
// peak as a measured multiple of those files (issue 14). Pure: the page supplies the sizes and what
// the device reports (navigator.deviceMemory, navigator.storage.estimate()).

export type MemoryDevice = 'wasm' | 'webgpu';

/**
 * Peak browser memory (the proportional set sizes of all the browser's processes summed: every
 * page counted once) while loading and running a token, divided by the model's files, measured on
 * the full-size E1 stand-in in headless Chromium (`npm run bench -- --only memory`,
 * tools/bench/memory.ts; figures in bench/README.md), the larger of a first visit and a load from
 * Cache Storage, rounded up (Chromium 150, persistent profile, ORT's JSPI build reading the cached
 * files; three runs on December 2): WASM q8 1.38-1.41x; WebGPU q4 2.28-2.94x on SwiftShader,
 * whose "GPU" memory is CPU memory (an upper bound for a real GPU; the page itself keeps 0.08-0.21x
 * of the files after the load).
 */
export const PEAK_OVER_FILES: Readonly<Record<MemoryDevice, number>> = { wasm: 1.5, webgpu: 3 };

/**
 * The same when the files cannot all be kept in Cache Storage (the quota left is smaller than
 * them): the weights are then downloaded whole into memory by transformers.js and handed to ORT
 * from there (src/worker/download-to-cache.ts falls back), as every load was before the streamed
 * download: WASM q8 2.93x by PSS (first visit, December 2); WebGPU 4.03x by summed RSS (its PSS
 * was not measured on that path: an upper bound).
 */
export const PEAK_OVER_FILES_IN_MEMORY: Readonly<Record<MemoryDevice, number>> = { wasm: 3, webgpu: 4.1 };

export interface DeviceReport {
  /** navigator.deviceMemory: GB, rounded down to a power of two and capped (Chrome: 8); null when absent. */
  readonly deviceMemoryGB: number | null;
  /** navigator.storage.estimate(): quota - usage, null when absent. */
  readonly storageFreeBytes: number | null;
}

export interface MemoryNeed {
  readonly filesBytes: number;
  readonly files: number;
  readonly device: MemoryDevice;
  readonly factor: number;
  readonly peakBytes: number;
  readonly deviceMemoryBytes: number | null;
  readonly storageFreeBytes: number | null;
  /** The device reports less memory than the peak. */
  readonly memoryShort: boolean;
  /** The site's storage quota left is smaller than the files (they cannot all be cached). */
  readonly storageShort: boolean;
}

const GB = 2 ** 30;

export function memoryNeed(size: { readonly bytes: number; readonly files: number }, device: MemoryDevice, report: DeviceReport): MemoryNeed {
  const storageShort = report.storageFreeBytes !== null && report.storageFreeBytes < size.bytes;
  const factor = (storageShort ? PEAK_OVER_FILES_IN_MEMORY : PEAK_OVER_FILES)[device];
  const peakBytes = Math.ceil(size.bytes * factor);
  const deviceMemoryBytes = report.deviceMemoryGB !== null && report.deviceMemoryGB > 0 ? report.deviceMemoryGB * GB : null;
  return {
    filesBytes: size.bytes,
    files: size.files,
    device,
    factor,
    peakBytes,
    deviceMemoryBytes,
    storageFreeBytes: report.storageFreeBytes,
    memoryShort: deviceMemoryBytes !== null && deviceMemoryBytes < peakBytes,
    storageShort,
  };
}
