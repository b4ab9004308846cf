// The page's side of the worker: sends typed requests (queued until the worker is ready) and
// applies incoming messages once per animation frame, so a fast token stream costs one React
// update per frame. It also keeps a worker alive: when one dies (uncaught error, unreadable
// message, silent end, GPU device lost) it applies what had arrived, replaces the worker and
// reports the loss — the page never needs a reload.
import type { FromWorker, TestFault, ToWorker } from '../worker/protocol.ts';
import { dispatchFromWorker, workerLost } from './dispatch.ts';

export class WorkerClient {
  private worker!: Worker;
  /** Bumped for each new worker: events from a replaced one are ignored. */
  private generation = 0;
  private ready = false;
  private readonly outbox: ToWorker[] = [];
  private inbox: FromWorker[] = [];
  private frame: number | null = null;
  private frameIsTimeout = false;

  constructor(private readonly onLost: (message: string) => void = workerLost) {
    this.start();
  }

  private start(): void {
    const gen = ++this.generation;
    const w = new Worker(new URL('../worker/model.worker.ts', import.meta.url), { type: 'module', name: 'model' });
    w.onmessage = (e: MessageEvent<FromWorker>) => {
      if (gen === this.generation) this.receive(e.data, gen);
    };
    // An uncaught error leaves the worker in an unknown state (a decode loop may be half-way):
    // treat it as a crash rather than hope.
    w.onerror = (e) => {
      e.preventDefault();
      this.lose(gen, `The model worker crashed (${e.message || 'an uncaught error'}).`);
    };
    w.onmessageerror = () => this.lose(gen, 'A message from the model worker could not be read, so its state is unknown.');
    this.worker = w;
    this.ready = false;
  }

  send(m: ToWorker): void {
    if (this.ready) this.worker.postMessage(m);
    else this.outbox.push(m);
  }

  /** Ends the current worker on purpose (a cancelled load) and starts a fresh one. */
  restart(): void {
    this.replace();
  }

  /** Test hook: provokes a real fault inside the worker. */
  fault(f: TestFault): void {
    this.send({ type: 'testFault', fault: f });
  }

  private replace(): void {
    this.drain(); // tokens that arrived before the end are kept
    this.inbox = [];
    this.outbox.length = 0; // requests meant for the old worker (a load, a run) died with it
    this.worker.terminate();
    this.start();
  }

  private lose(gen: number, message: string): void {
    if (gen !== this.generation) return;
    this.replace();
    // The old worker may have died before answering the GPU probe, which loads on "auto" wait for.
    this.send({ type: 'probe' });
    this.onLost(message);
  }

  private receive(m: FromWorker, gen: number): void {
    if (m.type === 'ready') {
      this.ready = true;
      for (const q of this.outbox.splice(0)) this.worker.postMessage(q);
      // Granted only once the worker has ended, whatever ended it.
      if (m.lifeLock) {
        void navigator.locks.request(m.lifeLock, () =>
          this.lose(gen, 'The model worker stopped unexpectedly (the browser may have run out of memory).'),
        );
      }
      return;
    }
    if (m.type === 'deviceLost') {
      this.lose(gen, m.message);
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
