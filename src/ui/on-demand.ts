// A module the first paint does not need, loaded once when something asks for it.
//
// Not React.lazy: a chunk that fails to load (a deploy replaced it, the network dropped) would
// throw into the app's error boundary and stay failed for the session, and Suspense would swap
// the whole subtree for its fallback. Here a view shows a plain fallback of its own until the
// module is there, a failure is reported and the next request tries again.
import { useEffect, useSyncExternalStore } from 'react';

export interface OnDemand<T> {
  /** The module once loaded, else null. */
  readonly current: () => T | null;
  /** Why the last load failed (cleared by the next one), else null. */
  readonly error: () => string | null;
  /** Starts loading (once while one is in flight); the module, or null when it could not load. */
  readonly load: () => Promise<T | null>;
  readonly subscribe: (listener: () => void) => () => void;
}

export function onDemand<T>(importer: () => Promise<T>): OnDemand<T> {
  let module: T | null = null;
  let error: string | null = null;
  let pending: Promise<T | null> | null = null;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  return {
    current: () => module,
    error: () => error,
    load() {
      if (module) return Promise.resolve(module);
      pending ??= importer().then(
        (m) => {
          module = m;
          error = null;
          changed();
          return m;
        },
        (e: unknown) => {
          pending = null;
          error = e instanceof Error ? e.message : String(e);
          changed();
          return null;
        },
      );
      return pending;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The module for a view: null until it has loaded (the view shows its fallback); asks for it on mount. */
export function useOnDemand<T>(m: OnDemand<T>): { module: T | null; error: string | null } {
  const module = useSyncExternalStore(m.subscribe, m.current);
  const error = useSyncExternalStore(m.subscribe, m.error);
  useEffect(() => {
    if (!module) void m.load();
  }, [m, module]);
  return { module, error };
}
