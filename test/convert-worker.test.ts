// The in-browser converter's worker side in Node, with fakes for Cache Storage, the network and
// the quota: plan sizes and errors, conversion into the cache (config.json last), failure and
// cancel leave nothing, listing / removing, and transformers.js loading the result from the cache
// under the keys we write without a single fetch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertQwen2 } from '../src/convert/convert.ts';
import { memorySource, memoryWriter, type FileSource } from '../src/convert/io.ts';
import { planConversion } from '../src/convert/convert-plan.ts';
import { encodeSafetensors } from '../src/convert/safetensors.ts';
import { makeTinyQwen2, type TinyQwen2Spec } from '../src/convert/tiny-checkpoint.ts';
import { BUSY_ELSEWHERE, ConvertHost, convertErrorMessage, type ConvertHostDeps } from '../src/worker/convert-host.ts';
import { assertConverted, cacheKey, convertedIdFor, isConvertedId } from '../src/worker/convert-keys.ts';
import type { ConvertSource, FromConvertWorker, StorageQuota } from '../src/worker/convert-protocol.ts';
import { SourceError, hubSource, openSource, readCapped, urlSource, type FetchLike, type OpenedSource } from '../src/worker/convert-sources.ts';
import { blobStager, listConverted, type CacheLike } from '../src/worker/convert-storage.ts';
import { ROOT } from './paths.ts';

const ORIGIN = 'http://localhost:4173';
const SPEC: TinyQwen2Spec = { hidden: 48, layers: 2, heads: 4, kvHeads: 2, headDim: 12, intermediate: 80, vocab: 300, tied: true, dtype: 'BF16', shards: 2, seed: 3 };

function sourceFiles(spec: TinyQwen2Spec = SPEC): Map<string, Uint8Array> {
  const files = new Map(makeTinyQwen2(spec).files);
  const enc = new TextEncoder();
  files.set('tokenizer.json', enc.encode('{"model":{}}'));
  files.set('tokenizer_config.json', enc.encode('{}'));
  return files;
}

/** Cache Storage stand-in: absolute-URL keys, bodies as Blobs, put order recorded. */
function fakeCache(): CacheLike & { readonly entries: Map<string, Response>; readonly order: string[] } {
  const entries = new Map<string, Response>();
  const order: string[] = [];
  return {
    entries,
    order,
    async match(key) {
      return entries.get(key)?.clone();
    },
    async put(key, res) {
      const blob = await res.blob();
      entries.set(key, new Response(blob, { headers: res.headers }));
      order.push(key);
    },
    async delete(key) {
      return entries.delete(key);
    },
    async keys() {
      return [...entries.keys()].map((url) => ({ url }));
    },
  };
}

function setup(
  opts: { files?: Map<string, Uint8Array>; src?: FileSource; quota?: StorageQuota | null; cache?: ReturnType<typeof fakeCache>; exclusive?: ConvertHostDeps['exclusive']; stager?: ConvertHostDeps['stager'] } = {},
) {
  const posted: FromConvertWorker[] = [];
  const cache = opts.cache ?? fakeCache();
  let t = 0;
  const deps: ConvertHostDeps = {
    post: (m) => posted.push(m),
    openSource: async (s: ConvertSource): Promise<OpenedSource> => ({
      src: opts.src ?? memorySource(opts.files ?? sourceFiles()),
      label: 'test',
      modelId: convertedIdFor(s.kind === 'hub' ? { kind: 'hub', repo: s.repo } : s.kind === 'url' ? { kind: 'url', url: s.url } : { kind: 'files', name: s.name }),
    }),
    openCache: async () => cache,
    origin: ORIGIN,
    stager: opts.stager ?? (async () => blobStager()),
    estimate: async () => (opts.quota === undefined ? { usage: 1e6, quota: 1e10 } : opts.quota),
    now: () => (t += 50),
    chunkBytes: 4096,
    ...(opts.exclusive ? { exclusive: opts.exclusive } : {}),
  };
  return { host: new ConvertHost(deps), posted, cache };
}

const URL_SOURCE: ConvertSource = { kind: 'url', url: '/models/src' };
const MODEL_ID = '/converted/url/src';
const convertedKeys = (cache: ReturnType<typeof fakeCache>) => [...cache.entries.keys()].filter((k) => k.startsWith(`${ORIGIN}/converted/`));

