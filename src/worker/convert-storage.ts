// Stores converted models in Cache Storage (the cache transformers.js reads; see convert-keys.ts
// for the keys and why), lists and removes them. Each output file is staged first (OPFS in the
// browser, memory-backed Blobs in tests) so that it is put into the cache as one Blob with an
// exact Content-Length. No DOM types beyond Blob/Response: the cache and the staging area are
// passed in, so Node tests run this with fakes.
import { MANIFEST_FILE, verifyConversion } from '../convert/convert.ts';
import type { FileSink, FileSource, OutputWriter } from '../convert/io.ts';
import { CONVERTED_PREFIX, cacheKey, isConvertedId } from './convert-keys.ts';
import type { StoredModel } from './convert-protocol.ts';

/** The part of the Cache API used here (a real `Cache` satisfies it). */
export interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
  keys(): Promise<readonly { readonly url: string }[]>;
}

export interface StagedFile {
  write(chunk: Uint8Array): Promise<void>;
  /** The finished file's bytes (no more writes). */
  finish(): Promise<Blob>;
  /** Frees the staged copy (after the cache has taken it, or on failure). */
  discard(): Promise<void>;
}

export interface Stager {
  create(name: string): Promise<StagedFile>;
  /** Removes everything staged, including leftovers of an earlier, interrupted run. */
  cleanup(): Promise<void>;
}

/** Stages in Blobs (memory; browsers may page large blobs to disk). Tests, and browsers without OPFS. */
export function blobStager(): Stager {
  return {
    async create() {
      let parts: Blob[] = [];
      return {
        async write(chunk) {
          parts.push(new Blob([chunk.slice()]));
        },
        async finish() {
          return new Blob(parts, { type: 'application/octet-stream' });
        },
        async discard() {
          parts = [];
        },
      };
    },
    async cleanup() {},
  };
}

// Minimal structural types for the OPFS calls used (available in dedicated workers).
interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
}
interface OpfsFile {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
  getFile(): Promise<Blob>;
}
export interface OpfsDirectory {
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectory>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFile>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
}

const STAGING_DIR = 'convert-staging';

/**
 * Web Lock held by the tab that converts, from its first write to its last clean-up: a second tab
 * (or "Clear model cache") never deletes staging or cache entries of a conversion in progress.
 */
export const CONVERT_LOCK = 'elastic-reasoning-convert';

/** Removes conversion staging left in OPFS (after a crash or a closed tab). */
export async function clearStaging(root: OpfsDirectory): Promise<void> {
  await root.removeEntry(STAGING_DIR, { recursive: true }).catch(() => {});
}

