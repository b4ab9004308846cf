import { describe, expect, it } from 'vitest';
import { type DownloadEvent, downloadWeightsToCache } from './download-to-cache.ts';
import { quotaGuardedCache, type CacheForModels } from './quota-cache.ts';

const BASE = 'https://models.test/m/';
const CONFIG = { model_type: 'qwen2', 'transformers.js_config': { use_external_data_format: { 'model_quantized.onnx': 2 } } };

/** A server of `files` (name → bytes), answering in chunks of 1000 bytes, counting requests. */
function server(files: Record<string, Uint8Array | string>, opts: { breakAfter?: number; headers?: Record<string, string> } = {}) {
  const asked: string[] = [];
  const fetch = async (url: string) => {
    asked.push(url.slice(BASE.length));
    const f = files[url.slice(BASE.length)];
    if (f === undefined) return new Response('not found', { status: 404 });
    const bytes = typeof f === 'string' ? new TextEncoder().encode(f) : f;
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (opts.breakAfter !== undefined && at >= opts.breakAfter) return c.error(new TypeError('network error'));
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, at + 1000));
        at += 1000;
      },
    });
    return new Response(body, { headers: { 'content-length': String(bytes.length), ...opts.headers } });
  };
  return { fetch, asked };
}

/** An in-memory Cache Storage that reads what is put to the end, as the browser writes it to disk. */
function memoryCache(room = Number.POSITIVE_INFINITY): CacheForModels & { kept: Map<string, Uint8Array> } {
  const kept = new Map<string, Uint8Array>();
  let used = 0;
  return {
    kept,
    async match(key) {
      const b = kept.get(key);
      return b ? new Response(b.slice()) : undefined;
    },
    async put(key, res) {
      const b = new Uint8Array(await res.arrayBuffer());
      if (used + b.length > room) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      used += b.length;
      kept.set(key, b);
    },
  };
}

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

function deps(cache: CacheForModels, fetch: (u: string) => Promise<Response>, free: number | null = null) {
  const events: DownloadEvent[] = [];
  return { events, deps: { cache, fetch, progress: (e: DownloadEvent) => events.push(e), freeBytes: async () => free, name: 'm' } };
}

