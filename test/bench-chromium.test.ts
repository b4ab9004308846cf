// The Chromium bench's pieces that run in Node: its server (production headers on every answer,
// model folders mounted, nothing outside them), and the per-context figures.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBench } from '../tools/bench/chromium-items.ts';
import { byContext } from '../tools/bench/measure.ts';
import { productionHeaders } from '../tools/headers.ts';

describe('serveBench', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'bench-serve-'));
    await mkdir(join(root, 'dist'));
    await mkdir(join(root, 'model', 'onnx'), { recursive: true });
    await writeFile(join(root, 'dist', 'index.html'), '<!doctype html>');
    await writeFile(join(root, 'model', 'onnx', 'model.onnx_data'), new Uint8Array(3000).fill(7));
    await writeFile(join(root, 'secret.txt'), 'not served');
    server = await serveBench(join(root, 'dist'), { m0: join(root, 'model') }, 0);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('answers with the production headers (the page is cross-origin isolated under the real CSP)', async () => {
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(200);
    for (const [k, v] of Object.entries(productionHeaders())) expect(res.headers.get(k)).toBe(v);
    expect(res.headers.get('content-type')).toBe('text/html');
  });

  it('serves a model folder under /models/<name>/, whole, with its length', async () => {
    const res = await fetch(`${origin}/models/m0/onnx/model.onnx_data`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('3000');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBe(3000);
    expect(body.every((b) => b === 7)).toBe(true);
  });

  it('serves nothing outside the build and the model folders', async () => {
    for (const path of ['/models/other/onnx/model.onnx_data', '/../secret.txt', '/%2e%2e/secret.txt', '/models/m0/../../secret.txt', '/models/m0/%2e%2e/%2e%2e/secret.txt']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status, path).toBe(404);
    }
  });
});

describe('byContext', () => {
  it('takes medians and divides by the first context', () => {
    const times = new Map([
      [128, [100, 300, 200]],
      [4096, [900, 500, 400, 600]],
    ]);
    expect(byContext([128, 4096], times)).toEqual({
      128: { msPerToken: 200, ratioTo128: 1, speedVs128: 1 },
      4096: { msPerToken: 550, ratioTo128: 2.75, speedVs128: 0.36 },
    });
  });
});
