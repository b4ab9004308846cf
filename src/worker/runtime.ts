// Browser-side setup of transformers.js: self-hosted ORT runtime, model locations, cache.
import { env } from '@huggingface/transformers';
// The ORT build transformers.js itself imports (one module instance in the bundle).
import { InferenceSession } from 'onnxruntime-web/webgpu';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import jspiWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.wasm?url';
import jspiMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.mjs?url';
import { ORT_BUILD } from './ort-bundle.ts';
import { parseModelSource } from '../core/model-source.ts';
import { whileHeld, type Locks } from '../core/exclusive.ts';
import { CONVERTED_PREFIX, assertConverted } from './convert-keys.ts';
import { CONVERT_LOCK, clearStaging, type OpfsDirectory } from './convert-storage.ts';
import { ElasticEngine } from './engine.ts';
import { quotaGuardedCache } from './quota-cache.ts';
import { releaseInputsOnCreate } from './release-inputs.ts';
import { externalDataBlobs } from './external-data.ts';
import { downloadWeightsToCache } from './download-to-cache.ts';
import { storageFree } from '../core/storage.ts';
import type { HostDeps, HostEngine, LoadRequest } from './host.ts';
import type { GpuProbe, TestFault } from './protocol.ts';

const CACHE_NAME = 'transformers-cache';

export function configureRuntime(): void {
  // Serve the ORT runtime ourselves (no CDN at run time). `wasm` is a copy of ORT's env
  // object: mutate `wasmPaths` in place, replacing `wasm` itself has no effect.
  const wasm = (env.backends.onnx as { wasm: { wasmPaths?: unknown } }).wasm;
  const [w, m] = ORT_BUILD === 'jspi' ? [jspiWasmUrl, jspiMjsUrl] : [ortWasmUrl, ortMjsUrl];
  wasm.wasmPaths = { wasm: new URL(w, self.location.href).href, mjs: new URL(m, self.location.href).href };
  env.useBrowserCache = true;
  // The same Cache Storage, with a full disk reported rather than only warned about.
  env.useCustomCache = true;
  env.customCache = modelCache;
  // The weights' JS copies are freed as soon as ORT has them (issue 14: release-inputs.ts).
  releaseInputsOnCreate(InferenceSession);
}

const modelCache = quotaGuardedCache(() => caches.open(CACHE_NAME));

/** Points transformers.js at the model's host; returns the id to pass to from_pretrained. */
function locate(modelId: string): string {
  const src = parseModelSource(modelId);
  if ('error' in src) throw new Error(src.error);
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  switch (src.kind) {
    case 'hub':
      env.remoteHost = 'https://huggingface.co/';
      env.remotePathTemplate = '{model}/resolve/{revision}/';
      return src.id;
    case 'url':
      // A plain folder URL: files live at <host><path>/<file>.
      env.remoteHost = src.host;
      env.remotePathTemplate = '{model}/';
      return src.path;
    case 'local':
      env.remoteHost = `${self.location.origin}/`;
      env.remotePathTemplate = '{model}/';
      return src.path.replace(/^\/+/, '');
  }
}

async function load(req: LoadRequest): Promise<HostEngine> {
  // Models converted in the browser exist only in the cache (src/worker/convert-keys.ts): a clear error when absent.
  if (req.modelId.startsWith(CONVERTED_PREFIX)) await assertConverted(await caches.open(CACHE_NAME), self.location.origin, req.modelId, req.dtype);
  const id = locate(req.modelId);
  modelCache.takeRefused(); // an earlier load's
  // A first download streams the weights into the cache, and the load then reads them from there
  // (unless a file could not be kept: then transformers.js downloads what is missing, in memory).
  await downloadWeightsToCache(modelBase(id), req.dtype, {
    cache: modelCache,
    fetch: (url) => fetch(url),
    progress: req.progress,
    freeBytes: async () => storageFree(await navigator.storage?.estimate?.()),
    name: id,
  });
  const externalData = await blobsFor(id, req.dtype);
  const modelOptions = externalData ? { use_external_data_format: false, session_options: { externalData } } : undefined;
  const engine = await ElasticEngine.load(id, { device: req.device, dtype: req.dtype, progress: req.progress, modelOptions });
  const refused = modelCache.takeRefused();
  const estimate = refused.length > 0 ? await navigator.storage?.estimate?.().catch(() => undefined) : undefined;
  return {
    ...(refused.length > 0 ? { notCached: { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null } } : {}),
    context: engine.info.context,
    weightsFromCache: externalData !== null,
    contextNote: engine.info.contextNote,
    lost: req.device === 'webgpu' ? deviceLost() : undefined,
    run: (spec, opts) => engine.run(spec, opts),
    plan: (spec) => engine.planRun(spec),
    dispose: () => engine.dispose(),
  };
}

