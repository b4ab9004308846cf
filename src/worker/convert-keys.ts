// Where converted models live, shared by the converter worker (writes them) and the model
// worker's runtime (refuses to load one that is not there).
//
// Storage design: the converted files are entries of the Cache Storage cache transformers.js
// itself reads (`env.useBrowserCache`, cache name `env.cacheKey` = 'transformers-cache'), keyed by
// the URL transformers.js 4.3.1 computes for them. For a model id starting with '/', the runtime's
// `locate()` sets remoteHost = `${origin}/` and remotePathTemplate = '{model}/', and
// `buildResourcePaths` (transformers.web.js) makes the cache key
//   pathJoin(remoteHost, '<id without the leading slash>/', '<file>')  =  `${origin}/converted/<a>/<b>/<file>`
// (no revision in it; `onnx/model_q4.onnx`, its external data `onnx/model_q4.onnx_data[_N]`
// named by config.json's `transformers.js_config.use_external_data_format`, tokenizer files and
// configs all go through the same getModelFile → cache.match(key)).
//
// Converted ids always have three path segments (/converted/<owner>/<name>, /converted/url/<name>,
// /converted/files/<name>). transformers.js' REPO_ID_REGEX accepts at most two, so for these ids
// it never makes a network request: a file missing from the cache fails with "download aborted
// due to invalid model ID" instead of asking the app's server (whose SPA fallback would answer
// index.html). `assertConverted` turns that into a clear message before loading starts.
//
// Why Cache Storage and not OPFS + env.customCache: no change to how the runtime configures
// transformers.js (it already reads this cache), the runtime's `isCached` and "Clear model cache"
// already cover converted models, and cache entries are evicted per origin, never one by one.
// The files are staged in OPFS while they are written (see convert-storage.ts) so that each
// cache entry gets an exact Content-Length (transformers.js grows its buffer chunk by chunk
// without one: quadratic for a 1 GB file).
//
// Completion marker: config.json is stored last (the converter writes it after every other file
// is closed and stored), and transformers.js cannot load a folder without it.
import { onnxFileName } from '../convert/qwen2-onnx.ts';

export const CONVERTED_CACHE = 'transformers-cache';
export const CONVERTED_PREFIX = '/converted/';

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

export function safeSegment(s: string): string {
  const cleaned = s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/\.\.+/g, '.')
    .slice(0, 96);
  return cleaned || 'model';
}

export function isConvertedId(modelId: string): boolean {
  const parts = modelId.split('/');
  return modelId.startsWith(CONVERTED_PREFIX) && parts.length === 4 && parts.slice(2).every((p) => SEGMENT.test(p) && !p.includes('..'));
}

export type ConvertedFrom = { readonly kind: 'hub'; readonly repo: string } | { readonly kind: 'url'; readonly url: string } | { readonly kind: 'files'; readonly name: string };

/** The id a conversion is stored (and loaded) under. */
export function convertedIdFor(from: ConvertedFrom): string {
  switch (from.kind) {
    case 'hub': {
      const [owner = '', name = ''] = from.repo.split('/');
      return `${CONVERTED_PREFIX}${safeSegment(owner)}/${safeSegment(name)}`;
    }
    case 'url': {
      const path = from.url.replace(/[?#].*$/, '').replace(/\/+$/, '');
      return `${CONVERTED_PREFIX}url/${safeSegment(path.split('/').pop() ?? '')}`;
    }
    case 'files':
      return `${CONVERTED_PREFIX}files/${safeSegment(from.name)}`;
  }
}

/** The Cache Storage key transformers.js uses for `file` of `modelId` (see above). */
export function cacheKey(origin: string, modelId: string, file: string): string {
  return `${origin}${modelId}/${file}`;
}

export interface CacheMatcher {
  match(request: string): Promise<Response | undefined>;
}

/** The graph file of each dtype the converter writes (the converter's own names). */
const ONNX_FILES: Readonly<Record<string, string>> = Object.fromEntries((['fp32', 'q4', 'q4f16', 'q8'] as const).map((d) => [d, onnxFileName(d)]));

/**
 * Throws a clear error when `modelId` (a converted id) is not completely stored, or lacks the
 * graph for `dtype`. Never touches the network.
 */
export async function assertConverted(cache: CacheMatcher, origin: string, modelId: string, dtype: string): Promise<void> {
  if (!isConvertedId(modelId)) throw new Error(`${modelId} is not a valid converted-model id (expected /converted/<owner>/<name>).`);
  const config = await cache.match(cacheKey(origin, modelId, 'config.json'));
  if (!config) {
    throw new Error(
      `this converted model is not stored in this browser (its storage was cleared, or the conversion did not finish): convert it again.`,
    );
  }
  const file = ONNX_FILES[dtype];
  if (!file || !(await cache.match(cacheKey(origin, modelId, `onnx/${file}`)))) {
    const have = Object.entries(ONNX_FILES);
    const present: string[] = [];
    for (const [d, f] of have) if (await cache.match(cacheKey(origin, modelId, `onnx/${f}`))) present.push(d);
    throw new Error(
      `this model was converted without ${dtype} weights (stored: ${present.join(', ') || 'none'}). Choose ${present[0] ?? 'another dtype'} under Weights, or convert again with ${dtype}.`,
    );
  }
}
