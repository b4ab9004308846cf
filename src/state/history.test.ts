import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { type IDBPDatabase, wrap } from 'idb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installFakeIdbClasses } from '../../test/fake-idb.ts';
import type { ComparisonRecord } from '../core/comparison.ts';
import { type CorruptReport, type History, HISTORY_DB_NAME, HISTORY_DB_VERSION, HistoryError, openHistory, toHistoryError } from './history-db.ts';
import { summarize } from './history-entry.ts';
import {
  clearHistory,
  comparisonRemoved,
  comparisonSaved,
  connectHistory,
  historyCleared,
  historyFailed,
  historyLoaded,
  historyStore,
  pinInHistory,
  refreshHistory,
  removeFromHistory,
  resetHistoryStore,
  saveToHistory,
} from './history-store.ts';

installFakeIdbClasses();

const LONG = 'x'.repeat(50_000);

function record(id: string, createdAt: number, over: Partial<ComparisonRecord> = {}): ComparisonRecord {
  return {
    id,
    createdAt,
    mode: 'independent',
    problem: `Problem ${id}: find the sum of all integers n such that n^2 < 50.`,
    paperSuffix: true,
    reference: { id: 'aime-1', source: 'AIME', answer: '0' },
    lanes: [
      {
        settings: { modelId: 'e1/math-1.5b', thinking: 1000, solution: 200, sampling: { kind: 'greedy' } },
        outcome: {
          thinkingText: `think ${LONG}`,
          thinkingTokens: 1000,
          thinkingEnd: 'budget',
          solutionText: `solve ${LONG} \\boxed{0}`,
          solutionTokens: 150,
          solutionEnd: 'eos',
          answer: '0',
          stats: { promptTokens: 40, prefillMs: 10, ttftMs: 12, decodeMs: 900, decodedTokens: 1150, tokensPerSecond: 1277, forwardCalls: 1150, tokensFed: 1190 },
          error: null,
        },
      },
      {
        settings: { modelId: 'deepscaler/1.5b', thinking: 'max', solution: 200, sampling: { kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed: 7 } },
        outcome: {
          thinkingText: LONG,
          thinkingTokens: 3000,
          thinkingEnd: 'model',
          solutionText: LONG,
          solutionTokens: 200,
          solutionEnd: 'budget',
          answer: null,
          stats: null,
          error: null,
        },
      },
    ],
    sweep: null,
    status: 'finished',
    ...over,
  };
}

/** Writes `value` into a store of the history database directly, bypassing validation. */
async function rawPut(factory: IDBFactory, store: 'records' | 'entries', value: unknown): Promise<void> {
  const db = (await wrap(factory.open(HISTORY_DB_NAME))) as IDBPDatabase;
  await db.put(store, value);
  db.close();
}

