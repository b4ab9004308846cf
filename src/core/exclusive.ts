// One thing at a time across every tab (and worker) of this origin, through the Web Locks API: a
// conversion and its clean-up, an evaluation being run. The lock manager is passed in (the page's
// or a worker's `navigator.locks`, a fake in tests), so this stays free of the DOM.

/** The part of the Web Locks `LockManager` used here. */
export interface Locks {
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

/**
 * Runs `fn` while holding lock `name`, released when `fn` settles. `{ held: false }` without
 * running it when someone else (another tab) holds the lock. Without Web Locks (an old browser)
 * `fn` just runs: there is nothing to coordinate with.
 */
export async function whileHeld<T>(locks: Locks | undefined, name: string, fn: () => Promise<T>): Promise<{ held: true; value: T } | { held: false }> {
  if (!locks) return { held: true, value: await fn() };
  return locks.request(name, { ifAvailable: true }, async (lock): Promise<{ held: true; value: T } | { held: false }> => {
    if (!lock) return { held: false };
    return { held: true, value: await fn() };
  });
}

/** Whether someone holds lock `name` now (takes and drops it at once when free). */
export async function heldElsewhere(locks: Locks | undefined, name: string): Promise<boolean> {
  return !(await whileHeld(locks, name, async () => undefined)).held;
}
