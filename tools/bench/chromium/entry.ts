// The Chromium bench page: starts the bench's model worker and lets the driver
// (tools/bench/chromium-items.ts) call it through `window.__chromiumBench`. `restart()` ends the
// worker and starts a fresh one (ORT's thread count is fixed once its WASM runtime starts).
import type { BenchReply, BenchRequest } from './protocol.ts';

const start = () => new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
let worker = start();
let next = 0;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

const listen = (w: Worker) => {
  w.onmessage = (e: MessageEvent<BenchReply>) => {
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    if (e.data.ok) p?.resolve(e.data.value);
    else p?.reject(new Error(e.data.error));
  };
  w.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`bench worker error: ${e.message}`));
    pending.clear();
  };
};
listen(worker);

(window as unknown as { __chromiumBench: unknown }).__chromiumBench = {
  call(req: BenchRequest): Promise<unknown> {
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id });
    });
  },
  restart(): void {
    worker.terminate();
    for (const p of pending.values()) p.reject(new Error('bench worker restarted'));
    pending.clear();
    worker = start();
    listen(worker);
  },
  crossOriginIsolated: self.crossOriginIsolated,
};
