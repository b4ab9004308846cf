import { describe, expect, it } from 'vitest';
import { modelNotKept } from '../core/storage.ts';
import { quotaGuardedCache, type CacheForModels } from './quota-cache.ts';

/** A cache that holds `room` bytes, then refuses as a browser does (QuotaExceededError). */
function smallCache(room: number, fail: Error | null = null): CacheForModels & { kept: string[] } {
  const kept: string[] = [];
  let used = 0;
  return {
    kept,
    async match(key) {
      return kept.includes(key) ? new Response('x') : undefined;
    },
    async put(key, res) {
      if (fail) throw fail;
      const n = (await res.arrayBuffer()).byteLength;
      if (used + n > room) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      used += n;
      kept.push(key);
    },
  };
}

describe('the model cache on a full disk', () => {
  it('keeps what fits, notes what the quota refused instead of failing the load, and forgets it once taken', async () => {
    const inner = smallCache(10);
    const cache = quotaGuardedCache(async () => inner);
    await cache.put('/m/config.json', new Response(new Uint8Array(8)));
    await expect(cache.put('/m/onnx/model.onnx', new Response(new Uint8Array(100)))).resolves.toBeUndefined();
    expect(inner.kept).toEqual(['/m/config.json']);
    expect(await cache.match('/m/config.json')).toBeDefined();
    expect(await cache.match('/m/onnx/model.onnx')).toBeUndefined();
    expect(cache.takeRefused()).toEqual(['/m/onnx/model.onnx']);
    expect(cache.takeRefused()).toEqual([]);
  });

  it('other failures still fail', async () => {
    const cache = quotaGuardedCache(async () => smallCache(10, new TypeError('bad response')));
    await expect(cache.put('/m/config.json', new Response('{}'))).rejects.toThrow('bad response');
    expect(cache.takeRefused()).toEqual([]);
  });

  it('tells the user what it means, the sizes, and the way out', () => {
    expect(modelNotKept({ neededBytes: 1_100_000_000, usage: 2_000_000_000, quota: 2_100_000_000 })).toBe(
      'Browser storage is full, so this model was not kept for next time: it runs now, but downloads again on the next visit. ' +
        'This site stores 2000.0 MB of the 2100.0 MB the browser allows it; the model needs 1100.0 MB. ' +
        'Free space with "Clear model cache" (downloaded and converted models), or on the disk, then load the model again to keep it.',
    );
    expect(modelNotKept({ neededBytes: 1, usage: null, quota: null })).not.toMatch(/This site stores/);
  });
});
