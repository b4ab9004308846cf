// Abstract input/output for the converter, so that the same code runs in a browser worker
// (File / Blob / OPFS) and in Node (tools/convert.ts supplies fs-backed implementations).
// No DOM and no Node APIs here.

/** Ranged reads over a set of named files (names are relative paths, e.g. "model-00001-of-00002.safetensors"). */
export interface FileSource {
  /** Byte size of the file, or null when it does not exist. */
  size(name: string): Promise<number | null>;
  /** Exactly `length` bytes starting at `offset`; rejects when the file is shorter. */
  read(name: string, offset: number, length: number): Promise<Uint8Array>;
}

/** One output file being written, append-only. */
export interface FileSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where converted files go. Names use "/" (e.g. "onnx/model_q4.onnx").
 * `commit` is called once, after every file is closed, when the conversion succeeded;
 * `abort` when it failed (implementations should remove what they wrote).
 */
export interface OutputWriter {
  create(name: string): Promise<FileSink>;
  commit?(): Promise<void>;
  abort?(): Promise<void>;
}

export class MissingFileError extends Error {
  override name = 'MissingFileError';
}

export async function readWhole(src: FileSource, name: string): Promise<Uint8Array> {
  const size = await src.size(name);
  if (size === null) throw new MissingFileError(`missing file: ${name}`);
  return src.read(name, 0, size);
}

export async function readJson<T = unknown>(src: FileSource, name: string): Promise<T> {
  const bytes = await readWhole(src, name);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (e) {
    throw new Error(`${name}: invalid JSON (${(e as Error).message})`);
  }
}

/** A FileSource over in-memory bytes or Blobs/Files (browser: files picked by the user, OPFS files). */
export function memorySource(files: ReadonlyMap<string, Uint8Array | Blob> | Record<string, Uint8Array | Blob>): FileSource {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  return {
    async size(name) {
      const f = map.get(name);
      if (f === undefined) return null;
      return f instanceof Uint8Array ? f.byteLength : f.size;
    },
    async read(name, offset, length) {
      const f = map.get(name);
      if (f === undefined) throw new MissingFileError(`missing file: ${name}`);
      const size = f instanceof Uint8Array ? f.byteLength : f.size;
      if (offset < 0 || offset + length > size) {
        throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${size} bytes)`);
      }
      if (f instanceof Uint8Array) return f.subarray(offset, offset + length);
      return new Uint8Array(await f.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** An OutputWriter that keeps files in memory (tests; small models in a browser). */
export function memoryWriter(): OutputWriter & { readonly files: Map<string, Uint8Array>; committed: boolean } {
  const files = new Map<string, Uint8Array>();
  const w = {
    files,
    committed: false,
    async create(name: string): Promise<FileSink> {
      const parts: Uint8Array[] = [];
      return {
        async write(chunk) {
          parts.push(chunk.slice());
        },
        async close() {
          const total = parts.reduce((n, p) => n + p.byteLength, 0);
          const out = new Uint8Array(total);
          let o = 0;
          for (const p of parts) {
            out.set(p, o);
            o += p.byteLength;
          }
          files.set(name, out);
        },
      };
    },
    async commit() {
      w.committed = true;
    },
    async abort() {
      files.clear();
    },
  };
  return w;
}
