import { describe, expect, it } from 'vitest';
import { onDemand } from './on-demand.ts';

/** An importer whose loads the test settles by hand. */
function manualImporter<T>() {
  const calls: { resolve: (m: T) => void; reject: (e: unknown) => void }[] = [];
  const importer = () => new Promise<T>((resolve, reject) => calls.push({ resolve, reject }));
  return { importer, calls };
}

describe('onDemand', () => {
  it('loads once for any number of requests, then serves the module and tells subscribers', async () => {
    const { importer, calls } = manualImporter<{ x: number }>();
    const m = onDemand(importer);
    let told = 0;
    m.subscribe(() => told++);
    expect(m.current()).toBeNull();
    const a = m.load();
    const b = m.load();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve({ x: 1 });
    expect(await a).toEqual({ x: 1 });
    expect(await b).toBe(await a);
    expect(m.current()).toEqual({ x: 1 });
    expect(told).toBe(1);
    await m.load();
    expect(calls).toHaveLength(1);
  });

  it('a failed load reports why and resolves null; the next request tries again', async () => {
    const { importer, calls } = manualImporter<string>();
    const m = onDemand(importer);
    const unsubscribe = m.subscribe(() => {});
    const first = m.load();
    calls[0]!.reject(new Error('Failed to fetch dynamically imported module'));
    expect(await first).toBeNull();
    expect(m.current()).toBeNull();
    expect(m.error()).toBe('Failed to fetch dynamically imported module');
    const second = m.load();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('ok');
    expect(await second).toBe('ok');
    expect(m.error()).toBeNull();
    unsubscribe();
  });
});
