// Test-only (e2e, with test models shown): a render error on demand, so the error boundary itself
// can be tested in a real page. Renders nothing until asked.
import { useSyncExternalStore } from 'react';

let message: string | null = null;
const listeners = new Set<() => void>();

/** The next render of <RenderFault /> throws `why`. */
export function breakRendering(why: string): void {
  message = why;
  for (const l of listeners) l();
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => void listeners.delete(l);
};

export function RenderFault() {
  const why = useSyncExternalStore(subscribe, () => message);
  if (why) throw new Error(why);
  return null;
}