describe('history database', () => {
  let factory: IDBFactory;
  let h: History;
  let reports: CorruptReport[];
  const open = () => openHistory(factory, { onCorrupt: (r) => reports.push(r) });

  beforeEach(async () => {
    factory = new IDBFactory();
    reports = [];
    h = await open();
  });
  afterEach(() => h.close());

  it('saves and gets records by id; put replaces', async () => {
    const r = record('a', 1000);
    await h.save(r);
    expect(await h.get('a')).toEqual(r);
    expect(await h.get('missing')).toBeNull();
    expect(await h.count()).toBe(1);
    const again = record('a', 1000, { status: 'stopped' });
    await h.save(again);
    expect(await h.count()).toBe(1);
    expect(await h.get('a')).toEqual(again);
    await h.save(record('b', 2000));
    expect(await h.count()).toBe(2);
  });

  it('lists newest first, with a limit', async () => {
    await h.save(record('mid', 2000));
    await h.save(record('old', 1000));
    await h.save(record('new', 3000));
    expect((await h.list()).map((e) => e.id)).toEqual(['new', 'mid', 'old']);
    expect((await h.list({ limit: 2 })).map((e) => e.id)).toEqual(['new', 'mid']);
    expect(await h.list({ limit: 0 })).toEqual([]);
    // Re-saving with a new time moves the entry.
    await h.save(record('old', 4000));
    expect((await h.list()).map((e) => e.id)).toEqual(['old', 'new', 'mid']);
  });

  it('a cap drops the oldest unpinned entries (and their records) as a new one is saved beyond it', async () => {
    for (const [id, t] of [['a', 1000], ['b', 2000], ['c', 3000]] as const) expect(await h.save(record(id, t), { keep: 3 })).toEqual([]);
    expect(await h.pin('a', true)).toBe(true);
    expect(await h.pin('missing', true)).toBe(false);
    // 'a' is the oldest but pinned: 'b' goes.
    expect(await h.save(record('d', 4000), { keep: 3 })).toEqual(['b']);
    expect((await h.list()).map((e) => [e.id, e.pinned ?? false])).toEqual([['d', false], ['c', false], ['a', true]]);
    expect(await h.get('b')).toBeNull();
    // Re-saving a pinned entry keeps it pinned; an old record saved now is never its own victim.
    await h.save(record('a', 1000, { status: 'stopped' }), { keep: 3 });
    expect((await h.list()).find((e) => e.id === 'a')?.pinned).toBe(true);
    expect(await h.save(record('older', 500), { keep: 2 })).toEqual(['c', 'd']);
    expect((await h.list()).map((e) => e.id)).toEqual(['a', 'older']);
    // Pinned entries stay even beyond the cap; no cap drops nothing.
    await h.pin('older', true);
    expect(await h.save(record('e', 5000), { keep: 1 })).toEqual([]);
    expect(await h.count()).toBe(3);
    expect(await h.save(record('f', 6000), { keep: null })).toEqual([]);
    expect(await h.count()).toBe(4);
  });

  it('lists light entries, not the full texts', async () => {
    const problem = `  ${'∑'.repeat(100)}\n\n${'😀'.repeat(50)} and more`;
    await h.save(record('a', 1000, { problem }));
    const [e, ...rest] = await h.list();
    expect(rest).toEqual([]);
    expect(e).toEqual({
      id: 'a',
      createdAt: 1000,
      mode: 'independent',
      problemExcerpt: `${'∑'.repeat(100)} ${'😀'.repeat(19)}`,
      lanes: 2,
      models: ['e1/math-1.5b', 'deepscaler/1.5b'],
      answers: ['0', null],
      referenceAnswer: '0',
      status: 'finished',
    });
    expect(Array.from(e!.problemExcerpt)).toHaveLength(120);
    // The stored record is ~200 kB of text; its entry is a few hundred bytes.
    expect(JSON.stringify(await h.get('a')).length).toBeGreaterThan(200_000);
    expect(JSON.stringify(e).length).toBeLessThan(1000);
  });

  it('removes one and clears all', async () => {
    await h.save(record('a', 1000));
    await h.save(record('b', 2000));
    await h.remove('a');
    expect((await h.get('a'))?.id).toBeUndefined();
    expect((await h.list()).map((e) => e.id)).toEqual(['b']);
    expect(await h.count()).toBe(1);
    await h.remove('never-there');
    await h.clear();
    expect(await h.list()).toEqual([]);
    expect(await h.count()).toBe(0);
  });

  it('survives re-opening the database (a reload)', async () => {
    await h.save(record('a', 1000));
    await h.save(record('b', 2000));
    h.close();
    h = await open();
    expect((await h.list()).map((e) => e.id)).toEqual(['b', 'a']);
    expect(await h.get('a')).toEqual(record('a', 1000));
    // The schema version this build writes.
    const db = (await wrap(factory.open(HISTORY_DB_NAME))) as IDBPDatabase;
    expect(db.version).toBe(HISTORY_DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['entries', 'records']);
    db.close();
    // Another factory is another browser profile: empty.
    const other = await openHistory(new IDBFactory());
    expect(await other.count()).toBe(0);
    other.close();
  });

  it('skips and reports corrupt values instead of throwing', async () => {
    await h.save(record('good', 1000));
    await rawPut(factory, 'entries', { ...summarize(record('bad-entry', 2000)), mode: 'bogus' });
    await rawPut(factory, 'entries', { ...summarize(record('bad-record', 3000)) });
    await rawPut(factory, 'records', { ...record('bad-record', 3000), lanes: [{ settings: null }] });
    await rawPut(factory, 'records', { ...record('wrong-key', 3000), id: 'wrong-key' }); // fine
    expect((await h.list()).map((e) => e.id)).toEqual(['bad-record', 'good']);
    expect(reports).toEqual([{ id: 'bad-entry', store: 'entries', problem: expect.stringMatching(/^mode: expected one of .* got "bogus"/) }]);
    expect((await h.get('bad-record'))?.id).toBeUndefined();
    expect(reports[1]).toEqual({ id: 'bad-record', store: 'records', problem: 'lanes[0].settings: expected an object, got null; lanes[0].outcome: expected an object, got undefined' });
    expect(await h.get('good')).toEqual(record('good', 1000));
    expect(await h.get('wrong-key')).toEqual(record('wrong-key', 3000));
    expect(reports).toHaveLength(2);
  });

  it('refuses to save a malformed record', async () => {
    const bad = { ...record('a', 1000), createdAt: Number.NaN };
    await expect(h.save(bad)).rejects.toMatchObject({ name: 'HistoryError', code: 'invalid-record' });
    expect(await h.count()).toBe(0);
  });

  it('turns a full disk into a quota message, and keeps nothing half-written', async () => {
    await h.save(record('a', 1000));
    let calls = 0;
    const original = IDBObjectStore.prototype.put;
    const spy = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
      calls += 1;
      // The record goes in, then the entry hits the quota: the transaction must roll back both.
      if (calls === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return original.call(this, value, key);
    });
    try {
      const err = await h.save(record('b', 2000)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HistoryError);
      expect(err).toMatchObject({ code: 'quota' });
      expect((err as HistoryError).userMessage).toMatch(/storage is full/);
    } finally {
      spy.mockRestore();
    }
    expect((await h.get('b'))?.id).toBeUndefined();
    expect((await h.list()).map((e) => e.id)).toEqual(['a']);
    expect(await h.count()).toBe(1);
  });

  it('fails with a clear message once another tab upgraded the database', async () => {
    await h.save(record('a', 1000));
    // A newer build elsewhere opens a higher version: this connection steps aside.
    const newer = (await wrap(factory.open(HISTORY_DB_NAME, HISTORY_DB_VERSION + 1))) as IDBPDatabase;
    await expect(h.list()).rejects.toMatchObject({ code: 'closed', userMessage: expect.stringMatching(/another tab/) });
    newer.close();
    // And this (older) build can no longer open it.
    await expect(openHistory(factory)).rejects.toMatchObject({ code: 'newer-version', userMessage: expect.stringMatching(/newer version/) });
  });
});

