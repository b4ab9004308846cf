// A first download of a model's weights written straight to Cache Storage, then loaded from there
// (issue 14). transformers.js 4.3.1 reads every file whole into a Uint8Array, writes it to Cache
// Storage as `new Response(thatArray)`, and hands the arrays to ORT: three copies of the weights at
// once on a first visit (2.9x the files at peak, full-size stand-in), where a later visit, whose
// files ORT reads from the cached Blobs (external-data.ts), peaks far lower. Here the external data
// files are streamed from the network into the cache (the browser writes the body to disk as it
// arrives; bytes are counted on the way for the progress bar), so the first visit takes the later
// visits' path. config.json is stored too: it says how many data files there are, and transformers.js
// then reads it from the cache instead of asking the server again.
//
// When a file cannot be streamed (the server answers an error or an HTML page, the quota left is
// smaller than the file, the cache refuses it), nothing more is downloaded here: transformers.js
// fetches what is missing as before, and reports the error, or the files it could not keep
// (quota-cache.ts). A refused put after the whole file came costs that file a second download.
// Only a download that breaks off fails the load. The cached Responses carry the bytes' own length
// and no content-encoding (the body stored is the decoded one), as transformers.js stores them.
import { announcedDataFiles, type ModelDtype } from '../core/model-files.ts';
import type { CacheForModels } from './quota-cache.ts';

/** transformers.js' progress events, which the host turns into the load's progress bars. */
export type DownloadEvent =
  | { readonly status: 'initiate' | 'download' | 'done'; readonly name: string; readonly file: string }
  | { readonly status: 'progress'; readonly name: string; readonly file: string; readonly loaded: number; readonly total: number; readonly progress: number };

export interface DownloadDeps {
  /** The model cache (quota-guarded: a put the quota refuses resolves, and is not stored). */
  readonly cache: CacheForModels;
  readonly fetch: (url: string) => Promise<Response>;
  readonly progress: (e: DownloadEvent) => void;
  /** The storage quota left, in bytes (navigator.storage.estimate()), or null when unknown. */
  readonly freeBytes: () => Promise<number | null>;
  /** The model's name in progress events (transformers.js' `name`). */
  readonly name: string;
}

/**
 * Streams the external data of `dtype` for the model folder at `base` (ending in '/') into the
 * cache, with config.json. Returns the files (relative to `base`) it stored; files already cached
 * are not fetched. Throws only when a download breaks off (the load fails with that error).
 */
export async function downloadWeightsToCache(base: string, dtype: ModelDtype, deps: DownloadDeps): Promise<string[]> {
  const stored: string[] = [];
  const config = await cachedOrFetchedConfig(base, deps, stored);
  if (config === null) return stored;
  for (const { file } of announcedDataFiles(config, dtype) ?? []) {
    const url = `${base}${file}`;
    if (await deps.cache.match(url)) continue;
    if (!(await streamToCache(url, file, deps))) break;
    stored.push(file);
  }
  return stored;
}

/** config.json parsed, from the cache or else fetched and stored; null when it cannot be had (transformers.js reports why). */
async function cachedOrFetchedConfig(base: string, deps: DownloadDeps, stored: string[]): Promise<unknown> {
  const url = `${base}config.json`;
  const hit = await deps.cache.match(url);
  if (hit) return hit.json().catch(() => null);
  const res = await deps.fetch(url).catch(() => null);
  if (!res?.ok) return null;
  const text = await res.text();
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return null;
  }
  const headers = storedHeaders(res.headers);
  headers.set('content-length', String(new TextEncoder().encode(text).byteLength));
  await deps.cache.put(url, new Response(text, { headers }));
  if (await deps.cache.match(url)) stored.push('config.json');
  return config;
}

/** The headers a cached copy keeps: the body stored is the decoded one, so no content-encoding, and a length only when it is the body's. */
function storedHeaders(from: Headers): Headers {
  const h = new Headers(from);
  if (h.has('content-encoding')) {
    h.delete('content-encoding');
    h.delete('content-length');
  }
  return h;
}

/** One file from the network into the cache, counted on the way; false when it was not stored. */
async function streamToCache(url: string, file: string, deps: DownloadDeps): Promise<boolean> {
  const { name } = deps;
  deps.progress({ status: 'initiate', name, file });
  const res = await deps.fetch(url);
  // An HTML page for a weights file is a server's fallback route, not weights.
  if (!res.ok || !res.body || /^text\/html/i.test(res.headers.get('content-type') ?? '')) {
    await res.body?.cancel().catch(() => {});
    return false;
  }
  const headers = storedHeaders(res.headers);
  // The size on the wire is the file's only when it is not compressed.
  const total = Number(headers.get('content-length')) || 0;
  const free = await deps.freeBytes().catch(() => null);
  if (free !== null && total > free) {
    await res.body.cancel().catch(() => {});
    return false;
  }
  deps.progress({ status: 'download', name, file });
  let loaded = 0;
  let broke: unknown = null;
  const reader = res.body.getReader();
  const counted = new ReadableStream<Uint8Array>({
    async pull(out) {
      try {
        const { done, value } = await reader.read();
        if (done) return out.close();
        loaded += value.byteLength;
        deps.progress({ status: 'progress', name, file, loaded, total: Math.max(total, loaded), progress: total ? (100 * loaded) / total : 0 });
        out.enqueue(value);
      } catch (e) {
        broke = e; // the download itself broke off
        out.error(e);
      }
    },
    cancel: (why) => reader.cancel(why),
  });
  try {
    await deps.cache.put(url, new Response(counted, { status: res.status, statusText: res.statusText, headers }));
  } catch {
    if (broke) throw broke;
    // The cache refused it for another reason: transformers.js downloads and keeps it (or warns) as before.
    deps.progress({ status: 'progress', name, file, loaded: 0, total, progress: 0 });
    return false;
  }
  if (!(await deps.cache.match(url))) {
    // The quota refused it after all (noted by the quota guard): transformers.js downloads it again.
    deps.progress({ status: 'progress', name, file, loaded: 0, total, progress: 0 });
    return false;
  }
  deps.progress({ status: 'done', name, file });
  return true;
}
