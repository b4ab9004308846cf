// FileSources for the browser converter: the Hugging Face Hub (sizes from the tree API, ranged
// reads), a plain folder URL (sizes from HEAD, ranged reads), and files the user picked. `fetch`
// is injected so Node tests run them against fakes.
import { MissingFileError, memorySource, type FileSource } from '../convert/io.ts';
import { convertedIdFor } from './convert-keys.ts';
import { isMirrorPath, type ConvertSource } from './convert-protocol.ts';

export type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

export const HUB = 'https://huggingface.co';
const HUB_REPO = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
/** A server that ignores Range is read whole, once, up to this size per file. */
export const MAX_UNRANGED_BYTES = 256 * 1024 * 1024;

export class SourceError extends Error {
  override name = 'SourceError';
}

/** Largest Hub file list read (JSON). */
export const MAX_LISTING_BYTES = 16 * 1024 * 1024;

/**
 * Reads a body, counting bytes as they stream and cancelling past `max` — whether or not the
 * server sent a length (or told the truth about it): a hostile or broken server cannot fill memory.
 */
export async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const tooBig = () => new SourceError(`${what}: the server sent more than ${max} bytes, more than this file may hold`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw tooBig();
  }
  if (!res.body) {
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.byteLength > max) throw tooBig();
    return buf;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

async function retrying<T>(what: string, fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof MissingFileError || e instanceof SourceError || e instanceof RangeError || i >= attempts - 1) {
        if (e instanceof TypeError) throw new SourceError(`${what}: download failed (${e.message}); check the connection and try again`);
        throw e;
      }
      await new Promise((r) => setTimeout(r, 500 * 2 ** i));
    }
  }
}

/** Ranged GET of `url`; `whole` keeps a server's full-body answer when it ignores Range. */
async function rangedRead(fetchFn: FetchLike, url: string, name: string, offset: number, length: number, whole: Map<string, Uint8Array>): Promise<Uint8Array> {
  if (length === 0) return new Uint8Array(0);
  const cached = whole.get(name);
  if (cached) {
    if (offset + length > cached.byteLength) throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${cached.byteLength} bytes)`);
    return cached.subarray(offset, offset + length);
  }
  return retrying(name, async () => {
    const res = await fetchFn(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    if (res.status === 404) throw new MissingFileError(`missing file: ${name}`);
    if (res.status === 416) throw new RangeError(`${name}: bytes ${offset}-${offset + length - 1} are past the end of the file (truncated?)`);
    if (res.status === 206) {
      const buf = await readCapped(res, length, name);
      if (buf.byteLength !== length) throw new RangeError(`${name}: got ${buf.byteLength} bytes, wanted ${length} at ${offset} (truncated download?)`);
      return buf;
    }
    if (res.status === 200) {
      // The server ignores Range: read the file whole, once — up to a limit, counted as it streams.
      const buf = await readCapped(res, MAX_UNRANGED_BYTES, `${url} (the server ignores Range requests, so the file is read whole)`);
      whole.clear(); // keep one whole file at a time
      whole.set(name, buf);
      if (offset + length > buf.byteLength) throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${buf.byteLength} bytes)`);
      return buf.subarray(offset, offset + length);
    }
    throw new SourceError(`GET ${url}: HTTP ${res.status}`);
  });
}

interface TreeEntry {
  readonly type?: string;
  readonly path?: string;
  readonly size?: number;
  readonly lfs?: { readonly size?: number };
}

