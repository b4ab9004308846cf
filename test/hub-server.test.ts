// The converter and the model loader against a local server that answers like the Hub
// (tools/hub-server.ts): `resolve/` redirects large files to a second origin, which serves ranges.
// The converter's Hub source reads a sharded checkpoint through the redirects with ranged reads
// only, and writes the same bytes as a conversion from the local files; transformers.js (the
// app's loader, env.remoteHost pointed at the server) loads the converted repo and computes the
// same logits as from the local folder.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertQwen2 } from '../src/convert/convert.ts';
import { memorySource, memoryWriter } from '../src/convert/io.ts';
import { hubSource, SourceError } from '../src/worker/convert-sources.ts';
import { startHubServer, type HubServer } from '../tools/hub-server.ts';
import { serveBench } from '../tools/bench/chromium-items.ts';
import { nodeWriter } from '../tools/convert.ts';
import { tinyQwen2SourceFiles } from '../tools/testmodels/tiny-qwen2.ts';

const REPO = 'Salesforce/E1-Math-1.5B';
const CONVERTED = 'someone/E1-Math-1.5B-ONNX';
let root: string;
let hub: HubServer;
let files: Map<string, Uint8Array>;

/** Byte equality (vitest's deep equality walks typed arrays element by element: minutes for MBs). */
const sameBytes = (a: ArrayBufferView | undefined, b: ArrayBufferView) =>
  a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-server-'));
  files = tinyQwen2SourceFiles();
  for (const [name, bytes] of files) {
    await mkdir(dirname(join(root, 'src', name)), { recursive: true });
    await writeFile(join(root, 'src', name), bytes);
  }
  // The converted repo is written by a plain local conversion (what a user would upload).
  await convertQwen2(memorySource(files), nodeWriter(join(root, 'onnx')), { dtypes: ['q4'] });
  // A small LFS threshold, so that shards and ONNX data of a tiny model take the CDN path.
  hub = await startHubServer({ repos: { [REPO]: join(root, 'src'), [CONVERTED]: join(root, 'onnx') }, lfsThreshold: 4096 });
});