describe('converted model ids and cache keys', () => {
  it('map every source to a three-segment id that transformers.js never fetches', () => {
    expect(convertedIdFor({ kind: 'hub', repo: 'Salesforce/E1-Math-1.5B' })).toBe('/converted/Salesforce/E1-Math-1.5B');
    expect(convertedIdFor({ kind: 'url', url: 'http://localhost:4173/models/tiny-qwen2-src/' })).toBe('/converted/url/tiny-qwen2-src');
    expect(convertedIdFor({ kind: 'files', name: 'my model (copy)' })).toBe('/converted/files/my-model-copy-');
    expect(isConvertedId('/converted/Salesforce/E1-Math-1.5B')).toBe(true);
    expect(isConvertedId('/converted/a/../b')).toBe(false);
    expect(isConvertedId('/models/x')).toBe(false);
    // transformers.js 4.3.1 downloads only ids matching REPO_ID_REGEX (at most owner/name); read
    // the regex from the shipped build so an upgrade that changes it fails here.
    const web = readFileSync(join(ROOT, 'node_modules/@huggingface/transformers/dist/transformers.web.js'), 'utf8');
    const m = /var REPO_ID_REGEX = \/(.+)\/;/.exec(web);
    expect(m).not.toBeNull();
    const re = new RegExp(m![1]!);
    for (const id of ['converted/Salesforce/E1-Math-1.5B', 'converted/url/tiny-qwen2-src', 'converted/files/x']) expect(re.test(id)).toBe(false);
    expect(re.test('models/scripted-think48')).toBe(true); // what a served folder id looks like
  });

  it('assertConverted explains a missing model and a missing dtype', async () => {
    const cache = fakeCache();
    await expect(assertConverted(cache, ORIGIN, MODEL_ID, 'q4')).rejects.toThrow(/not stored in this browser .* convert it again/);
    await cache.put(cacheKey(ORIGIN, MODEL_ID, 'config.json'), new Response('{}'));
    await cache.put(cacheKey(ORIGIN, MODEL_ID, 'onnx/model_q4.onnx'), new Response('x'));
    await expect(assertConverted(cache, ORIGIN, MODEL_ID, 'q4')).resolves.toBeUndefined();
    await expect(assertConverted(cache, ORIGIN, MODEL_ID, 'q4f16')).rejects.toThrow(/without q4f16 weights \(stored: q4\)\. Choose q4/);
    // q8 (what WASM loads) is stored under transformers.js' name for it.
    await cache.put(cacheKey(ORIGIN, MODEL_ID, 'onnx/model_quantized.onnx'), new Response('x'));
    await expect(assertConverted(cache, ORIGIN, MODEL_ID, 'q8')).resolves.toBeUndefined();
  });
});