/** A Hub repo: the tree API lists the files and their sizes, `resolve/` serves ranged reads. */
export async function hubSource(fetchFn: FetchLike, repo: string, revision = 'main', host = HUB): Promise<FileSource> {
  if (!HUB_REPO.test(repo)) throw new SourceError(`"${repo}" is not a Hub repo id (owner/name)`);
  const listUrl = `${host}/api/models/${repo}/tree/${encodeURIComponent(revision)}`;
  const res = await retrying('Hub file list', () => fetchFn(listUrl));
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    throw new SourceError(`${repo} (revision ${revision}) was not found on the Hub, or it is private or gated (this app sends no token)`);
  }
  if (!res.ok) throw new SourceError(`listing ${repo} on the Hub failed: HTTP ${res.status}`);
  const entries = JSON.parse(new TextDecoder().decode(await readCapped(res, MAX_LISTING_BYTES, 'Hub file list'))) as TreeEntry[];
  if (!Array.isArray(entries)) throw new SourceError(`listing ${repo} on the Hub failed: not a file list`);
  const sizes = new Map<string, number>();
  for (const e of entries) if (e.type === 'file' && e.path) sizes.set(e.path, e.lfs?.size ?? e.size ?? 0);
  const whole = new Map<string, Uint8Array>();
  const url = (name: string) => `${host}/${repo}/resolve/${encodeURIComponent(revision)}/${name.split('/').map(encodeURIComponent).join('/')}`;
  return {
    async size(name) {
      return sizes.get(name) ?? null;
    },
    async read(name, offset, length) {
      const size = sizes.get(name);
      if (size === undefined) throw new MissingFileError(`missing file on the Hub: ${repo}/${name}`);
      if (offset + length > size) throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${size} bytes)`);
      return rangedRead(fetchFn, url(name), name, offset, length, whole);
    },
  };
}

/** A folder at `base` (absolute URL); sizes come from HEAD requests. */
export function urlSource(fetchFn: FetchLike, base: string): FileSource {
  const root = base.endsWith('/') ? base : `${base}/`;
  const sizes = new Map<string, number | null>();
  const whole = new Map<string, Uint8Array>();
  const url = (name: string) => `${root}${name.split('/').map(encodeURIComponent).join('/')}`;
  const size = async (name: string) => {
    if (sizes.has(name)) return sizes.get(name)!;
    const res = await retrying(name, () => fetchFn(url(name), { method: 'HEAD' }));
    let n: number | null = null;
    if (res.ok) {
      // An SPA fallback (index.html for every path) is not the file.
      const type = res.headers.get('content-type') ?? '';
      const len = res.headers.get('content-length');
      n = type.startsWith('text/html') || len === null ? null : Number(len);
    } else if (res.status !== 404 && res.status !== 403) {
      throw new SourceError(`HEAD ${url(name)}: HTTP ${res.status}`);
    }
    sizes.set(name, n);
    return n;
  };
  return {
    size,
    async read(name, offset, length) {
      const n = await size(name);
      if (n === null) throw new MissingFileError(`missing file: ${name}`);
      if (offset + length > n) throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${n} bytes)`);
      return rangedRead(fetchFn, url(name), name, offset, length, whole);
    },
  };
}

export interface OpenedSource {
  readonly src: FileSource;
  /** Shown to the user. */
  readonly label: string;
  /** Where the result is stored and loaded from. */
  readonly modelId: string;
}

/** Resolves a protocol source to a FileSource; `origin` resolves same-origin paths. */
export async function openSource(fetchFn: FetchLike, source: ConvertSource, origin: string): Promise<OpenedSource> {
  switch (source.kind) {
    case 'hub': {
      const repo = source.repo.trim().replace(/^https?:\/\/(www\.)?(huggingface\.co|hf\.co)\//, '').replace(/\/+$/, '');
      // A mirror only on this origin: a link must not be able to swap E1 for another server's files.
      if (source.host !== undefined && !isMirrorPath(source.host)) throw new SourceError(`"${source.host}": a Hub mirror must be a path on this site`);
      const host = source.host ? `${origin}${source.host.replace(/\/+$/, '')}` : HUB;
      const label = `${repo} (${source.host ? `Hub mirror ${source.host}` : 'Hugging Face Hub'})`;
      return { src: await hubSource(fetchFn, repo, source.revision || 'main', host), label, modelId: convertedIdFor({ kind: 'hub', repo }) };
    }
    case 'url': {
      const raw = source.url.trim();
      let abs: URL;
      try {
        abs = new URL(raw, `${origin}/`);
      } catch {
        throw new SourceError(`"${raw}" is not a URL or a path`);
      }
      if (abs.protocol !== 'http:' && abs.protocol !== 'https:') throw new SourceError(`"${raw}": only http(s) folders can be read`);
      if (abs.pathname.split('/').includes('..')) throw new SourceError(`"${raw}" may not contain ".."`);
      const href = abs.href.replace(/[?#].*$/, '');
      return { src: urlSource(fetchFn, href), label: href, modelId: convertedIdFor({ kind: 'url', url: href }) };
    }
    case 'files': {
      if (source.files.length === 0) throw new SourceError('no files were picked');
      const map = new Map<string, Blob>();
      for (const f of source.files) map.set(f.path, f.file);
      return { src: memorySource(map), label: `${source.files.length} local files (${source.name})`, modelId: convertedIdFor({ kind: 'files', name: source.name }) };
    }
  }
}

/** Counts the bytes read through a FileSource. */
export function countingSource(src: FileSource, onRead: (bytes: number) => void): FileSource {
  return {
    size: (n) => src.size(n),
    async read(n, o, l) {
      const b = await src.read(n, o, l);
      onRead(b.byteLength);
      return b;
    },
  };
}
