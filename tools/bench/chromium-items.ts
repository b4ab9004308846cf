// The bench's figures measured in headless Chromium (Debian's /usr/bin/chromium, Playwright):
// the production build of a bench page (tools/bench/chromium/) that runs the app's runtime setup
// and engine in a module worker, with the e2e suite's Chromium flags (playwright.config.ts), served locally with the production headers (public/_headers:
// CSP, COOP/COEP, so the page is crossOriginIsolated and ORT may use WASM threads), the model
// folders served beside it.
// - loopInChromium (2.2): our decode loop against transformers.js generate() on WASM and on
//   WebGPU (SwiftShader), on the mid-size random Qwen2 of tools/bench-sweep.ts.
// - decodeInChromium (2.1): WASM ms per token with 128…4K random positions cached on the raw
//   session, alternating with onnxruntime-node on the same file at the same thread count, for
//   1 and 2 WASM threads.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import * as ort from 'onnxruntime-node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { type GraphDtype, onnxFileName } from '../../src/convert/qwen2-onnx.ts';
import type { Dtype } from '../../src/worker/protocol.ts';
import { CHROMIUM_ARGS } from '../../playwright.config.ts';
import { productionHeaders } from '../headers.ts';
import { ROOT } from '../standin/standin.ts';
import type { BenchRequest, LoadFigures } from './chromium/protocol.ts';
import { byContext, decodeFeeds, type loopVsGenerate, round } from './measure.ts';
import { listProcesses, type Proc, rssOf, treeOf } from './procs.ts';

type Log = (s: string) => void;

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};


