// The converter worker is kept alive like the model worker: its death (crash, silent end such as
// out of memory, an unreadable message) ends the conversion in flight with a clear message, a fresh
// worker takes over and tidies up, and the app goes on. Fake Worker and Web Locks; no browser.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWorker, lifeLocks } from '../../test/fake-worker.ts';
import type { PlanSummary } from '../worker/convert-protocol.ts';

const { locks, released } = lifeLocks();

const PLAN: PlanSummary = {
  modelId: '/converted/url/src',
  sourceLabel: 'src',
  dtypes: ['q4'],
  inputs: [],
  downloadBytes: 1,
  storeBytes: 1,
  neededBytes: 1,
  parameters: 1,
  quota: null,
  problem: null,
  alreadyStored: false,
  bytesPerSecond: null,
};

beforeEach(() => {
  vi.resetModules(); // one client per test
  FakeWorker.all = [];
  released.clear();
  vi.stubGlobal('Worker', FakeWorker);
  vi.stubGlobal('navigator', { locks });
});

/** A conversion running in the first worker. */
async function converting() {
  const client = await import('./convert-client.ts');
  const { convertStore } = await import('../state/convert-store.ts'); // the client's own (fresh) store
  convertStore.setState({ sourceText: '/models/src' });
  expect(client.requestPlan()).toBeNull();
  const first = FakeWorker.all[0]!;
  first.say({ type: 'ready', lifeLock: 'convert-life-1' });
  const plan = first.posted[0] as { requestId: string };
  first.say({ type: 'planned', requestId: plan.requestId, plan: PLAN });
  expect(client.requestConvert()).toBeNull();
  expect(convertStore.getState().status).toBe('converting');
  return { client, first, convertStore };
}

describe('the converter worker dies mid-conversion', () => {
  it('silently (out of memory, close): the conversion ends with what happened, a fresh worker tidies up, converting works again', async () => {
    const { client, first, convertStore } = await converting();
    released.get('convert-life-1')!();
    await Promise.resolve();
    const s = convertStore.getState();
    expect(s.status).toBe('error');
    expect(s.error).toMatch(/^The converter stopped unexpectedly \(the browser may have run out of memory\)\. The conversion of \/converted\/url\/src ended; nothing partial is kept/);
    expect(first.terminated).toBe(true);
    const second = FakeWorker.all[1]!;
    second.say({ type: 'ready', lifeLock: 'convert-life-2' });
    // Its first listing removes the dead one's leftovers (under the conversion lock).
    expect(second.posted).toEqual([{ type: 'list' }]);
    // The app is usable: a new plan goes to the fresh worker.
    expect(client.requestPlan()).toBeNull();
    expect(second.posted.at(-1)).toMatchObject({ type: 'plan' });
    expect(convertStore.getState().status).toBe('planning');
  });

  it('a crash is noticed once; events from the dead worker are ignored', async () => {
    const { first, convertStore } = await converting();
    first.onerror!({ message: 'out of memory', preventDefault() {} });
    expect(convertStore.getState().error).toMatch(/^The converter crashed \(out of memory\)\./);
    first.onerror!({ message: 'again', preventDefault() {} });
    released.get('convert-life-1')!();
    await Promise.resolve();
    expect(FakeWorker.all).toHaveLength(2);
    first.say({ type: 'converted', jobId: 'x', model: { modelId: PLAN.modelId, dtypes: ['q4'], bytes: 1, problems: [] }, seconds: 1 });
    expect(convertStore.getState().status).toBe('error');
  });
});
