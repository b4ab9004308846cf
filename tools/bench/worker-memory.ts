// Issue 14: where the model worker's memory goes after a load, in Chromium. Loads a converted
// model in the production build (from the local server, then again from Cache Storage after a
// reload), and after each load reads, side by side: the RSS of each Chromium process, the model
// worker's JS heap (CDP Runtime.getHeapUsage on the worker's target) and the same again after a
// forced full GC (HeapProfiler.collectGarbage): what a GC frees is garbage the load left behind;
// what stays in the renderer beyond the WASM heap is held by a reference. Also the worker's
// WebAssembly memories (ORT's heap: linear memory never shrinks), each kind's PSS beside its RSS
// (/proc/<pid>/smaps_rollup: shared pages counted once), and the growth over the idle browser of
// the "CPU side" (every process but the gpu-process, which holds SwiftShader's "GPU" memory).
//
//   NODE_OPTIONS=--experimental-websocket npx tsx tools/bench/worker-memory.ts <converted folder> <wasm|webgpu> <q4|q8> [port] [built app folder]
// (Node 20 has WebSocket, for the raw CDP connection, only behind that flag.) The profile is fresh
// each run (the first load is a download, the second from Cache Storage).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { ROOT } from '../standin/standin.ts';
import { modelFilesBytes, sampler, serve, treeMemory } from './memory.ts';
import { listProcesses, treeOf } from './procs.ts';

const MB = (b: number) => Math.round(b / 2 ** 20);
const [dir, device, dtype, portArg, distArg] = process.argv.slice(2) as [string, string, string, string?, string?];
const port = Number(portArg ?? 4293);
const cdpPort = port + 1000;
// Seconds to wait after the first after-load reading for a second one, before the forced GC: does
// V8 free the load's garbage by itself once the worker is idle (its memory reducer)?
const settleS = Number(process.env.WM_SETTLE_S ?? 0);
const dist = distArg ?? join(ROOT, '.cache', 'bench', 'worker-memory-dist');
if (!distArg) await build({ root: ROOT, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
const files = await modelFilesBytes(dir, dtype);
const server = await serve(dist, { standin: dir }, port);

const tot = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
/** Every process but the gpu-process (SwiftShader's "GPU" memory). */
const cpu = (r: Record<string, number>) => tot(r) - (r['gpu-process'] ?? 0);
const grown = (r: Record<string, number>, base: Record<string, number>) => ({ MB: MB(cpu(r) - cpu(base)), overFiles: Number(((cpu(r) - cpu(base)) / files).toFixed(2)) });

/** A raw CDP connection to the browser, with flat sessions for the worker targets. */
async function cdp(url: string) {
  const ws = new WebSocket(url);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  let id = 0;
  const pending = new Map<number, (m: { result?: unknown; error?: unknown }) => void>();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data));
    if (m.id !== undefined) pending.get(m.id)?.(m);
  };
  return {
    send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
      const i = ++id;
      ws.send(JSON.stringify({ id: i, method, params, ...(sessionId ? { sessionId } : {}) }));
      return new Promise((r, j) => pending.set(i, (m) => (m.error ? j(new Error(JSON.stringify(m.error))) : r(m.result as T))));
    },
    close: () => ws.close(),
  };
}

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps: RSS and PSS (MB) summed by mapping
 * name ("[anon]" for anonymous memory, "/memfd:…" and "/dev/shm/…" for memory shared with another
 * process, e.g. the GPU process's transfer buffers), the largest names first.
 */
async function mappings(pid: number, top = 6): Promise<Record<string, [number, number]>> {
  const text = await readFile(`/proc/${pid}/smaps`, 'utf8').catch(() => '');
  const by = new Map<string, [number, number]>();
  let name = '';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = (head[1] || '[anon]').replace(/ \(deleted\)$/, '');
      continue;
    }
    const m = /^(Rss|Pss):\s+(\d+) kB/.exec(line);
    if (!m) continue;
    const e = by.get(name) ?? [0, 0];
    e[m[1] === 'Rss' ? 0 : 1] += Number(m[2]) * 1024;
    by.set(name, e);
  }
  return Object.fromEntries([...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, top).map(([k, [r, p]]) => [k, [MB(r), MB(p)]]));
}

/** The mappings of the largest process of each of the kinds that hold the model. */
async function whereHeld(root: number) {
  const procs = treeOf(root, await listProcesses());
  const out: Record<string, unknown> = {};
  for (const kind of ['renderer', 'gpu-process']) {
    const p = procs.filter((q) => q.kind === kind).sort((a, b) => b.rss - a.rss)[0];
    if (p) out[kind] = await mappings(p.pid);
  }
  return out;
}