describe('plan', () => {
  it('lists what it downloads, estimates what it stores, and reads the quota', async () => {
    const files = sourceFiles();
    const { host, posted } = setup({ files });
    await host.handle({ type: 'plan', requestId: 'p1', source: URL_SOURCE, dtypes: ['q4', 'q4f16'] });
    const m = posted.at(-1)!;
    expect(m.type).toBe('planned');
    if (m.type !== 'planned') return;
    const total = [...files.values()].reduce((a, b) => a + b.byteLength, 0);
    expect(m.plan.downloadBytes).toBe(total);
    expect(m.plan.inputs.map((f) => f.name).sort()).toEqual([...files.keys()].sort());
    expect(m.plan).toMatchObject({ modelId: MODEL_ID, problem: null, alreadyStored: false, quota: { usage: 1e6, quota: 1e10 }, dtypes: ['q4', 'q4f16'] });
    // The estimate is close to what the converter really writes (graphs are over-estimated).
    const w = memoryWriter();
    await convertQwen2(memorySource(files), w, { dtypes: ['q4', 'q4f16'] });
    const actual = [...w.files.values()].reduce((a, b) => a + b.byteLength, 0);
    expect(m.plan.storeBytes).toBeGreaterThanOrEqual(actual);
    expect(m.plan.storeBytes).toBeLessThan(actual + 512 * 1024);
  });

  it('the E1-sized estimate: q4f16 of a Qwen2-1.5B is about 1.3 GB', async () => {
    const cfg = { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: false, rope_theta: 10000, rms_norm_eps: 1e-6 };
    const { estimateWeights } = await import('../src/convert/convert-plan.ts');
    const { parseQwen2Config } = await import('../src/convert/qwen2-config.ts');
    const q4f16 = estimateWeights(parseQwen2Config(cfg), 'q4f16', 512 * 2 ** 20);
    expect(q4f16.total / 1e9).toBeGreaterThan(1.2);
    expect(q4f16.total / 1e9).toBeLessThan(1.5);
    expect(q4f16.largestFile).toBeLessThanOrEqual(512 * 2 ** 20);
  });

  it('names the problem: architecture, tokenizer, truncated or missing shard, tensor dtype, output dtype, quota', async () => {
    const message = async (files: Map<string, Uint8Array>, dtypes: ('q4' | 'q4f16' | 'fp32')[] = ['q4'], quota?: StorageQuota | null) => {
      const { host, posted } = setup({ files, ...(quota !== undefined ? { quota } : {}) });
      await host.handle({ type: 'plan', requestId: 'p', source: URL_SOURCE, dtypes });
      const m = posted.at(-1)!;
      if (m.type === 'planFailed') return m.message;
      if (m.type === 'planned') return m.plan.problem ?? 'ok';
      return `unexpected ${m.type}`;
    };
    const base = sourceFiles();
    const enc = new TextEncoder();
    const cfg = JSON.parse(new TextDecoder().decode(base.get('config.json')));
    expect(await message(new Map(base).set('config.json', enc.encode(JSON.stringify({ ...cfg, architectures: ['LlamaForCausalLM'], model_type: 'llama' }))))).toMatch(
      /^Unsupported model: unsupported architecture \["LlamaForCausalLM"\].*only Qwen2ForCausalLM/,
    );
    const noTok = new Map(base);
    noTok.delete('tokenizer.json');
    expect(await message(noTok)).toMatch(/^Unsupported model: tokenizer\.json is missing/);
    const shard = base.get('model-00002-of-00002.safetensors')!;
    expect(await message(new Map(base).set('model-00002-of-00002.safetensors', shard.subarray(0, shard.byteLength - 100)))).toMatch(
      /^Bad checkpoint: model-00002-of-00002\.safetensors: truncated: tensor \S+ needs bytes up to \d+, file has \d+/,
    );
    const missing = new Map(base);
    missing.delete('model-00001-of-00002.safetensors');
    expect(await message(missing)).toMatch(/^Missing shard model-00001-of-00002\.safetensors \(listed in model\.safetensors\.index\.json/);
    const single = sourceFiles({ ...SPEC, shards: 1 });
    const st = new TextDecoder('latin1').decode(single.get('model.safetensors')!.subarray(0, 200));
    expect(st).toContain('"BF16"');
    const bad = encodeSafetensors([{ name: 'model.embed_tokens.weight', dtype: 'F32', shape: [2], data: new Float32Array(2) }]);
    const i8 = new TextEncoder().encode(new TextDecoder().decode(bad).replace('"F32"', '"I8" '));
    expect(await message(new Map(single).set('model.safetensors', i8))).toMatch(/^Bad checkpoint: model\.safetensors: tensor model\.embed_tokens\.weight: unsupported dtype I8/);
    expect(await message(base, ['fp16' as 'q4'])).toMatch(/^Conversion failed: unsupported dtype "fp16" \(supported: fp32, q4, q4f16, q8\)/);
    expect(await message(base, ['q4'], { usage: 1000, quota: 200_000 })).toMatch(/^Not enough storage: the conversion needs about .* free .* only .* more\./);
  });
});

describe('convert', () => {
  it('stores every file under the keys transformers.js asks for, config.json last, identical to a Node conversion', async () => {
    const files = sourceFiles();
    const { host, posted, cache } = setup({ files });
    await host.handle({ type: 'convert', jobId: 'j1', source: URL_SOURCE, dtypes: ['q4'] });
    const last = posted.at(-1)!;
    expect(last).toMatchObject({ type: 'converted', jobId: 'j1', model: { modelId: MODEL_ID, dtypes: ['q4'], problems: [] } });
    const phases = posted.filter((m) => m.type === 'progress').map((m) => (m.type === 'progress' ? m.progress.phase : ''));
    expect([...new Set(phases)]).toEqual(['prepare', 'inspect', 'weights', 'graph', 'copy', 'verify', 'done']);
    const final = posted.filter((m) => m.type === 'progress').at(-1);
    if (final?.type === 'progress') {
      expect(final.progress.downloadedBytes).toBeGreaterThan(0.9 * (final.progress.downloadBytes - 20_000));
      expect(final.progress.quantizedBytes).toBe(final.progress.quantizeBytes);
    }
    expect(cache.order.at(-1)).toBe(cacheKey(ORIGIN, MODEL_ID, 'config.json'));
    const w = memoryWriter();
    await convertQwen2(memorySource(files), w, { dtypes: ['q4'], chunkBytes: 4096 });
    expect(convertedKeys(cache).sort()).toEqual([...w.files.keys()].map((f) => cacheKey(ORIGIN, MODEL_ID, f)).sort());
    for (const [name, bytes] of w.files) {
      const res = (await cache.match(cacheKey(ORIGIN, MODEL_ID, name)))!;
      expect(res.headers.get('content-length')).toBe(String(bytes.byteLength));
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    }
    await host.handle({ type: 'list' });
    expect(posted.at(-1)).toMatchObject({ type: 'listed', models: [{ modelId: MODEL_ID, problems: [] }] });
    // A plan for the same source now says it is stored (converting again replaces it).
    await host.handle({ type: 'plan', requestId: 'p2', source: URL_SOURCE, dtypes: ['q4'] });
    expect(posted.at(-1)).toMatchObject({ type: 'planned', plan: { alreadyStored: true } });
  });

  it('two tabs: the second conversion is refused while the first holds the lock, and deletes nothing of it', async () => {
    // Web Locks' ifAvailable, as the two tabs' workers share it.
    let held = false;
    const exclusive = async (fn: () => Promise<void>) => {
      if (held) return false;
      held = true;
      try {
        await fn();
      } finally {
        held = false;
      }
      return true;
    };
    const cache = fakeCache();
    const a = setup({ cache, exclusive });
    const b = setup({ cache, exclusive });
    const first = a.host.handle({ type: 'convert', jobId: 'a1', source: URL_SOURCE, dtypes: ['q4'] });
    await b.host.handle({ type: 'convert', jobId: 'b1', source: URL_SOURCE, dtypes: ['q4'] });
    expect(b.posted.at(-1)).toEqual({ type: 'convertFailed', jobId: 'b1', message: BUSY_ELSEWHERE, cancelled: false });
    await first;
    expect(a.posted.at(-1)).toMatchObject({ type: 'converted', jobId: 'a1' });
    expect(await listConverted(cache, ORIGIN)).toMatchObject([{ modelId: MODEL_ID, problems: [] }]);
    // Once the first is done, the second tab may convert.
    await b.host.handle({ type: 'convert', jobId: 'b2', source: URL_SOURCE, dtypes: ['q4'] });
    expect(b.posted.at(-1)).toMatchObject({ type: 'converted', jobId: 'b2' });
  });

  it('after a converter died: a listing under the lock removes its leftovers and staging; while another tab converts it deletes nothing', async () => {
    let elsewhere = true; // another tab holds the conversion lock
    const exclusive = async (fn: () => Promise<void>) => (elsewhere ? false : (await fn(), true));
    const cache = fakeCache();
    let cleanups = 0;
    const { host, posted } = setup({ cache, exclusive, stager: async () => ({ ...blobStager(), cleanup: async () => void cleanups++ }) });
    // What a worker that died mid-conversion leaves: files without the config.json marker.
    await cache.put(cacheKey(ORIGIN, '/converted/url/crashed', 'onnx/model_q4.onnx_data'), new Response(new Uint8Array(10)));
    await host.handle({ type: 'list' });
    expect(posted.at(-1)).toEqual({ type: 'listed', models: [] });
    expect(convertedKeys(cache)).toHaveLength(1); // it may be another tab's conversion in progress
    expect(cleanups).toBe(0);
    elsewhere = false;
    await host.handle({ type: 'list' });
    expect(posted.at(-1)).toEqual({ type: 'listed', models: [] });
    expect(convertedKeys(cache)).toEqual([]);
    expect(cleanups).toBe(1);
  });

  it('a failure midway, a cancel, or a too-small quota leave nothing in the cache (and no old copy half-replaced)', async () => {
    const files = sourceFiles();
    const cache = fakeCache();
    // A complete earlier conversion of the same id.
    await setup({ files, cache }).host.handle({ type: 'convert', jobId: 'old', source: URL_SOURCE, dtypes: ['q4'] });
    expect(convertedKeys(cache).length).toBeGreaterThan(0);

    const base = memorySource(files);
    let reads = 0;
    const failing: FileSource = {
      size: (n) => base.size(n),
      async read(n, o, l) {
        if (n.endsWith('.safetensors') && o > 4096 && ++reads > 6) throw new Error('connection reset');
        return base.read(n, o, l);
      },
    };
    const a = setup({ src: failing, cache });
    await a.host.handle({ type: 'convert', jobId: 'j2', source: URL_SOURCE, dtypes: ['q4'] });
    expect(a.posted.at(-1)).toMatchObject({ type: 'convertFailed', jobId: 'j2', cancelled: false, message: expect.stringMatching(/^Reading the checkpoint failed: model-00001-of-00002\.safetensors: tensor \S+: read failed \(connection reset\)/) });
    expect(convertedKeys(cache)).toEqual([]);

    // Cancel while weights are being read.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: FileSource = {
      size: (n) => base.size(n),
      async read(n, o, l) {
        if (n.endsWith('.safetensors') && o > 4096) await gate;
        return base.read(n, o, l);
      },
    };
    const b = setup({ src: slow, cache });
    const running = b.host.handle({ type: 'convert', jobId: 'j3', source: URL_SOURCE, dtypes: ['q4'] });
    await new Promise((r) => setTimeout(r, 20));
    await b.host.handle({ type: 'convert', jobId: 'j4', source: URL_SOURCE, dtypes: ['q4'] });
    expect(b.posted.at(-1)).toMatchObject({ type: 'convertFailed', jobId: 'j4', message: 'Another conversion is running; cancel it first.' });
    await b.host.handle({ type: 'remove', modelId: MODEL_ID });
    expect(b.posted.at(-1)).toMatchObject({ type: 'storageFailed' });
    await b.host.handle({ type: 'cancel', jobId: 'j3' });
    release();
    await running;
    expect(b.posted.at(-1)).toMatchObject({ type: 'convertFailed', jobId: 'j3', cancelled: true, message: 'Conversion cancelled; nothing was kept.' });
    expect(convertedKeys(cache)).toEqual([]);

    const c = setup({ files, cache, quota: { usage: 0, quota: 100_000 } });
    await c.host.handle({ type: 'convert', jobId: 'j5', source: URL_SOURCE, dtypes: ['q4'] });
    expect(c.posted.at(-1)).toMatchObject({ type: 'convertFailed', jobId: 'j5', message: expect.stringMatching(/^Not enough storage/) });
    expect(convertedKeys(cache)).toEqual([]);
  });

  it('list drops leftovers of an interrupted conversion and flags a damaged one; remove frees it', async () => {
    const { host, posted, cache } = setup();
    await host.handle({ type: 'convert', jobId: 'j1', source: URL_SOURCE, dtypes: ['q4'] });
    await cache.put(cacheKey(ORIGIN, '/converted/url/crashed', 'onnx/model_q4.onnx_data'), new Response(new Uint8Array(10)));
    await cache.delete(cacheKey(ORIGIN, MODEL_ID, 'tokenizer.json'));
    expect(await listConverted(cache, ORIGIN)).toHaveLength(1);
    expect(convertedKeys(cache).some((k) => k.includes('/crashed/'))).toBe(true); // skipped, not deleted, without the lock
    const models = await listConverted(cache, ORIGIN, true);
    expect(models).toEqual([expect.objectContaining({ modelId: MODEL_ID, problems: ['tokenizer.json is missing'] })]);
    expect(convertedKeys(cache).some((k) => k.includes('/crashed/'))).toBe(false);
    await host.handle({ type: 'remove', modelId: MODEL_ID });
    const m = posted.at(-1)!;
    expect(m).toMatchObject({ type: 'removed', modelId: MODEL_ID });
    // What is freed is the stored model less the deleted tokenizer.json (models[0].bytes counts the manifest's files).
    if (m.type === 'removed') expect(m.bytesFreed).toBeGreaterThan(models[0]!.bytes / 2);
    expect(convertedKeys(cache)).toEqual([]);
  });

  it('transformers.js loads the stored model from the cache keys without any fetch, and greedy-decodes like the Node folder', async () => {
    const { env, AutoModelForCausalLM, Tensor } = await import('@huggingface/transformers');
    const files = sourceFiles({ ...SPEC, vocab: 300 });
    const { host, cache } = setup({ files });
    await host.handle({ type: 'convert', jobId: 'j1', source: URL_SOURCE, dtypes: ['q4'] });
    const saved = { ...env, fetch: env.fetch };
    const fetched: string[] = [];
    try {
      // What the runtime's locate() sets for an id starting with '/', plus the browser cache.
      Object.assign(env, {
        allowLocalModels: false,
        allowRemoteModels: true,
        remoteHost: `${ORIGIN}/`,
        remotePathTemplate: '{model}/',
        useFSCache: false,
        useCustomCache: true,
        customCache: cache,
        fetch: async (u: string) => {
          fetched.push(String(u));
          return new Response('not found', { status: 404 });
        },
      });
      const model = await AutoModelForCausalLM.from_pretrained(MODEL_ID.slice(1), { dtype: 'q4', device: 'cpu' });
      const ids = [5, 17, 42, 99];
      const input_ids = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
      const attention_mask = new Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]);
      const out = (await model.generate({ input_ids, attention_mask, max_new_tokens: 5, do_sample: false })) as { tolist(): bigint[][] };
      await model.dispose();
      expect(fetched).toEqual([]);
      // The same conversion written by the Node writer, loaded from disk.
      const { mkdtemp, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { nodeWriter } = await import('../tools/convert.ts');
      const dir = await mkdtemp(join(tmpdir(), 'convert-worker-'));
      await convertQwen2(memorySource(files), nodeWriter(join(dir, 'm')), { dtypes: ['q4'] });
      Object.assign(env, { useCustomCache: false, customCache: null, allowLocalModels: true, allowRemoteModels: false, localModelPath: `${dir}/` });
      const disk = await AutoModelForCausalLM.from_pretrained('m', { dtype: 'q4', device: 'cpu' });
      const out2 = (await disk.generate({ input_ids, attention_mask, max_new_tokens: 5, do_sample: false })) as { tolist(): bigint[][] };
      await disk.dispose();
      await rm(dir, { recursive: true, force: true });
      expect(out.tolist()).toEqual(out2.tolist());
    } finally {
      Object.assign(env, saved);
    }
  });
});