/** Forwards a request to `upstream` (its path without `prefix`), answering with its status and headers plus `extra`. */
function proxy(req: IncomingMessage, res: ServerResponse, upstream: string, prefix: string, extra: Record<string, string>) {
  const target = new URL(req.url!.slice(prefix.length - 1), upstream);
  const headers = { ...req.headers, host: target.host };
  const up = httpRequest(target, { method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, { ...r.headers, ...extra });
    r.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
}

/**
 * Serves a built folder at / and each model folder at /models/<name>/, streamed, with the
 * production headers on every answer. `proxies`: path prefixes ("/hub/") forwarded to other
 * servers (the prefix's trailing slash kept), so their answers are same-origin to the page.
 */
export function serveBench(dist: string, models: Readonly<Record<string, string>>, port: number, proxies: Readonly<Record<string, string>> = {}): Promise<Server> {
  const headers = productionHeaders();
  const server = createServer(async (req, res) => {
    const prefix = Object.keys(proxies).find((p) => req.url?.startsWith(p));
    if (prefix) return proxy(req, res, proxies[prefix]!, prefix, headers);
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const m = /^\/models\/([^/]+)\/(.+)$/.exec(path);
    const file = m ? (models[m[1]!] ? join(models[m[1]!]!, m[2]!) : null) : join(dist, path.endsWith('/') ? `${path}index.html` : path);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': String(info.size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

/** Builds the bench page (production build, the app's vite config). */
export async function buildBenchPage(log: Log): Promise<string> {
  const dist = join(ROOT, '.cache', 'bench', 'chromium-dist');
  log('chromium: building the bench page (vite build)');
  await build({ root: ROOT, logLevel: 'warn', base: '/', build: { outDir: dist, emptyOutDir: true, rollupOptions: { input: join(ROOT, 'tools/bench/chromium/index.html') } } });
  return dist;
}

/** Every Chromium process started by this one (browser, renderers, GPU, utilities), at any depth. */
async function chromiumProcesses(): Promise<Proc[]> {
  return treeOf(process.pid, await listProcesses()).filter((p) => p.kind !== '');
}

/** RSS of every Chromium process started by this one, in bytes. */
export async function chromiumRss(): Promise<number> {
  return (await chromiumProcesses()).reduce((a, p) => a + p.rss, 0);
}

/** CPU seconds used so far by every Chromium process started by this one. */
export async function chromiumCpuSeconds(): Promise<number> {
  return (await chromiumProcesses()).reduce((a, p) => a + p.cpuS, 0);
}

/**
 * Samples the RSS of every Chromium process started by this one every `ms` until stopped; the peak.
 * Listing /proc costs a good part of a core at 100 ms on this machine (it slowed what it measured),
 * so the process list is renewed once a second and the known processes' statm read in between.
 */
export function rssSampler(ms = 500) {
  let peak = 0;
  let busy = false;
  let pids: number[] = [];
  let listedAt = 0;
  const sample = async (): Promise<number> => {
    if (Date.now() - listedAt >= 1000) {
      const procs = await chromiumProcesses();
      pids = procs.map((p) => p.pid);
      listedAt = Date.now();
      return procs.reduce((a, p) => a + p.rss, 0);
    }
    let rss = 0;
    for (const pid of pids) rss += (await rssOf(pid)) ?? 0;
    return rss;
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void sample().then((b) => {
      peak = Math.max(peak, b);
      busy = false;
    });
  }, ms);
  return {
    get peak() {
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** A persistent profile (Cache Storage gets a disk-sized quota, as in a user's browser) in a temp folder. */
export async function launchChromium(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A handle on the bench page's worker. */
export class BenchPage {
  constructor(
    readonly page: Page,
    private readonly log: Log,
  ) {
    page.on('console', (m) => log(`chromium: ${m.text()}`));
    page.on('pageerror', (e) => log(`chromium page error: ${e.message}`));
  }
  static async open(page: Page, origin: string, log: Log): Promise<BenchPage> {
    const b = new BenchPage(page, log);
    await page.goto(`${origin}/tools/bench/chromium/index.html`);
    await page.waitForFunction(() => 'Worker' in window && (window as unknown as { __chromiumBench?: unknown }).__chromiumBench !== undefined);
    return b;
  }
  call<T>(req: BenchRequest): Promise<T> {
    return this.page.evaluate((r) => (window as unknown as { __chromiumBench: { call(r: unknown): Promise<unknown> } }).__chromiumBench.call(r), req) as Promise<T>;
  }
  /** A fresh worker (a fresh ORT runtime: the thread count is fixed when it starts). */
  async restart(): Promise<void> {
    await this.page.evaluate(() => (window as unknown as { __chromiumBench: { restart(): void } }).__chromiumBench.restart());
  }
  isolated(): Promise<boolean> {
    return this.page.evaluate(() => self.crossOriginIsolated);
  }
}

type LoopFigures = Awaited<ReturnType<typeof loopVsGenerate>>;

/**
 * Our loop against generate() by the CPU time of the browser's processes, which the machine's
 * other load does not inflate as it does wall time: per pair, each side decodes 1 and n + 1
 * tokens (prefill + n steps), and the difference of the CPU seconds is n decode steps.
 * Ratio > 1: our loop takes less CPU per token than generate().
 */
export async function loopCpu(bench: BenchPage, tokens: number, pairs: number, log: Log) {
  const cpuOf = async (type: 'generate' | 'ours', n: number) => {
    const c0 = await chromiumCpuSeconds();
    await bench.call({ type, tokens: n });
    return (await chromiumCpuSeconds()) - c0;
  };
  const steps = { generate: 0, ours: 0 };
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const pair = { generate: 0, ours: 0 };
    for (const side of p % 2 ? (['ours', 'generate'] as const) : (['generate', 'ours'] as const)) {
      const one = await cpuOf(side, 1);
      const many = await cpuOf(side, tokens + 1);
      pair[side] = many - one;
      steps[side] += many - one;
    }
    ratios.push(round(pair.generate / pair.ours));
    log(`chromium loop CPU, pair ${p + 1}/${pairs}: ${tokens} steps take ${pair.ours.toFixed(1)} CPU s ours, ${pair.generate.toFixed(1)} generate()`);
  }
  return {
    decodeCpuSecondsPerToken: { ours: round(steps.ours / tokens / pairs, 3), generate: round(steps.generate / tokens / pairs, 3) },
    pairRatios: ratios,
    ratio: round(steps.generate / steps.ours),
  };
}

/** 2.2 in the browser: our loop against generate() (greedy, same loaded model, same device), on each device with its model. */
export async function loopInChromium(opts: { port: number; devices: readonly { device: 'wasm' | 'webgpu'; dtype: Dtype; dir: string; tokens: number; pairs: number }[]; log: Log }) {
  const dist = await buildBenchPage(opts.log);
  const server = await serveBench(dist, Object.fromEntries(opts.devices.map((d, i) => [`m${i}`, d.dir])), opts.port);
  const browser = await launchChromium();
  const out: Record<string, LoopFigures & LoadFigures & { model: string; cpu: Awaited<ReturnType<typeof loopCpu>> }> = {};
  try {
    const bench = await BenchPage.open(browser.page, `http://localhost:${opts.port}`, opts.log);
    for (const [i, d] of opts.devices.entries()) {
      if (i > 0) await bench.restart();
      opts.log(`chromium loop: loading ${d.dir} on ${d.device} (${d.dtype})`);
      const load = await bench.call<LoadFigures>({ type: 'load', model: `/models/m${i}`, device: d.device, dtype: d.dtype, browserCache: false });
      opts.log(`chromium loop: loaded in ${(load.loadMs / 1000).toFixed(1)} s, ${load.numThreads} WASM thread(s), isolated ${load.crossOriginIsolated}`);
      const r = await bench.call<LoopFigures>({ type: 'loop', tokens: d.tokens, pairs: d.pairs });
      opts.log(`chromium loop ${d.device}: ours ${r.oursTokensPerSecond} tok/s, generate ${r.generateTokensPerSecond} tok/s (${r.ratio}x)`);
      const cpu = await loopCpu(bench, d.tokens, d.pairs, opts.log);
      out[d.device] = { model: d.dir.split('/').pop()!, ...load, loadMs: Math.round(load.loadMs), ...r, cpu };
    }
  } finally {
    await browser.close();
    server.close();
  }
  return out;
}

/**
 * 2.1 in the browser: WASM ms per token by positions cached on the raw session of `dtype` in
 * `dir`, alternating step by step with onnxruntime-node on the same file at the same thread
 * count; once per thread count (a fresh worker each).
 */
export async function decodeInChromium(opts: { dir: string; dtype: Dtype; port: number; contexts: readonly number[]; rounds: number; threads: readonly number[]; log: Log }) {
  const dist = await buildBenchPage(opts.log);
  const server = await serveBench(dist, { standin: opts.dir }, opts.port);
  const browser = await launchChromium();
  const sampler = rssSampler();
  const out: Record<string, unknown> = {};
  try {
    const bench = await BenchPage.open(browser.page, `http://localhost:${opts.port}`, opts.log);
    for (const [i, threads] of opts.threads.entries()) {
      if (i > 0) await bench.restart();
      opts.log(`chromium decode: loading ${opts.dtype} on WASM with ${threads} thread(s)`);
      const load = await bench.call<LoadFigures>({ type: 'load', model: '/models/standin', device: 'wasm', dtype: opts.dtype, threads, browserCache: false });
      opts.log(`chromium decode: loaded in ${(load.loadMs / 1000).toFixed(0)} s (${load.numThreads} threads, isolated ${load.crossOriginIsolated}); peak browser RSS so far ${(sampler.peak / 2 ** 30).toFixed(1)} GiB`);
      await bench.call({ type: 'prepareContexts', contexts: opts.contexts });
      const node = await ort.InferenceSession.create(join(opts.dir, 'onnx', onnxFileName(opts.dtype as GraphDtype)), {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
      });
      const meta = (node as unknown as { inputMetadata: { name: string; type?: string; shape?: (number | string)[] }[] }).inputMetadata;
      const past = meta.filter((m) => m.name.startsWith('past_key_values.'));
      const [kvHeads, headDim] = [Number(past[0]?.shape?.[1]), Number(past[0]?.shape?.[3])];
      const nodeFeeds = new Map(opts.contexts.map((P) => [P, decodeFeeds(P, past, kvHeads, headDim, node.inputNames, (type, data, dims) => new ort.Tensor(type, data, dims))]));
      const wasm = new Map<number, number[]>(opts.contexts.map((P) => [P, []]));
      const native = new Map<number, number[]>(opts.contexts.map((P) => [P, []]));
      const nodeStep = async (P: number) => {
        const t0 = performance.now();
        await node.run(nodeFeeds.get(P)!);
        return performance.now() - t0;
      };
      for (const P of opts.contexts) {
        await bench.call<number>({ type: 'step', context: P }); // warm-up
        await nodeStep(P);
      }
      for (let r = 0; r < opts.rounds; r++) {
        for (const P of r % 2 ? [...opts.contexts].reverse() : opts.contexts) {
          // Alternate which runs first as well.
          if (r % 2) {
            native.get(P)!.push(await nodeStep(P));
            wasm.get(P)!.push(await bench.call<number>({ type: 'step', context: P }));
          } else {
            wasm.get(P)!.push(await bench.call<number>({ type: 'step', context: P }));
            native.get(P)!.push(await nodeStep(P));
          }
        }
        opts.log(
          `chromium decode ${threads} thread(s), round ${r + 1}/${opts.rounds}: ${opts.contexts.map((P) => `${P}: WASM ${wasm.get(P)!.at(-1)!.toFixed(0)} / node ${native.get(P)!.at(-1)!.toFixed(0)} ms`).join(', ')}`,
        );
      }
      await node.release();
      const w = byContext(opts.contexts, wasm);
      const n = byContext(opts.contexts, native);
      out[`threads${threads}`] = {
        numThreads: load.numThreads,
        crossOriginIsolated: load.crossOriginIsolated,
        loadS: Math.round(load.loadMs / 1000),
        wasm: w,
        node: n,
        wasmOverNode: Object.fromEntries(opts.contexts.map((P) => [P, round(w[P]!.msPerToken / n[P]!.msPerToken)])),
      };
    }
    const [one, two] = opts.threads.map((t) => out[`threads${t}`] as { wasm: Record<number, { msPerToken: number }> } | undefined);
    if (one && two) out.wasm2ThreadsSpeedup = Object.fromEntries(opts.contexts.map((P) => [P, round(one.wasm[P]!.msPerToken / two.wasm[P]!.msPerToken)]));
    out.peakBrowserRssGiB = round(sampler.peak / 2 ** 30, 1);
  } finally {
    sampler.stop();
    await browser.close();
    server.close();
  }
  return out;
}
