// The worker client keeps a worker alive: each way a worker can die is noticed once, the worker
// replaced, and events from the dead one ignored. Fake Worker and Web Locks; no browser.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWorker, lifeLocks } from '../../test/fake-worker.ts';

const { locks, released } = lifeLocks();

beforeEach(() => {
  FakeWorker.all = [];
  released.clear();
  vi.stubGlobal('Worker', FakeWorker);
  vi.stubGlobal('navigator', { locks });
  vi.stubGlobal('document', { hidden: false });
  vi.stubGlobal('requestAnimationFrame', (f: () => void) => setTimeout(f, 0));
  vi.stubGlobal('cancelAnimationFrame', (id: number) => clearTimeout(id));
});

async function client() {
  const { WorkerClient } = await import('./worker-client.ts');
  const lost: string[] = [];
  const c = new WorkerClient((m) => lost.push(m));
  return { c, lost, first: FakeWorker.all[0]! };
}

describe('WorkerClient', () => {
  it('queues until ready, then a crash replaces the worker once and drops requests meant for it', async () => {
    const { c, lost, first } = await client();
    c.send({ type: 'probe' });
    first.say({ type: 'ready', lifeLock: 'life-1' });
    expect(first.posted).toEqual([{ type: 'probe' }]);
    c.send({ type: 'run', runId: 'r', spec: { problem: 'p', paperSuffix: true, lanes: [], sampling: { kind: 'greedy' } } });
    first.onerror!({ message: 'boom', preventDefault() {} });
    expect(lost).toEqual(['The model worker crashed (boom).']);
    expect(first.terminated).toBe(true);
    const second = FakeWorker.all[1]!;
    expect(second).toBeDefined();
    // The dead worker's lock is released by the terminate: not a second loss.
    released.get('life-1')!();
    await Promise.resolve();
    first.onerror!({ message: 'again', preventDefault() {} });
    expect(lost).toHaveLength(1);
    // The new worker gets a fresh probe once ready, and nothing of the old queue.
    second.say({ type: 'ready', lifeLock: 'life-2' });
    expect(second.posted).toEqual([{ type: 'probe' }]);
  });

  it('a silent end (the life lock is granted) and a lost device are losses too', async () => {
    const { lost, first } = await client();
    first.say({ type: 'ready', lifeLock: 'life-1' });
    released.get('life-1')!();
    await Promise.resolve();
    expect(lost).toEqual(['The model worker stopped unexpectedly (the browser may have run out of memory).']);
    const second = FakeWorker.all[1]!;
    second.say({ type: 'ready', lifeLock: 'life-2' });
    second.say({ type: 'deviceLost', message: 'The GPU device was lost.' });
    expect(lost.at(-1)).toBe('The GPU device was lost.');
    expect(FakeWorker.all).toHaveLength(3);
    FakeWorker.all[2]!.onmessageerror!();
    expect(lost.at(-1)).toMatch(/could not be read/);
  });
});