describe('sources', () => {
  const files = sourceFiles();
  /** A static server over `files` at `base`; `ranges` false = ignores Range (200, whole body). */
  function server(base: string, opts: { ranges: boolean; listing?: boolean } = { ranges: true }) {
    const calls: string[] = [];
    const fetchFn: FetchLike = async (url, init) => {
      calls.push(`${init?.method ?? 'GET'} ${url}${init?.headers?.Range ? ` ${init.headers.Range}` : ''}`);
      if (opts.listing && url === 'https://huggingface.co/api/models/owner/tiny/tree/main') {
        return Response.json([...files].map(([path, b]) => ({ type: 'file', path, size: b.byteLength, ...(path.endsWith('.safetensors') ? { lfs: { size: b.byteLength } } : {}) })).concat([{ type: 'directory', path: 'onnx', size: 0 }]));
      }
      if (opts.listing && url.startsWith('https://huggingface.co/api/')) return new Response('{"error":"Repository not found"}', { status: 404 });
      if (!url.startsWith(base)) return new Response('no', { status: 404 });
      const body = files.get(decodeURIComponent(url.slice(base.length)));
      if (!body) return new Response('not found', { status: 404 });
      const headers = { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) };
      if (init?.method === 'HEAD') return new Response(null, { headers });
      const range = /^bytes=(\d+)-(\d+)$/.exec(init?.headers?.Range ?? '');
      if (range && opts.ranges) {
        const part = body.subarray(Number(range[1]), Number(range[2]) + 1);
        return new Response(part.slice(), { status: 206, headers: { 'content-length': String(part.byteLength) } });
      }
      return new Response(body.slice(), { headers });
    };
    return { fetchFn, calls };
  }

  it('hub: sizes from the tree API, ranged reads from resolve/; unknown repo is a clear error', async () => {
    const s = server('https://huggingface.co/owner/tiny/resolve/main/', { ranges: true, listing: true });
    const src = await hubSource(s.fetchFn, 'owner/tiny');
    expect(await src.size('model-00001-of-00002.safetensors')).toBe(files.get('model-00001-of-00002.safetensors')!.byteLength);
    expect(await src.size('vocab.json')).toBeNull();
    const plan = await planConversion(src, ['q4']);
    expect(plan.downloadBytes).toBe([...files.values()].reduce((a, b) => a + b.byteLength, 0));
    expect(s.calls.filter((c) => c.startsWith('HEAD'))).toEqual([]);
    expect(s.calls.filter((c) => c.startsWith('GET https://huggingface.co/owner/tiny/resolve/main/model-')).every((c) => / bytes=\d+-\d+$/.test(c))).toBe(true);
    await expect(hubSource(s.fetchFn, 'owner/missing')).rejects.toThrow(/owner\/missing \(revision main\) was not found on the Hub, or it is private or gated/);
    await expect(hubSource(s.fetchFn, 'not a repo')).rejects.toThrow(/is not a Hub repo id/);
  });

  it('reads count bytes as they stream and stop past the limit, with or without a (true) length', async () => {
    const stream = (chunks: number, size: number) => {
      let sent = 0;
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          pulled++;
          if (sent++ < chunks) c.enqueue(new Uint8Array(size));
          else c.close();
        },
      });
      return { body, pulled: () => pulled };
    };
    // No Content-Length: cut after the limit, without reading the rest.
    const endless = stream(1000, 1024);
    await expect(readCapped(new Response(endless.body), 4096, 'f')).rejects.toThrow(/more than 4096 bytes/);
    expect(endless.pulled()).toBeLessThan(10);
    // A length that lies (says small, sends more) is caught the same way.
    const liar = stream(1000, 1024);
    await expect(readCapped(new Response(liar.body, { headers: { 'content-length': '100' } }), 4096, 'f')).rejects.toThrow(SourceError);
    // A declared length past the limit is refused before reading.
    await expect(readCapped(new Response(new Uint8Array(10), { headers: { 'content-length': '99999' } }), 4096, 'f')).rejects.toThrow(/more than 4096/);
    expect(await readCapped(new Response(new Uint8Array([1, 2, 3])), 3, 'f')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('url: HEAD for sizes, Range for data; a server that ignores Range is read whole once', async () => {
    const base = 'http://localhost:4173/models/tiny-src/';
    for (const ranges of [true, false]) {
      const s = server(base, { ranges });
      const opened = await openSource(s.fetchFn, { kind: 'url', url: '/models/tiny-src' }, 'http://localhost:4173');
      expect(opened.modelId).toBe('/converted/url/tiny-src');
      const w = memoryWriter();
      await convertQwen2(opened.src, w, { dtypes: ['q4'], chunkBytes: 4096 });
      const ref = memoryWriter();
      await convertQwen2(memorySource(files), ref, { dtypes: ['q4'], chunkBytes: 4096 });
      expect(w.files).toEqual(ref.files);
      const gets = s.calls.filter((c) => c.startsWith('GET') && c.includes('.safetensors'));
      if (ranges) expect(gets.length).toBeGreaterThan(10);
      else expect(new Set(gets.map((c) => c.split(' ')[1])).size).toBeLessThanOrEqual(gets.length);
    }
    // A missing file is null (a 404), not an SPA index.html.
    const spa: FetchLike = async () => new Response('<!doctype html>', { headers: { 'content-type': 'text/html', 'content-length': '15' } });
    expect(await urlSource(spa, base).size('config.json')).toBeNull();
  });

  it('error messages name the problem', () => {
    expect(convertErrorMessage(Object.assign(new Error('quota'), { name: 'QuotaExceededError' }))).toMatch(/^Storage is full/);
    expect(convertErrorMessage(new TypeError('Failed to fetch'))).toMatch(/^Download failed: Failed to fetch/);
  });
});
