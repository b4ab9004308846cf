// A full disk while saving history names the sizes and a way out.
import { describe, expect, it, vi } from 'vitest';
import { toHistoryError } from '../state/history-db.ts';

vi.mock('../state/history-store.ts', async (orig) => {
  const real = await orig<typeof import('../state/history-store.ts')>();
  return {
    ...real,
    connectHistory: async () => ({}) as never,
    saveToHistory: async () => {
      real.historyFailed(toHistoryError({ name: 'QuotaExceededError' }, 'save').userMessage);
      return false;
    },
  };
});

describe('history quota', () => {
  it('says how much is used, allowed and needed, and how to free space', async () => {
    vi.stubGlobal('navigator', { storage: { estimate: async () => ({ usage: 2_000_000_000, quota: 2_100_000_000 }) } });
    const { saveRecord } = await import('./history-actions.ts');
    const { historyStore } = await import('../state/history-store.ts');
    saveRecord({ id: 'r', createdAt: 0, mode: 'single', problem: 'p'.repeat(3000), paperSuffix: true, reference: null, lanes: [], sweep: null, status: 'finished' });
    await vi.waitFor(() => expect(historyStore.getState().error).toMatch(/stores 2000\.0 MB of the 2100\.0 MB .* this record needs 0\.0 MB.*Clear model cache/));
    expect(historyStore.getState().error).toMatch(/^Browser storage is full/);
  });
});
