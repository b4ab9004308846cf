// A worker the page keeps alive (the model worker, the converter): requests queue until it says
// `ready`; when it dies — an uncaught error, an unreadable message, or a silent end (out of
// memory, `close()`), noticed through a Web Lock it holds for its whole life — the page is told at
// once, the worker is replaced, and events from the dead one are ignored. No page reload needed.
//
// Why a lock and not a heartbeat: a long synchronous WASM step would miss heartbeats and raise a
// false alarm; the lock's request is granted only when the worker has really ended.

/** What every kept worker says first: the name of the Web Lock it holds for its life (null without Web Locks). */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly lifeLock: string | null;
}

export interface KeptWorkerOptions<Out> {
  /** `new Worker(new URL('…', import.meta.url), …)` written out at the call site (Vite bundles the worker from it). */
  readonly create: () => Worker;
  /** In messages: "The model worker", "The converter". */
  readonly label: string;
  /** Every message but `ready`, from the current worker only. */
  readonly onMessage: (m: Out) => void;
  /** The worker died (it has already been replaced by a fresh one); `message` says how, for the user. */
  readonly onLost: (message: string) => void;
  /** Called just before a worker is ended (lost or restarted on purpose): apply what had arrived. */
  readonly beforeReplace?: () => void;
}

export class KeptWorker<In, Out extends { readonly type: string }> {
  private worker!: Worker;
  /** Bumped for each new worker: events from a replaced one are ignored. */
  private generation = 0;
  private ready = false;
  private readonly outbox: In[] = [];

  constructor(private readonly opts: KeptWorkerOptions<Out>) {
    this.start();
  }

  private start(): void {
    const gen = ++this.generation;
    const w = this.opts.create();
    w.onmessage = (e: MessageEvent<Out | ReadyMessage>) => {
      if (gen !== this.generation) return;
      const m = e.data;
      if (m.type === 'ready') return this.onReady(gen, (m as ReadyMessage).lifeLock);
      this.opts.onMessage(m as Out);
    };
    // An uncaught error leaves the worker in an unknown state (a decode loop or a conversion may be
    // half-way): treat it as a crash rather than hope.
    w.onerror = (e) => {
      e.preventDefault();
      this.lose(gen, `${this.opts.label} crashed (${e.message || 'an uncaught error'}).`);
    };
    w.onmessageerror = () => this.lose(gen, `A message from ${this.opts.label.replace(/^The /, 'the ')} could not be read, so its state is unknown.`);
    this.worker = w;
    this.ready = false;
  }

  private onReady(gen: number, lifeLock: string | null): void {
    this.ready = true;
    for (const q of this.outbox.splice(0)) this.worker.postMessage(q);
    // Granted only once the worker has ended, whatever ended it.
    if (lifeLock) {
      void navigator.locks.request(lifeLock, () => this.lose(gen, `${this.opts.label} stopped unexpectedly (the browser may have run out of memory).`));
    }
  }

  send(m: In): void {
    if (this.ready) this.worker.postMessage(m);
    else this.outbox.push(m);
  }

  /** Ends the current worker on purpose (a cancelled load) and starts a fresh one. */
  restart(): void {
    this.opts.beforeReplace?.();
    this.outbox.length = 0; // requests meant for the old worker died with it
    this.worker.terminate();
    this.start();
  }

  /** The current worker is lost for a reason it reported itself (e.g. its GPU device). */
  lost(message: string): void {
    this.lose(this.generation, message);
  }

  private lose(gen: number, message: string): void {
    if (gen !== this.generation) return;
    this.restart();
    this.opts.onLost(message);
  }
}
