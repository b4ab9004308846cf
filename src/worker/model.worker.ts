// Worker entry: routes messages to the host, nothing else. The handler is installed before
// anything is awaited — a module worker that awaits first loses the page's first message.
import { WorkerHost } from './host.ts';
import { announceReady } from './life-lock.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { browserDeps, configureRuntime } from './runtime.ts';

const post = (m: FromWorker) => self.postMessage(m);
configureRuntime();
const host = new WorkerHost(browserDeps(post));

self.onmessage = (e: MessageEvent<ToWorker>) => {
  void host.handle(e.data);
};

announceReady('model-worker', post);
