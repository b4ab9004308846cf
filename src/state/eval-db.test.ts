// Evaluations in IndexedDB (fake-indexeddb in Node): sample by sample, read back checked.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixtureEvaluation } from '../core/eval-fixtures.ts';
import type { EvalRecord } from '../core/evaluation.ts';
import { openEvalDb, type EvalDb } from './eval-db.ts';

let n = 0;
let open: EvalDb[] = [];
async function fresh(): Promise<{ db: EvalDb; name: string }> {
  const name = `evals-${++n}`;
  const db = await openEvalDb(name);
  open.push(db);
  return { db, name };
}
afterEach(() => {
  for (const d of open) d.close();
  open = [];
});

describe('evaluations in IndexedDB', () => {
  it('keeps the header and each sample as it is graded; reads back the same record', async () => {
    const { db } = await fresh();
    const full = fixtureEvaluation();
    const start: EvalRecord = { ...full, samples: [], status: 'running' };
    await db.saveHeader(start);
    expect(await db.get(start.id)).toEqual(start);
    let e = start;
    for (const s of full.samples.slice(0, 5)) {
      e = { ...e, samples: [...e.samples, s], activeMs: e.activeMs + 10 };
      await db.addSample(e, s);
    }
    const back = await db.get(e.id);
    expect(back?.samples).toHaveLength(5);
    expect(back).toEqual(e);
    expect(await db.list()).toEqual([expect.objectContaining({ id: e.id, done: 5, total: 12, status: 'running', setLabel: 'three.json' })]);
  });

  it('replaces everything on saveAll, lists newest first, removes', async () => {
    const { db } = await fresh();
    const a = fixtureEvaluation();
    await db.saveAll(a);
    await db.saveAll({ ...a, samples: a.samples.slice(0, 2) });
    expect((await db.get(a.id))?.samples).toHaveLength(2);
    const b = { ...fixtureEvaluation(false), id: 'eval-2', createdAt: a.createdAt + 1 };
    await db.saveAll(b);
    expect((await db.list()).map((x) => x.id)).toEqual(['eval-2', 'eval-1']);
    await db.remove(a.id);
    expect(await db.get(a.id)).toBeNull();
    expect((await db.list()).map((x) => x.id)).toEqual(['eval-2']);
  });

  it('skips a corrupt evaluation rather than trusting it', async () => {
    const { db, name } = await fresh();
    await db.saveAll(fixtureEvaluation());
    const raw = await openDB(name);
    const tx = raw.transaction('samples', 'readwrite');
    const [key] = await tx.store.getAllKeys();
    await tx.store.put({ ...(await tx.store.get(key!)), lanes: 'garbage' });
    await tx.done;
    raw.close();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await db.get('eval-1')).toBeNull();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('samples[0].lanes'));
    warn.mockRestore();
  });
});