const profile = join(ROOT, '.cache', 'worker-memory-profile');
await rm(profile, { recursive: true, force: true });
const proc = (await import('node:child_process')).spawn('/usr/bin/chromium', [
  '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', `--remote-debugging-port=${cdpPort}`, `--user-data-dir=${profile}`, 'about:blank',
], { stdio: 'ignore' });
const root = proc.pid!;
try {
  let wsUrl = '';
  for (let i = 0; i < 100 && !wsUrl; i++) {
    await new Promise((r) => setTimeout(r, 300));
    wsUrl = await fetch(`http://127.0.0.1:${cdpPort}/json/version`).then((r) => r.json()).then((j) => j.webSocketDebuggerUrl).catch(() => '');
  }
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${cdpPort}`);
  const page: Page = browser.contexts()[0]!.pages()[0] ?? (await browser.contexts()[0]!.newPage());
  page.on('console', (m) => { if (m.text().startsWith('[i14]')) console.error(m.text()); });
  const c = await cdp(wsUrl);
  const rows: Record<string, unknown>[] = [];
  for (const from of ['network', 'cache']) {
    await page.goto(`http://localhost:${port}/?model=/models/standin&device=${device}&dtype=${dtype}`);
    await page.getByText(/^GPU:/).waitFor({ timeout: 120_000 });
    await page.waitForTimeout(1000);
    const { rss: idle, pss: idlePss } = await treeMemory(root);
    const s = sampler(root, () => {});
    await page.getByRole('button', { name: 'Load model' }).click();
    await page.getByText(/^Ready:/).waitFor({ timeout: 30 * 60_000 });
    const { peak } = await s.stop();
    await page.waitForTimeout(3000);
    const { targetInfos } = await c.send<{ targetInfos: { targetId: string; type: string; url: string }[] }>('Target.getTargets');
    const worker = targetInfos.find((t) => t.type === 'worker' && /model/.test(t.url)) ?? targetInfos.find((t) => t.type === 'worker');
    if (!worker) throw new Error(`no worker target: ${JSON.stringify(targetInfos)}`);
    const { sessionId } = await c.send<{ sessionId: string }>('Target.attachToTarget', { targetId: worker.targetId, flatten: true });
    const heap = async () => c.send<{ usedSize: number; totalSize: number; embedderHeapUsedSize?: number; backingStorageSize?: number }>('Runtime.getHeapUsage', {}, sessionId);
    const { rss: afterLoad, pss: afterLoadPss } = await treeMemory(root);
    const heapBefore = await heap();
    // Every WebAssembly.Memory alive in the worker (ORT's heap), by CDP queryObjects on its prototype.
    const { result: proto } = await c.send<{ result: { objectId: string } }>('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' }, sessionId);
    const { objects } = await c.send<{ objects: { objectId: string } }>('Runtime.queryObjects', { prototypeObjectId: proto.objectId }, sessionId);
    const { result: sizes } = await c.send<{ result: { value: number[] } }>('Runtime.callFunctionOn', { objectId: objects.objectId, functionDeclaration: 'function () { return this.map((m) => m.buffer.byteLength); }', returnByValue: true }, sessionId);
    const by = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, MB(v)]));
    let settled: Record<string, unknown> | undefined;
    if (settleS > 0) {
      await page.waitForTimeout(settleS * 1000);
      const [{ rss, pss }, h] = [await treeMemory(root), await heap()];
      settled = { afterS: settleS, rssGrowth: grown(rss, idle), pssGrowth: grown(pss, idlePss), workerBackingStorageMB: MB(h.backingStorageSize ?? 0), rssMB: by(rss) };
    }
    await c.send('HeapProfiler.enable', {}, sessionId);
    await c.send('HeapProfiler.collectGarbage', {}, sessionId);
    await page.waitForTimeout(3000);
    const { rss: afterGc, pss: afterGcPss } = await treeMemory(root);
    const afterGcMappings = await whereHeld(root);
    const heapAfter = await heap();
    await c.send('Target.detachFromTarget', { sessionId });
    const row = {
      from,
      filesMB: MB(files),
      idleMB: by(idle),
      peakMB: by(peak),
      peakOverFiles: Number((tot(peak) / files).toFixed(2)),
      afterLoadMB: by(afterLoad),
      afterGcMB: by(afterGc),
      afterLoadOverFiles: Number((tot(afterLoad) / files).toFixed(2)),
      afterGcOverFiles: Number((tot(afterGc) / files).toFixed(2)),
      ...(settled ? { settled } : {}),
      cpuSideGrowth: { rssAfterLoad: grown(afterLoad, idle), rssAfterGc: grown(afterGc, idle), pssAfterLoad: grown(afterLoadPss, idlePss), pssAfterGc: grown(afterGcPss, idlePss) },
      idlePssMB: by(idlePss),
      afterLoadPssMB: by(afterLoadPss),
      afterGcPssMB: by(afterGcPss),
      workerWasmMemoriesMB: sizes.value.map(MB),
      afterGcMappingsRssPssMB: afterGcMappings,
      rendererFreedByGcOverFiles: Number((((afterLoad.renderer ?? 0) - (afterGc.renderer ?? 0)) / files).toFixed(2)),
      workerHeap: { beforeGc: Object.fromEntries(Object.entries(heapBefore).map(([k, v]) => [k, MB(v as number)])), afterGc: Object.fromEntries(Object.entries(heapAfter).map(([k, v]) => [k, MB(v as number)])) },
    };
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  console.log(JSON.stringify(rows, null, 2));
  c.close();
  await browser.close().catch(() => {});
} finally {
  proc.kill();
  server.close();
}
