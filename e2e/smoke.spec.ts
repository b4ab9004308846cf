// The e2e harness itself, apart from the app's UI: the test-models plugin of the production
// build, Chromium's WebGPU flags, cross-origin isolation, the offline guard.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { expect, test } from './fixtures.ts';

const MODEL = 'scripted-think48';

/** A raw HTTP request whose path is sent exactly as written (browsers and fetch() would normalise `..`). */
function rawGet(baseURL: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseURL);
  return new Promise((ok, fail) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET', headers: { accept: '*/*' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test.describe('test-models plugin (vite preview of the production build)', () => {
  test(`serves /models/${MODEL}/config.json`, async ({ request }) => {
    const res = await request.get(`/models/${MODEL}/config.json`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^application\/json/);
    const body = await res.body();
    expect(Number(res.headers()['content-length'])).toBe(body.length);
    const config = JSON.parse(body.toString('utf8')) as { model_type?: string };
    expect(config.model_type).toBe('qwen2');
  });

  test('answers HEAD with the size and no body, and 404 for a missing file', async ({ request }) => {
    const onnx = await request.head(`/models/${MODEL}/onnx/model.onnx`);
    expect(onnx.status()).toBe(200);
    expect(onnx.headers()['content-type']).toBe('application/octet-stream');
    expect(Number(onnx.headers()['content-length'])).toBeGreaterThan(1000);
    expect((await onnx.body()).length).toBe(0);

    // A real 404, not the SPA fallback (index.html with 200): transformers.js probes optional files.
    const missing = await request.get(`/models/${MODEL}/does-not-exist.json`);
    expect(missing.status()).toBe(404);
    expect(await missing.text()).not.toContain('<html');
  });

  test('refuses paths that leave the models folder', async ({ baseURL }) => {
    for (const path of [
      '/models/../package.json',
      '/models/%2e%2e/package.json',
      '/models/..%2fpackage.json',
      `/models/${MODEL}/..%2f..%2fpackage.json`,
      '/models/..%5cpackage.json',
      '/models/%2fetc%2fpasswd',
    ]) {
      const res = await rawGet(baseURL!, path);
      expect.soft(res.status, path).toBe(403);
      expect.soft(res.body, path).not.toContain('elastic-reasoning-web');
    }
  });

  test('the build has no test models, and ORT\'s runtime as files', async () => {
    const dist = resolve('dist');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p.slice(dist.length + 1));
      }
    };
    walk(dist);
    expect(files.filter((f) => /\.onnx|tokenizer\.json|^models\//.test(f))).toEqual([]);

    // The worker imports ORT's runtime with ?url: the emitted (hashed) files must exist — the .wasm
    // is 27 MB — and never be inlined as a data: URL. (Nothing has ORT until the app creates the worker.)
    const referenced = new Set<string>();
    let bundlesOrt = false;
    for (const f of files.filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(dist, f), 'utf8');
      expect(code, f).not.toContain('data:application/wasm');
      bundlesOrt ||= code.includes('ort-wasm-simd-threaded');
      for (const m of code.matchAll(/ort-wasm-simd-threaded(?:\.\w+)*-[\w-]{8}\.(?:wasm|mjs)/g)) referenced.add(m[0]);
    }
    for (const name of referenced) expect(files, `${name} is referenced but not emitted`).toContain(`assets/${name}`);
    const wasm = [...referenced].filter((n) => n.endsWith('.wasm'));
    if (bundlesOrt) expect(wasm, 'ORT is bundled but no self-hosted .wasm is referenced (would load from a CDN)').not.toEqual([]);
    for (const name of wasm) expect(statSync(join(dist, 'assets', name)).size).toBeGreaterThan(10_000_000);
    test.info().annotations.push({ type: 'ort-runtime', description: bundlesOrt ? [...referenced].join(', ') : 'no ORT in the build yet' });
  });
});

test.describe('browser', () => {
  test('WebGPU has an adapter on the app origin, in the page and in a worker', async ({ page }) => {
    await page.goto('/');
    const inPage = await page.evaluate(async () => {
      if (!('gpu' in navigator) || !navigator.gpu) return { ok: false, why: 'navigator.gpu is undefined' };
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) return { ok: false, why: 'requestAdapter() returned null' };
      const device = await adapter.requestDevice();
      const out = {
        ok: true,
        vendor: adapter.info.vendor,
        architecture: adapter.info.architecture,
        f16: adapter.features.has('shader-f16'),
        maxBufferSize: adapter.limits.maxBufferSize,
      };
      device.destroy();
      return out;
    });
    expect(inPage, JSON.stringify(inPage)).toMatchObject({ ok: true });
    test.info().annotations.push({ type: 'adapter', description: JSON.stringify(inPage) });

    // The engine runs in a dedicated worker: WebGPU must be there too.
    const inWorker = await page.evaluate(async () => {
      const src = `(async () => {
        const a = self.navigator.gpu ? await self.navigator.gpu.requestAdapter() : null;
        postMessage(a ? 'adapter' : (self.navigator.gpu ? 'no adapter' : 'no navigator.gpu'));
      })();`;
      const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
      const w = new Worker(url, { type: 'module' });
      try {
        return await new Promise<string>((ok) => {
          w.onmessage = (e) => ok(String(e.data));
          w.onerror = (e) => ok(`worker error: ${e.message}`);
        });
      } finally {
        w.terminate();
        URL.revokeObjectURL(url);
      }
    });
    expect(inWorker).toBe('adapter');
  });

  test('the app origin is cross-origin isolated (multi-threaded WASM possible)', async ({ page }) => {
    await page.goto('/');
    expect(await page.evaluate(() => self.crossOriginIsolated && typeof SharedArrayBuffer === 'function')).toBe(true);
  });

  test('the page can fetch a test model same-origin', async ({ page }) => {
    await page.goto('/');
    const modelType = await page.evaluate(async (m) => {
      const r = await fetch(`/models/${m}/config.json`);
      return r.ok ? ((await r.json()) as { model_type: string }).model_type : `HTTP ${r.status}`;
    }, MODEL);
    expect(modelType).toBe('qwen2');
  });

  test('offline guard: a request to another host is aborted and recorded', async ({ page, blockedRequests, consoleErrors }) => {
    await page.goto('/');
    const outcome = await page.evaluate(() =>
      fetch('https://huggingface.co/api/models').then(
        (r) => `HTTP ${r.status}`,
        (e: unknown) => `failed: ${String(e)}`,
      ),
    );
    expect(outcome).toMatch(/^failed/);
    expect(blockedRequests).toEqual(['GET https://huggingface.co/api/models']);
    // Chromium reports the aborted request as a console error, asynchronously.
    await expect.poll(() => consoleErrors.join('\n')).toContain('ERR_BLOCKED_BY_CLIENT');
    // Expected here only: clear them so the fixtures' end-of-test checks pass.
    blockedRequests.length = 0;
    consoleErrors.length = 0;
  });
});