describe('history unavailable', () => {
  it('without indexedDB (private mode, old browser) is a clear HistoryError', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
    const err = await openHistory().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HistoryError);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as HistoryError).userMessage).toMatch(/not available.*Runs still work/);
  });

  it('when the browser refuses to open it', async () => {
    const throwing = { open: () => { throw new DOMException('denied', 'SecurityError'); } } as unknown as IDBFactory;
    await expect(openHistory(throwing)).rejects.toMatchObject({ code: 'unavailable' });
    // Firefox private browsing: the open request fails with InvalidStateError.
    const failing = {
      open: () => {
        const req = Object.assign(new EventTarget(), { error: new DOMException('mutation not allowed', 'InvalidStateError') });
        setTimeout(() => req.dispatchEvent(new Event('error', { cancelable: true })), 0);
        return req;
      },
    } as unknown as IDBFactory;
    await expect(openHistory(failing)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('maps raw errors to user messages', () => {
    expect(toHistoryError(new DOMException('x', 'QuotaExceededError'), 'save').code).toBe('quota');
    expect(toHistoryError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' }, 'save').code).toBe('quota');
    expect(toHistoryError(new DOMException('x', 'VersionError'), 'open').code).toBe('newer-version');
    expect(toHistoryError(new DOMException('x', 'DataCloneError'), 'save').code).toBe('invalid-record');
    const other = toHistoryError(new Error('disk on fire'), 'list');
    expect(other).toMatchObject({ code: 'failed', userMessage: 'History could not list: disk on fire.' });
    const same = new HistoryError('quota', 'm');
    expect(toHistoryError(same, 'save')).toBe(same);
  });
});

describe('history store', () => {
  const entry = (id: string, t: number) => summarize(record(id, t));
  beforeEach(() => resetHistoryStore());

  it('events keep the list newest first', () => {
    historyLoaded([entry('b', 2000), entry('a', 1000)]);
    expect(historyStore.getState()).toMatchObject({ loaded: true, error: null });
    comparisonSaved(entry('c', 3000));
    comparisonSaved(entry('m', 1500));
    expect(historyStore.getState().entries.map((e) => e.id)).toEqual(['c', 'b', 'm', 'a']);
    comparisonSaved(entry('a', 4000)); // re-saved: moves, not duplicated
    expect(historyStore.getState().entries.map((e) => e.id)).toEqual(['a', 'c', 'b', 'm']);
    comparisonRemoved('c');
    expect(historyStore.getState().entries.map((e) => e.id)).toEqual(['a', 'b', 'm']);
    historyFailed('Browser storage is full');
    expect(historyStore.getState()).toMatchObject({ error: 'Browser storage is full' });
    expect(historyStore.getState().entries).toHaveLength(3); // a failure keeps the list
    historyCleared();
    expect(historyStore.getState()).toMatchObject({ entries: [], error: null, loaded: true });
  });

  it('helpers call the database, then the events', async () => {
    const factory = new IDBFactory();
    const seed = await openHistory(factory);
    await seed.save(record('old', 1000));
    seed.close();

    const h = await connectHistory(factory);
    expect(h).not.toBeNull();
    expect(historyStore.getState()).toMatchObject({ loaded: true, entries: [entry('old', 1000)] });
    expect(await saveToHistory(h, record('new', 2000))).toBe(true);
    expect(historyStore.getState().entries.map((e) => e.id)).toEqual(['new', 'old']);
    expect(await pinInHistory(h, 'new', true)).toBe(true);
    expect(await saveToHistory(h, record('newer', 3000), 2)).toBe(true);
    expect(historyStore.getState().entries.map((e) => [e.id, e.pinned ?? false])).toEqual([['newer', false], ['new', true]]);
    expect(await h!.list()).toEqual(historyStore.getState().entries);
    expect(await removeFromHistory(h, 'newer')).toBe(true);
    expect(historyStore.getState().entries.map((e) => e.id)).toEqual(['new']);
    // The store agrees with the database.
    expect(await h!.list()).toEqual(historyStore.getState().entries);
    expect(await clearHistory(h)).toBe(true);
    expect(historyStore.getState().entries).toEqual([]);
    expect(await h!.count()).toBe(0);

    // A failed save reports and leaves the list alone.
    expect(await saveToHistory(h, { ...record('x', 5000), status: 'weird' as never })).toBe(false);
    expect(historyStore.getState()).toMatchObject({ entries: [], error: expect.stringMatching(/could not be saved/) });
    expect(await refreshHistory(h)).toBe(true);
    expect(historyStore.getState().error).toBeNull();
    h!.close();
  });

  it('without IndexedDB the app goes on: no history, one clear message', async () => {
    const h = await connectHistory();
    expect(h).toBeNull();
    expect(historyStore.getState()).toMatchObject({ loaded: false, entries: [], error: expect.stringMatching(/not available/) });
    await expect(saveToHistory(h, record('a', 1000))).resolves.toBe(false);
    await expect(refreshHistory(h)).resolves.toBe(false);
    await expect(removeFromHistory(h, 'a')).resolves.toBe(false);
    await expect(clearHistory(h)).resolves.toBe(false);
  });
});
