// The page's side of the worker: sends typed requests (queued until the worker is ready) and
// applies incoming messages once per animation frame, so a fast token stream costs one React
// update per frame.
import type { FromWorker, ToWorker } from '../worker/protocol.ts';
import { dispatchFromWorker } from './dispatch.ts';

export class WorkerClient {
  private readonly worker: Worker;
  private ready = false;
  private readonly outbox: ToWorker[] = [];
  private inbox: FromWorker[] = [];
  private frame: number | null = null;

  constructor() {
    this.worker = new Worker(new URL('../worker/model.worker.ts', import.meta.url), { type: 'module', name: 'model' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      console.error('model worker error', e.message);
    };
  }

  send(m: ToWorker): void {
    if (this.ready) this.worker.postMessage(m);
    else this.outbox.push(m);
  }

  private receive(m: FromWorker): void {
    if (m.type === 'ready') {
      this.ready = true;
      for (const q of this.outbox.splice(0)) this.worker.postMessage(q);
      return;
    }
    this.inbox.push(m);
    if (m.type !== 'tokens') {
      // Ends, loads and errors apply at once (a hidden tab pauses animation frames, and a
      // comparison waits on them); tokens queued before them go first, in order.
      this.drain();
      return;
    }
    if (this.frame === null) {
      this.frame = document.hidden ? window.setTimeout(() => this.drain(), 100) : requestAnimationFrame(() => this.drain());
      this.frameIsTimeout = document.hidden;
    }
  }

  private frameIsTimeout = false;

  private drain(): void {
    if (this.frame !== null) {
      if (this.frameIsTimeout) clearTimeout(this.frame);
      else cancelAnimationFrame(this.frame);
      this.frame = null;
    }
    const batch = this.inbox;
    this.inbox = [];
    const now = performance.now();
    for (const m of batch) dispatchFromWorker(m, now);
  }
}

let client: WorkerClient | null = null;
export function workerClient(): WorkerClient {
  client ??= new WorkerClient();
  return client;
}
