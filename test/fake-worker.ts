// A Worker stand-in for the page's worker clients (no browser): records what is posted, lets the
// test speak for the worker, and Web Locks whose held locks the test releases (a worker's end).
export class FakeWorker {
  static all: FakeWorker[] = [];
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  posted: unknown[] = [];
  terminated = false;
  constructor() {
    FakeWorker.all.push(this);
  }
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  terminate() {
    this.terminated = true;
  }
  say(m: unknown) {
    this.onmessage?.({ data: m });
  }
}

/** Web Locks where the test decides when a held lock is released (`released.get(name)!()`). */
export function lifeLocks(): { locks: { request(name: string, cb: () => unknown): Promise<unknown> }; released: Map<string, () => void> } {
  const released = new Map<string, () => void>();
  return {
    released,
    locks: {
      request: (name, cb) =>
        new Promise((resolve) => {
          released.set(name, () => resolve(cb()));
        }),
    },
  };
}
