// Worker entry: routes messages to the host, nothing else. The handler is installed before
// anything is awaited — a module worker that awaits first loses the page's first message.
import { WorkerHost } from './host.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { browserDeps, configureRuntime } from './runtime.ts';

const post = (m: FromWorker) => self.postMessage(m);
configureRuntime();
const host = new WorkerHost(browserDeps(post));

self.onmessage = (e: MessageEvent<ToWorker>) => {
  void host.handle(e.data);
};

// Held until this worker ends, so the page learns of its death at once (see `ready` in protocol.ts).
const locks = (self.navigator as Navigator & { locks?: LockManager }).locks;
if (locks) {
  const lifeLock = `model-worker-${crypto.randomUUID()}`;
  void locks.request(lifeLock, () => {
    post({ type: 'ready', lifeLock });
    return new Promise<never>(() => {});
  });
} else {
  post({ type: 'ready', lifeLock: null });
}
