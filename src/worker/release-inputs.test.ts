import { describe, expect, it } from 'vitest';
import { releaseInputsOnCreate } from './release-inputs.ts';

/** A stand-in for ORT's InferenceSession: records what it was given, fails on demand. */
function factory(fail = false) {
  const seen: number[][] = [];
  const f = {
    async create(_model: Uint8Array, options?: { externalData?: { path: string; data: Uint8Array | string }[] }) {
      // What ORT does while creating: reads every buffer (they must still be whole here).
      seen.push((options?.externalData ?? []).map((e) => (typeof e.data === 'string' ? -1 : e.data.byteLength)));
      if (fail) throw new Error('cannot create');
      return { id: 1 };
    },
  };
  return { f, seen };
}

describe('releaseInputsOnCreate', () => {
  it('detaches the external data buffers once the session exists, after ORT has read them whole', async () => {
    const { f, seen } = factory();
    releaseInputsOnCreate(f);
    const a = new Uint8Array(1000);
    const b = new Uint8Array(24);
    const model = new Uint8Array(8);
    const session = await f.create(model, { externalData: [{ path: 'm.onnx_data', data: a }, { path: 'm.onnx_data_1', data: b }, { path: 'x', data: 'url' }] });
    expect(session).toEqual({ id: 1 });
    expect(seen).toEqual([[1000, 24, -1]]);
    expect(a.buffer.byteLength).toBe(0);
    expect(b.buffer.byteLength).toBe(0);
    expect(model.byteLength).toBe(8); // the graph is not external data
  });

  it('keeps a view into a larger buffer, and everything when the create fails', async () => {
    const shared = new ArrayBuffer(100);
    const view = new Uint8Array(shared, 10, 50);
    const { f } = factory();
    releaseInputsOnCreate(f);
    await f.create(new Uint8Array(1), { externalData: [{ path: 'd', data: view }] });
    expect(shared.byteLength).toBe(100);

    const failing = factory(true).f;
    releaseInputsOnCreate(failing);
    const kept = new Uint8Array(64);
    await expect(failing.create(new Uint8Array(1), { externalData: [{ path: 'd', data: kept }] })).rejects.toThrow('cannot create');
    expect(kept.byteLength).toBe(64);
  });

  it('wraps once', async () => {
    const { f, seen } = factory();
    releaseInputsOnCreate(f);
    const wrapped = f.create;
    releaseInputsOnCreate(f); // configureRuntime may run again: no wrapper around the wrapper
    expect(f.create).toBe(wrapped);
    await f.create(new Uint8Array(1), { externalData: [{ path: 'd', data: new Uint8Array(4) }] });
    expect(seen).toHaveLength(1);
  });
});
