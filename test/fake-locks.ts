// A Web Locks stand-in for tests (exclusive locks, `ifAvailable` only): one instance plays every
// tab of an origin; `hold` is another tab taking a lock until it lets go.
import type { Locks } from '../src/core/exclusive.ts';

export class FakeLocks implements Locks {
  private readonly held = new Set<string>();

  async request<T>(name: string, _options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T> {
    if (this.held.has(name)) return callback(null);
    this.held.add(name);
    try {
      return await callback({ name, mode: 'exclusive' });
    } finally {
      this.held.delete(name);
    }
  }

  /** Another tab takes lock `name`; returns its release. */
  hold(name: string): () => void {
    if (this.held.has(name)) throw new Error(`${name} is already held`);
    this.held.add(name);
    return () => this.held.delete(name);
  }
}
