// Issue 14: the model's weights reach onnxruntime-web as whole-file Uint8Arrays (transformers.js
// 4.3.1 reads every external data file into one and passes them in `session_options.externalData`).
// While the session is created ORT copies them into its WASM heap, or uploads them to the GPU, and
// then unmounts them; nothing references them after that, yet they stay resident until V8 happens
// to run a full GC, which an idle worker may not do for a long time. Measured on a 625 MB model
// (tools/bench/worker-memory.ts): after a load the model worker still held 652 MB of ArrayBuffer
// backing stores, freed only by a forced GC — the files' size again.
//
// Here every external data buffer is detached once its session exists. `ArrayBuffer.prototype.
// transfer(0)` (ES2024: Chromium 114+, Firefox 122+, Safari 17.4+) frees the memory at once;
// where it is missing the buffer is detached by a transferring structuredClone (freed at the next GC).
// Only buffers a view spans whole are detached (a view into a larger buffer may share it with
// something else), and only after a successful create (on failure the caller may retry with them).
// transformers.js gives every session its own file reads, so no later session needs them.

const PATCHED = Symbol.for('elastic-reasoning.release-inputs');

interface SessionFactory {
  create(...args: never[]): Promise<unknown>;
}

interface ExternalDataEntry {
  readonly data?: unknown;
}

/** The whole-buffer Uint8Arrays among a create() call's `externalData` options. */
function externalBuffers(args: readonly unknown[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const a of args) {
    const list = (a as { externalData?: unknown } | null)?.externalData;
    if (typeof a !== 'object' || a === null || ArrayBuffer.isView(a) || !Array.isArray(list)) continue;
    for (const e of list as ExternalDataEntry[]) {
      const d = e?.data;
      if (!(d instanceof Uint8Array) || !(d.buffer instanceof ArrayBuffer)) continue;
      if (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength) out.push(d.buffer);
    }
  }
  return out;
}

/** Detaches `buf`, freeing its memory now where the runtime can (see above). */
export function detach(buf: ArrayBuffer): void {
  const transfer = (buf as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer }).transfer;
  if (transfer) transfer.call(buf, 0);
  else structuredClone(buf, { transfer: [buf] });
}

/**
 * Wraps `factory.create` (ORT's InferenceSession) so that the external data buffers a session was
 * created from are detached as soon as it exists. Idempotent.
 */
export function releaseInputsOnCreate(factory: SessionFactory): void {
  const f = factory as SessionFactory & { [PATCHED]?: true };
  if (f[PATCHED]) return;
  const create = f.create.bind(f) as (...args: unknown[]) => Promise<unknown>;
  f.create = (async (...args: unknown[]) => {
    const session = await create(...args);
    for (const buf of externalBuffers(args)) detach(buf);
    return session;
  }) as SessionFactory['create'];
  f[PATCHED] = true;
}