/** The URL of the model folder `locate` pointed transformers.js at (its files' cache keys start with it). */
const modelBase = (id: string) => `${env.remoteHost}${env.remotePathTemplate.replaceAll('{model}', id).replaceAll('{revision}', 'main')}`;

/**
 * The model's external data as Blobs from Cache Storage (external-data.ts), or null to let
 * transformers.js load it as before (config.json not cached yet, or no external data announced).
 */
async function blobsFor(id: string, dtype: LoadRequest['dtype']) {
  const base = modelBase(id);
  const cache = await caches.open(CACHE_NAME);
  // From the cache only: downloadWeightsToCache stored config.json, unless it could not be had
  // (transformers.js then asks for it and reports why).
  const res = await cache.match(`${base}config.json`);
  if (!res?.ok) return null;
  return externalDataBlobs(cache, base, await res.json().catch(() => null), dtype);
}

interface GpuDeviceLike {
  readonly lost: Promise<{ readonly reason: string; readonly message: string }>;
  destroy(): void;
}

/**
 * ORT's WebGPU device, once a session exists. transformers.js exposes ORT's env; ORT's typings
 * say a Promise, but its WebGPU EP build stores the device itself: accept both.
 */
function ortDevice(): Promise<GpuDeviceLike | undefined> {
  return Promise.resolve((env.backends.onnx as { webgpu?: { device?: GpuDeviceLike | Promise<GpuDeviceLike> } }).webgpu?.device);
}

/** Settles when ORT's device is lost: a driver reset, a GPU process crash, or destroy(). */
async function deviceLost(): Promise<string> {
  const device = await ortDevice();
  if (!device) return new Promise<string>(() => {}); // no device to watch
  const info = await device.lost;
  const why = info.reason === 'destroyed' ? 'the device was destroyed' : 'the GPU driver or browser reset it';
  return `The GPU device was lost (${why}${info.message ? `: ${info.message}` : ''}).`;
}

/** Test hook: the faults a real session meets, provoked on demand. */
function fault(f: TestFault): void {
  switch (f) {
    case 'throw':
      setTimeout(() => {
        throw new Error('Test fault: the model worker crashed.');
      });
      return;
    case 'close':
      self.close();
      return;
    case 'destroyDevice':
      void ortDevice().then((d) => d?.destroy());
      return;
  }
}

async function probe(): Promise<GpuProbe> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return { webgpu: false, shaderF16: false, adapter: 'This browser does not expose WebGPU.' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { webgpu: false, shaderF16: false, adapter: 'WebGPU is present but no GPU adapter is available.' };
    const info = adapter.info;
    const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
    return { webgpu: true, shaderF16: adapter.features.has('shader-f16'), adapter: name };
  } catch (e) {
    return { webgpu: false, shaderF16: false, adapter: `WebGPU adapter request failed: ${String(e)}` };
  }
}

interface GpuAdapterLike {
  readonly features: { has(f: string): boolean };
  readonly info?: { vendor?: string; architecture?: string; description?: string };
}

async function isCached(modelId: string): Promise<boolean> {
  const cache = await caches.open(CACHE_NAME);
  const keys = await cache.keys();
  const src = parseModelSource(modelId);
  if ('error' in src) return false;
  const needle = src.kind === 'hub' ? `/${src.id}/` : src.kind === 'url' ? `${src.host}${src.path}/` : `${src.path}/`;
  return keys.some((k) => k.url.includes(needle) && k.url.endsWith('config.json'));
}

/**
 * Deletes the model cache and conversion staging left in OPFS — unless a conversion (in any tab)
 * is writing them right now (CONVERT_LOCK): then nothing is touched and the answer says why.
 */
async function clearCache(): Promise<number> {
  const clear = async () => {
    const before = (await navigator.storage?.estimate?.())?.usage ?? 0;
    await caches.delete(CACHE_NAME);
    const storage = navigator.storage as StorageManager & { getDirectory?: () => Promise<unknown> };
    if (storage?.getDirectory) await clearStaging((await storage.getDirectory()) as unknown as OpfsDirectory);
    const after = (await navigator.storage?.estimate?.())?.usage ?? 0;
    return Math.max(0, before - after);
  };
  const r = await whileHeld((navigator as Navigator & { locks?: Locks }).locks, CONVERT_LOCK, clear);
  if (!r.held) throw new Error('A model is being converted (in this or another tab): clear the cache when it has finished.');
  return r.value;
}

export function browserDeps(post: HostDeps['post']): HostDeps {
  return {
    post,
    load,
    probe,
    isCached,
    clearCache,
    schedule: (fn, ms) => void setTimeout(fn, ms),
    now: () => performance.now(),
    fault,
  };
}
