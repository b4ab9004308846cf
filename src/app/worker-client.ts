// The page's side of the model worker: sends typed requests (queued until the worker is ready) and
// applies incoming messages once per animation frame, so a fast token stream costs one React
// update per frame. The worker is kept alive (kept-worker.ts): when it dies (uncaught error,
// unreadable message, silent end) or loses its GPU device, what had arrived is applied, the worker
// replaced and the loss reported — the page never needs a reload.
import type { FromWorker, TestFault, ToWorker } from '../worker/protocol.ts';
import { dispatchFromWorker, workerLost } from './dispatch.ts';
import { KeptWorker, type ReadyMessage } from './kept-worker.ts';

export class WorkerClient {
  private readonly kept: KeptWorker<ToWorker, Exclude<FromWorker, ReadyMessage>>;
  private inbox: FromWorker[] = [];
  private frame: number | null = null;
  private frameIsTimeout = false;

  constructor(onLost: (message: string) => void = workerLost) {
    this.kept = new KeptWorker({
      create: () => new Worker(new URL('../worker/model.worker.ts', import.meta.url), { type: 'module', name: 'model' }),
      label: 'The model worker',
      onMessage: (m) => this.receive(m),
      beforeReplace: () => {
        this.drain(); // tokens that arrived before the end are kept
        this.inbox = [];
      },
      onLost: (message) => {
        // The old worker may have died before answering the GPU probe, which loads on "auto" wait for.
        this.send({ type: 'probe' });
        onLost(message);
      },
    });
  }

  send(m: ToWorker): void {
    this.kept.send(m);
  }

  /** Ends the current worker on purpose (a cancelled load) and starts a fresh one. */
  restart(): void {
    this.kept.restart();
  }

  /** Test hook: provokes a real fault inside the worker. */
  fault(f: TestFault): void {
    this.send({ type: 'testFault', fault: f });
  }

  private receive(m: Exclude<FromWorker, ReadyMessage>): void {
    if (m.type === 'deviceLost') {
      this.kept.lost(m.message);
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