/** Stages each file on disk in the origin private file system (a worker-only sync handle). */
export function opfsStager(root: OpfsDirectory): Stager {
  let counter = 0;
  return {
    async create(name) {
      const dir = await root.getDirectoryHandle(STAGING_DIR, { create: true });
      const fileName = `${Date.now()}-${counter++}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
      const handle = await dir.getFileHandle(fileName, { create: true });
      let sync: SyncAccessHandle | null = await handle.createSyncAccessHandle();
      let at = 0;
      return {
        async write(chunk) {
          if (!sync) throw new Error(`${name}: write after finish`);
          let done = 0;
          while (done < chunk.byteLength) done += sync.write(chunk.subarray(done), { at: at + done });
          at += chunk.byteLength;
        },
        async finish() {
          if (sync) {
            sync.flush();
            sync.close();
            sync = null;
          }
          return handle.getFile();
        },
        async discard() {
          if (sync) {
            sync.close();
            sync = null;
          }
          await dir.removeEntry(fileName).catch(() => {});
        },
      };
    },
    cleanup: () => clearStaging(root),
  };
}

const contentType = (name: string) => (name.endsWith('.json') ? 'application/json; charset=utf-8' : name.endsWith('.txt') || name.endsWith('.jinja') ? 'text/plain; charset=utf-8' : 'application/octet-stream');

export interface CacheWriterEvents {
  /** Bytes handed to the writer so far (all files). */
  readonly onBytes?: (total: number) => void;
}

/**
 * An OutputWriter that puts each closed file into `cache` under the key transformers.js will ask
 * for. The converter writes config.json last, so the model becomes loadable only when every
 * other file is stored. `abort` deletes whatever was stored.
 */
export function cacheWriter(cache: CacheLike, origin: string, modelId: string, stager: Stager, events: CacheWriterEvents = {}): OutputWriter & { readonly stored: ReadonlyMap<string, number> } {
  const stored = new Map<string, number>();
  let bytes = 0;
  return {
    stored,
    async create(name): Promise<FileSink> {
      const staged = await stager.create(name);
      let closed = false;
      return {
        async write(chunk) {
          await staged.write(chunk);
          bytes += chunk.byteLength;
          events.onBytes?.(bytes);
        },
        async close() {
          if (closed) return;
          closed = true;
          try {
            const blob = await staged.finish();
            const key = cacheKey(origin, modelId, name);
            await cache.put(key, new Response(blob, { headers: { 'Content-Type': contentType(name), 'Content-Length': String(blob.size) } }));
            stored.set(key, blob.size);
          } finally {
            await staged.discard();
          }
        },
      };
    },
    async commit() {
      await stager.cleanup();
    },
    async abort() {
      // The marker first, should it have been stored.
      await cache.delete(cacheKey(origin, modelId, 'config.json'));
      for (const key of stored.keys()) await cache.delete(key);
      stored.clear();
      await stager.cleanup();
    },
  };
}

/** Reads a stored conversion back (verification). */
export function cacheSource(cache: CacheLike, origin: string, modelId: string): FileSource {
  const size = async (name: string) => {
    const res = await cache.match(cacheKey(origin, modelId, name));
    if (!res) return null;
    const len = res.headers.get('content-length');
    return len !== null ? Number(len) : (await res.blob()).size;
  };
  return {
    size,
    async read(name, offset, length) {
      const res = await cache.match(cacheKey(origin, modelId, name));
      if (!res) throw new Error(`missing file: ${name}`);
      const blob = await res.blob();
      if (offset + length > blob.size) throw new RangeError(`${name}: read past the end`);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Converted model ids with any entry in the cache, each with its keys. */
async function convertedEntries(cache: CacheLike, origin: string): Promise<Map<string, string[]>> {
  const byId = new Map<string, string[]>();
  const base = `${origin}${CONVERTED_PREFIX}`;
  for (const req of await cache.keys()) {
    if (!req.url.startsWith(base)) continue;
    const parts = req.url.slice(origin.length).split('/'); // ['', 'converted', a, b, ...file]
    if (parts.length < 5) continue;
    const id = parts.slice(0, 4).join('/');
    if (!isConvertedId(id)) continue;
    const list = byId.get(id) ?? [];
    list.push(req.url);
    byId.set(id, list);
  }
  return byId;
}

/** Deletes every stored file of `modelId`, the completion marker first. Returns the bytes freed. */
export async function removeConverted(cache: CacheLike, origin: string, modelId: string): Promise<number> {
  const marker = cacheKey(origin, modelId, 'config.json');
  const keys = (await convertedEntries(cache, origin)).get(modelId) ?? [];
  let freed = 0;
  const sizeOf = async (key: string) => Number((await cache.match(key))?.headers.get('content-length') ?? 0);
  if (keys.includes(marker)) {
    freed += await sizeOf(marker);
    await cache.delete(marker);
  }
  for (const key of keys) {
    if (key === marker) continue;
    freed += await sizeOf(key);
    await cache.delete(key);
  }
  return freed;
}

/**
 * Complete conversions in the cache, each checked against its manifest. Entries without
 * config.json are a conversion being written (in this tab or another) or the leftovers of one that
 * died: skipped, and deleted when `dropLeftovers` — only for a caller holding the conversion lock,
 * so that no conversion is running anywhere.
 */
export async function listConverted(cache: CacheLike, origin: string, dropLeftovers = false): Promise<StoredModel[]> {
  const out: StoredModel[] = [];
  for (const [modelId, keys] of await convertedEntries(cache, origin)) {
    if (!keys.includes(cacheKey(origin, modelId, 'config.json'))) {
      if (dropLeftovers) await removeConverted(cache, origin, modelId);
      continue;
    }
    const src = cacheSource(cache, origin, modelId);
    const problems = await verifyConversion(src);
    let dtypes: string[] = [];
    let bytes = 0;
    try {
      const res = await cache.match(cacheKey(origin, modelId, MANIFEST_FILE));
      const manifest = (await res?.json()) as { dtypes?: string[]; files?: Record<string, number> } | undefined;
      dtypes = manifest?.dtypes ?? [];
      bytes = Object.values(manifest?.files ?? {}).reduce((a, b) => a + b, 0);
    } catch {
      // verifyConversion reported it
    }
    out.push({ modelId, dtypes, bytes, problems });
  }
  return out.sort((a, b) => a.modelId.localeCompare(b.modelId));
}