describe('a first download streamed into the cache', () => {
  const files = { 'config.json': JSON.stringify(CONFIG), 'onnx/model_quantized.onnx': 'graph', 'onnx/model_quantized.onnx_data': bytes(4500, 1), 'onnx/model_quantized.onnx_data_1': bytes(2200, 2) };

  it('stores config.json and every data file byte for byte, with progress counted per file', async () => {
    const s = server(files);
    const cache = memoryCache();
    const { events, deps: d } = deps(cache, s.fetch);
    const stored = await downloadWeightsToCache(BASE, 'q8', d);
    expect(stored).toEqual(['config.json', 'onnx/model_quantized.onnx_data', 'onnx/model_quantized.onnx_data_1']);
    expect(cache.kept.get(`${BASE}onnx/model_quantized.onnx_data`)).toEqual(files['onnx/model_quantized.onnx_data']);
    expect(cache.kept.get(`${BASE}onnx/model_quantized.onnx_data_1`)).toEqual(files['onnx/model_quantized.onnx_data_1']);
    expect(JSON.parse(new TextDecoder().decode(cache.kept.get(`${BASE}config.json`)))).toEqual(CONFIG);
    // The graph is left to transformers.js (small; it reads it whole anyway).
    expect(s.asked).not.toContain('onnx/model_quantized.onnx');
    const first = events.filter((e) => e.file === 'onnx/model_quantized.onnx_data');
    expect(first.map((e) => e.status)).toEqual(['initiate', 'download', 'progress', 'progress', 'progress', 'progress', 'progress', 'done']);
    const loaded = first.flatMap((e) => (e.status === 'progress' ? [e.loaded] : []));
    expect(loaded).toEqual([1000, 2000, 3000, 4000, 4500]);
    expect(first.every((e) => e.status !== 'progress' || e.total === 4500)).toBe(true);
  });

  it('asks only for what the cache lacks, and nothing at all when everything is cached', async () => {
    const cache = memoryCache();
    await cache.put(`${BASE}config.json`, new Response(JSON.stringify(CONFIG)));
    await cache.put(`${BASE}onnx/model_quantized.onnx_data`, new Response(bytes(10, 0)));
    const s = server(files);
    expect(await downloadWeightsToCache(BASE, 'q8', deps(cache, s.fetch).deps)).toEqual(['onnx/model_quantized.onnx_data_1']);
    expect(s.asked).toEqual(['onnx/model_quantized.onnx_data_1']);
    const again = server(files);
    expect(await downloadWeightsToCache(BASE, 'q8', deps(cache, again.fetch).deps)).toEqual([]);
    expect(again.asked).toEqual([]);
  });

  it('downloads nothing more when config.json announces no external data, or cannot be had', async () => {
    const none = server({ 'config.json': JSON.stringify({ model_type: 'qwen2' }) });
    expect(await downloadWeightsToCache(BASE, 'q8', deps(memoryCache(), none.fetch).deps)).toEqual(['config.json']);
    expect(none.asked).toEqual(['config.json']);
    const missing = server({});
    expect(await downloadWeightsToCache(BASE, 'q8', deps(memoryCache(), missing.fetch).deps)).toEqual([]);
    const garbled = server({ 'config.json': '{ not json' });
    const cache = memoryCache();
    expect(await downloadWeightsToCache(BASE, 'q8', deps(cache, garbled.fetch).deps)).toEqual([]);
    expect(cache.kept.size).toBe(0);
  });

  it('stops at a file the server does not have, keeping what came before (transformers.js reports the error)', async () => {
    const { 'onnx/model_quantized.onnx_data_1': _, ...partial } = files;
    const s = server(partial);
    const cache = memoryCache();
    expect(await downloadWeightsToCache(BASE, 'q8', deps(cache, s.fetch).deps)).toEqual(['config.json', 'onnx/model_quantized.onnx_data']);
    expect([...cache.kept.keys()]).not.toContain(`${BASE}onnx/model_quantized.onnx_data_1`);
  });

  it('leaves a file larger than the quota left to transformers.js without reading it, and one the quota refuses unstored', async () => {
    const s = server(files);
    const cache = memoryCache();
    const { events, deps: d } = deps(cache, s.fetch, 3000);
    expect(await downloadWeightsToCache(BASE, 'q8', d)).toEqual(['config.json']);
    expect(events.some((e) => e.status === 'progress')).toBe(false);
    expect(s.asked).toEqual(['config.json', 'onnx/model_quantized.onnx_data']); // not the next one
    // The estimate said there was room, the cache refused: noted by the quota guard, not stored, no more downloads.
    const small = memoryCache(3000);
    const guarded = quotaGuardedCache(async () => small);
    const s2 = server(files);
    expect(await downloadWeightsToCache(BASE, 'q8', deps(guarded, s2.fetch).deps)).toEqual(['config.json']);
    expect(guarded.takeRefused()).toEqual([`${BASE}onnx/model_quantized.onnx_data`]);
    expect(s2.asked).toEqual(['config.json', 'onnx/model_quantized.onnx_data']);
  });

  it('stores what a compressing server sent as it is: no content-encoding, no wire length, progress without a total', async () => {
    // The browser hands over the decoded body; the length on the wire (here a stand-in 10) is the compressed one.
    const s = server(files, { headers: { 'content-encoding': 'gzip', 'content-length': '10' } });
    const cache = memoryCache();
    const kept: Headers[] = [];
    const spy: CacheForModels = { match: (k) => cache.match(k), put: async (k, r) => (kept.push(r.headers), cache.put(k, r)) };
    const { events, deps: d } = deps(spy, s.fetch, 100); // 100 bytes free: the wire length must not be taken for the size
    expect(await downloadWeightsToCache(BASE, 'q8', d)).toEqual(['config.json', 'onnx/model_quantized.onnx_data', 'onnx/model_quantized.onnx_data_1']);
    for (const h of kept) expect(h.get('content-encoding')).toBeNull();
    expect(kept[0]!.get('content-length')).toBe(String(JSON.stringify(CONFIG).length));
    expect(kept[1]!.get('content-length')).toBeNull();
    expect(cache.kept.get(`${BASE}onnx/model_quantized.onnx_data`)).toEqual(files['onnx/model_quantized.onnx_data']);
    const last = events.filter((e) => e.status === 'progress' && e.file === 'onnx/model_quantized.onnx_data').at(-1);
    expect(last).toMatchObject({ loaded: 4500, total: 4500 });
  });

  it('takes an HTML page for a weights file as not there, and a put the cache refuses for another reason as not stored', async () => {
    const html = server(files, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    const cache = memoryCache();
    await cache.put(`${BASE}config.json`, new Response(JSON.stringify(CONFIG)));
    expect(await downloadWeightsToCache(BASE, 'q8', deps(cache, html.fetch).deps)).toEqual([]);
    expect(cache.kept.size).toBe(1);
    // A refusal that is neither the quota nor the download breaking off (e.g. an entry the cache will not keep).
    const picky: CacheForModels = { match: (k) => cache.match(k), put: async () => Promise.reject(new TypeError('Cache.put: not cacheable')) };
    const { events, deps: d } = deps(picky, server(files).fetch);
    expect(await downloadWeightsToCache(BASE, 'q8', d)).toEqual([]);
    // The file's bar goes back to nothing: transformers.js downloads it again and counts it itself.
    expect(events.filter((e) => e.file === 'onnx/model_quantized.onnx_data').at(-1)).toMatchObject({ status: 'progress', loaded: 0 });
  });

  it('fails the load when a download breaks off, storing nothing of it', async () => {
    const s = server(files, { breakAfter: 2000 });
    const cache = memoryCache();
    await expect(downloadWeightsToCache(BASE, 'q8', deps(cache, s.fetch).deps)).rejects.toThrow('network error');
    expect([...cache.kept.keys()]).toEqual([`${BASE}config.json`]);
  });
});