afterAll(async () => {
  await hub?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('Hub-like server', () => {
  it('answers resolve/ with a 302 to the CDN for large files, sizes and ETags in headers, ranges with CORS there', async () => {
    const shard = [...files.keys()].find((f) => f.endsWith('.safetensors'))!;
    const size = files.get(shard)!.byteLength;
    const res = await fetch(`${hub.url}/${REPO}/resolve/main/${shard}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(Number(res.headers.get('x-linked-size'))).toBe(size);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    const location = res.headers.get('location')!;
    expect(new URL(location).origin).toBe(hub.cdnUrl);
    const ranged = await fetch(location, { headers: { Range: 'bytes=8-15' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 8-15/${size}`);
    expect(ranged.headers.get('access-control-allow-origin')).toBe('*');
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(files.get(shard)!.subarray(8, 16));
    // Small files are served by the Hub origin itself.
    const config = await fetch(`${hub.url}/${REPO}/resolve/main/config.json`, { redirect: 'manual' });
    expect(config.status).toBe(200);
    expect(await config.text()).toBe(new TextDecoder().decode(files.get('config.json')));
  });

  it('behind one origin (the Chromium bench: a CSP allowing only self), redirects to a CDN path there, and ranged reads pass the proxy', async () => {
    const local = await startHubServer({ repos: { [REPO]: join(root, 'src') }, lfsThreshold: 4096, cdnBase: '/cdn' });
    const server = await serveBench(root, {}, 0, { '/hub/': local.url, '/cdn/': local.cdnUrl });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const shard = [...files.keys()].find((f) => f.endsWith('.safetensors'))!;
      const url = `${origin}/hub/${REPO}/resolve/main/${shard}`;
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toMatch(/^\/cdn\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\?/);
      const ranged = await fetch(url, { headers: { Range: 'bytes=8-15' } });
      expect(ranged.status).toBe(206);
      expect(ranged.url.startsWith(`${origin}/cdn/`)).toBe(true);
      expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(files.get(shard)!.subarray(8, 16));
      expect(local.requests.map((r) => `${r.origin} ${r.status}`)).toEqual(['hub 302', 'hub 302', 'cdn 206']);
    } finally {
      server.close();
      await local.close();
    }
  });

  it('lists files with sizes in the tree and model-info APIs, and refuses unknown repos, revisions and files like the Hub', async () => {
    const tree = (await (await fetch(`${hub.url}/api/models/${REPO}/tree/main`)).json()) as { path: string; size: number; lfs?: { size: number } }[];
    expect(new Map(tree.map((e) => [e.path, e.size]))).toEqual(new Map([...files].map(([n, b]) => [n, b.byteLength])));
    const lfs = new Set(tree.filter((e) => e.lfs?.size === e.size).map((e) => e.path));
    for (const f of files.keys()) expect(lfs.has(f), f).toBe(f.endsWith('.safetensors') || files.get(f)!.byteLength >= 4096);
    const info = (await (await fetch(`${hub.url}/api/models/${REPO}?blobs=true`)).json()) as { siblings: { rfilename: string; size: number }[] };
    expect(info.siblings.map((s) => [s.rfilename, s.size]).sort()).toEqual([...files].map(([n, b]) => [n, b.byteLength]).sort());
    expect((await fetch(`${hub.url}/api/models/nobody/nothing/tree/main`)).status).toBe(401);
    expect((await fetch(`${hub.url}/${REPO}/resolve/v9/config.json`)).headers.get('x-error-code')).toBe('RevisionNotFound');
    expect((await fetch(`${hub.url}/${REPO}/resolve/main/nope.json`)).status).toBe(404);
  });

  it('the converter reads a sharded checkpoint through redirects and ranges and writes what a local conversion writes', async () => {
    hub.requests.length = 0;
    const src = await hubSource((u, init) => fetch(u, init), REPO, 'main', hub.url);
    const viaHub = memoryWriter();
    await convertQwen2(src, viaHub, { dtypes: ['q4'] });
    const local = memoryWriter();
    await convertQwen2(memorySource(files), local, { dtypes: ['q4'] });
    expect([...viaHub.files.keys()].sort()).toEqual([...local.files.keys()].sort());
    for (const [name, bytes] of local.files) expect(sameBytes(viaHub.files.get(name), bytes), name).toBe(true);
    const shardReads = hub.requests.filter((r) => r.path.endsWith('.safetensors'));
    expect(shardReads.length).toBeGreaterThan(2);
    expect(shardReads.every((r) => r.status === 302 && r.range !== null)).toBe(true);
    // Every redirect was followed to the CDN, which answered each with a range.
    const cdn = hub.requests.filter((r) => r.origin === 'cdn');
    expect(cdn.length).toBe(hub.requests.filter((r) => r.status === 302).length);
    expect(cdn.every((r) => r.status === 206)).toBe(true);
  });

  it('the converter names a missing or private repo clearly', async () => {
    await expect(hubSource((u, init) => fetch(u, init), 'nobody/nothing', 'main', hub.url)).rejects.toThrow(SourceError);
    await expect(hubSource((u, init) => fetch(u, init), 'nobody/nothing', 'main', hub.url)).rejects.toThrow(/not found on the Hub, or it is private or gated/);
  });

  it('transformers.js loads the converted repo from the Hub-like server (env.remoteHost) with the logits of the local folder', async () => {
    const { env, AutoModelForCausalLM } = await import('@huggingface/transformers');
    const { TransformersBackend } = await import('../src/worker/engine.ts');
    const saved = { ...env };
    const logitsOf = async (id: string) => {
      const model = await AutoModelForCausalLM.from_pretrained(id, { dtype: 'q4', device: 'cpu' });
      try {
        const backend = new TransformersBackend(model as never);
        const [row] = await backend.forward([{ feed: [5, 6, 7, 8], past: null }]);
        const { logits, cache } = row!;
        backend.release(cache);
        return logits;
      } finally {
        await model.dispose();
      }
    };
    try {
      env.allowLocalModels = true;
      env.allowRemoteModels = false;
      env.localModelPath = `${root}/`;
      const local = await logitsOf('onnx');
      hub.requests.length = 0;
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      // In Node transformers.js hands ONNX Runtime a file path: downloads go to a fresh file cache.
      env.useFSCache = true;
      env.cacheDir = join(root, 'tjs-cache');
      env.remoteHost = `${hub.url}/`;
      const remote = await logitsOf(CONVERTED);
      expect(remote.length).toBe(local.length);
      expect(sameBytes(remote, local)).toBe(true);
      // The weights came from the CDN after a redirect.
      expect(hub.requests.some((r) => r.origin === 'hub' && r.status === 302)).toBe(true);
      expect(hub.requests.some((r) => r.origin === 'cdn' && r.method === 'GET' && r.status === 200)).toBe(true);
    } finally {
      Object.assign(env, saved);
    }
  });
});
