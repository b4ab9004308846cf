// Before a load: how big the chosen model's files are and how much memory loading will take at
// peak (src/core/memory-need.ts), against what the device reports. Files already in the browser's
// model cache (a conversion made here, or an earlier download) are sized from the cache; others by
// HEAD requests (own server, plain folder) or the Hub's file list. Nothing is downloaded.
import { memoryNeed, type DeviceReport, type MemoryDevice } from '../core/memory-need.ts';
import { parseModelSource } from '../core/model-source.ts';
import { storageFree } from '../core/storage.ts';
import { memoryCheckStarted, memoryNeedFound, modelStore } from '../state/model-store.ts';
import { settingsStore } from '../state/settings-store.ts';
import type { Dtype } from '../worker/protocol.ts';
import { chooseRuntime } from './choices.ts';
import { foreignHost, remoteModelSize } from './model-size.ts';

/** transformers.js' browser cache (env.cacheKey), keyed by the files' URLs. */
const MODEL_CACHE = 'transformers-cache';

type Fetch = Parameters<typeof remoteModelSize>[2];

/** fetch, answered from the model cache when the file is there (a HEAD gets the stored size); counts the hits. */
const cacheFirst = (hits: { n: number }): Fetch => async (url, init) => {
  const hit = typeof caches === 'undefined' ? undefined : await (await caches.open(MODEL_CACHE)).match(url).catch(() => undefined);
  if (!hit) return fetch(url, init);
  hits.n++;
  if (init?.method !== 'HEAD') return hit;
  // Converted files are stored without a Content-Length: a cached Blob is not read into memory to size it.
  const bytes = Number(hit.headers.get('content-length') ?? (await hit.blob()).size);
  return { ok: true, status: 200, headers: new Headers({ 'content-length': String(bytes) }), json: () => Promise.resolve(null) };
};

/** What the browser reports (null where it does not say). A test may define navigator.deviceMemory. */
export async function deviceReport(): Promise<DeviceReport> {
  const nav = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { deviceMemory?: number });
  const deviceMemoryGB = typeof nav?.deviceMemory === 'number' ? nav.deviceMemory : null;
  const est = await nav?.storage?.estimate?.().catch(() => undefined);
  const storageFreeBytes = storageFree(est);
  return { deviceMemoryGB, storageFreeBytes };
}

let timer: ReturnType<typeof setTimeout> | undefined;

/**
 * Sizes what loading `input` (default: the model field) on the chosen device would need. Debounced
 * (typing a model id asks once); the answer lands in the model store under its model|device|dtype key.
 */
export function requestMemoryCheck(input = settingsStore.getState().modelInput, delayMs = 300): void {
  const s = settingsStore.getState();
  const rt = chooseRuntime(s.device, s.dtype, modelStore.getState().probe);
  const src = parseModelSource(input);
  // Only this app's own server and the cache are asked before the user acts: a Hub repo or another
  // host is sized when the user loads it (the download question shows the size).
  if ('error' in rt || 'error' in src || src.kind === 'hub' || foreignHost(input, location.origin) !== null || input.trim() === '') {
    clearTimeout(timer);
    return memoryCheckStarted(null);
  }
  const key = `${input.trim()}|${rt.device}|${rt.dtype}`;
  // The same choice asked again (the page re-renders, the GPU probe lands) keeps the check already
  // pending: cancelling it here left the notice out for good whenever a second ask came within the delay.
  if (modelStore.getState().memory?.key === key) return;
  clearTimeout(timer);
  memoryCheckStarted(key);
  timer = setTimeout(() => void check(key, src, rt.device, rt.dtype), delayMs);
}

async function check(key: string, src: Exclude<ReturnType<typeof parseModelSource>, { error: string } | { kind: 'hub' }>, device: MemoryDevice, dtype: Dtype) {
  const where = src.kind === 'local' ? { kind: 'url' as const, host: `${location.origin}/`, path: src.path.replace(/^\/+/, '') } : src;
  try {
    const hits = { n: 0 };
    const [size, report] = await Promise.all([remoteModelSize(where, dtype, cacheFirst(hits), undefined, true), deviceReport()]);
    // Files already stored need no more room: the storage figure only matters for a download.
    memoryNeedFound(key, memoryNeed(size, device, hits.n > 0 ? { ...report, storageFreeBytes: null } : report));
  } catch {
    memoryNeedFound(key, null); // no size, no notice: the load itself says what is wrong
  }
}
