// A local server that answers like the Hugging Face Hub, for tests and the bench:
//
//   const hub = await startHubServer({ repos: { 'Salesforce/E1-Math-1.5B': '/path/to/folder' } });
//   hub.url      // the Hub origin: env.remoteHost / hubSource's host
//   hub.cdnUrl   // the second origin large files redirect to
//   await hub.close();
//
// What it reproduces (as huggingface.co answers anonymous requests):
// - `GET|HEAD /<repo>/resolve/<rev>/<path>`: small files are served directly (with Range); files of
//   LFS size (>= `lfsThreshold`, or with an LFS extension) answer `302` to the CDN origin with
//   `X-Linked-Size`, `X-Linked-ETag`, `ETag` and `X-Repo-Commit`, the CDN serves them with Range.
// - CORS on both origins (`Access-Control-Allow-Origin: *`, the Hub's exposed headers, preflight).
// - `GET /api/models/<repo>/tree/<rev>[/<path>][?recursive=true]`: files and folders with sizes
//   (LFS files carry `lfs: { oid, size, pointerSize }`).
// - `GET /api/models/<repo>[/revision/<rev>][?blobs=true]`: model info with `siblings` (sizes only
//   with blobs=true).
// - Unknown repos answer 401 with `X-Error-Code: RepoNotFound` (what anonymous callers get),
//   missing files 404 with `EntryNotFound`, unknown revisions 404 `RevisionNotFound`.
// ETags of LFS files stand in for sha256 (a hash of path, size and mtime, not of the content:
// hashing gigabytes per start would cost more than the bench measures). Small files get their
// real git blob sha1. Every request is recorded in `requests` (tests assert on redirects/ranges).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

export interface HubServerOptions {
  /** Repo id ("owner/name") -> local folder holding its files. */
  readonly repos: Readonly<Record<string, string>>;
  /** Ports (0 = any free port). */
  readonly port?: number;
  readonly cdnPort?: number;
  /** Files at least this large go through the CDN (the Hub's LFS threshold is 10 MB). */
  readonly lfsThreshold?: number;
  /**
   * What the 302 Location starts with instead of the CDN origin: e.g. `/cdn` when a proxy serves
   * the Hub and its CDN under paths of one origin (a page under a CSP that allows only 'self').
   */
  readonly cdnBase?: string;
}

export interface HubRequest {
  readonly origin: 'hub' | 'cdn';
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly status: number;
}

export interface HubServer {
  readonly url: string;
  readonly cdnUrl: string;
  readonly requests: HubRequest[];
  /** Bytes of file content sent (bodies of resolve and CDN answers). */
  bytesServed: number;
  close(): Promise<void>;
}

const LFS_EXTENSIONS = /\.(safetensors|onnx|onnx_data(_\d+)?|bin|pt|pth|h5|msgpack|gguf)$/;
const EXPOSED =
  'X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag,X-Xet-Hash';
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': EXPOSED,
};

interface RepoFile {
  readonly path: string;
  readonly abs: string;
  readonly size: number;
  readonly lfs: boolean;
  /** sha256-like for LFS files, git blob sha1 for small ones. */
  readonly oid: string;
}

interface Repo {
  readonly id: string;
  readonly commit: string;
  readonly files: Map<string, RepoFile>;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(abs)));
    else if (e.isFile()) out.push(abs);
  }
  return out;
}

async function scanRepo(id: string, dir: string, lfsThreshold: number): Promise<Repo> {
  const files = new Map<string, RepoFile>();
  for (const abs of await walk(dir)) {
    const path = relative(dir, abs).split(sep).join('/');
    const s = await stat(abs);
    const lfs = s.size >= lfsThreshold || LFS_EXTENSIONS.test(path);
    const oid = lfs
      ? createHash('sha256').update(`${path}:${s.size}:${s.mtimeMs}`).digest('hex')
      : createHash('sha1').update(`blob ${s.size}\0`).update(await readFile(abs)).digest('hex');
    files.set(path, { path, abs, size: s.size, lfs, oid });
  }
  const commit = createHash('sha1').update(id + [...files.values()].map((f) => f.path + f.oid).join()).digest('hex');
  return { id, commit, files };
}

/** Parses one `bytes=a-b` / `bytes=a-` / `bytes=-n` range; null: serve whole; 'bad': 416. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'bad' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multi-range or malformed: ignored, as servers may
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePort((server.address() as AddressInfo).port));
  });
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const lfsThreshold = opts.lfsThreshold ?? 10 * 1024 * 1024;
  const repos = new Map<string, Repo>();
  for (const [id, dir] of Object.entries(opts.repos)) repos.set(id, await scanRepo(id, dir, lfsThreshold));
  /** CDN object key -> file (the Hub's CDN URLs name blobs by hash, not by path). */
  const blobs = new Map<string, RepoFile>();
  for (const r of repos.values()) for (const f of r.files.values()) if (f.lfs) blobs.set(f.oid, f);

  const requests: HubRequest[] = [];
  let cdnUrl = '';
  const state = { bytesServed: 0 };

  const send = (res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string) => {
    res.writeHead(status, { ...CORS, ...headers });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    send(res, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(body));
  const error = (res: ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });

  /** Serves a file's bytes, honouring Range; the response is the file's, with its ETag. */
  const serveFile = (req: IncomingMessage, res: ServerResponse, f: RepoFile, extra: Record<string, string | number>) => {
    const range = parseRange(req.headers.range, f.size);
    const base = { 'Accept-Ranges': 'bytes', ETag: `"${f.oid}"`, 'Content-Type': 'application/octet-stream', ...extra };
    if (range === 'bad') return send(res, 416, { ...base, 'Content-Range': `bytes */${f.size}` });
    const { start, end } = range ?? { start: 0, end: f.size - 1 };
    const length = f.size === 0 ? 0 : end - start + 1;
    const headers = range ? { ...base, 'Content-Range': `bytes ${start}-${end}/${f.size}`, 'Content-Length': length } : { ...base, 'Content-Length': length };
    res.writeHead(range ? 206 : 200, { ...CORS, ...headers });
    if (req.method === 'HEAD' || length === 0) return res.end();
    const stream = createReadStream(f.abs, { start, end });
    stream.on('data', (c) => (state.bytesServed += c.length));
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const preflight = (req: IncomingMessage, res: ServerResponse) =>
    send(res, 204, {
      'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Range, Authorization, Content-Type',
      'Access-Control-Max-Age': 86400,
    });

  const revisionOk = (repo: Repo, rev: string) => rev === 'main' || rev === repo.commit;

  const treeEntries = (repo: Repo, prefix: string, recursive: boolean) => {
    const out: unknown[] = [];
    const dirs = new Set<string>();
    for (const f of repo.files.values()) {
      if (prefix && !f.path.startsWith(`${prefix}/`)) continue;
      const rest = prefix ? f.path.slice(prefix.length + 1) : f.path;
      const slash = rest.indexOf('/');
      if (slash >= 0) {
        const d = (prefix ? `${prefix}/` : '') + rest.slice(0, slash);
        if (!dirs.has(d)) {
          dirs.add(d);
          out.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
        }
        if (!recursive) continue;
      }
      out.push({
        type: 'file',
        oid: f.lfs ? createHash('sha1').update(`pointer ${f.oid}`).digest('hex') : f.oid,
        size: f.size,
        path: f.path,
        ...(f.lfs ? { lfs: { oid: f.oid, size: f.size, pointerSize: 134 } } : {}),
      });
    }
    return out;
  };

  const hub = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    const path = decodeURIComponent(url.pathname);
    res.on('finish', () => requests.push({ origin: 'hub', method: req.method ?? '', path: url.pathname + url.search, range: req.headers.range ?? null, status: res.statusCode }));
    if (req.method === 'OPTIONS') return preflight(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, 'MethodNotAllowed', 'method not allowed');
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (m) {
      const repo = repos.get(m[1]!);
      if (!repo) return error(res, 401, 'RepoNotFound', 'Repository not found');
      if (!revisionOk(repo, m[2]!)) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      const prefix = (m[3] ?? '').replace(/\/+$/, '');
      return json(res, 200, treeEntries(repo, prefix, url.searchParams.get('recursive') === 'true'));
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(path);
    if (m) {
      const repo = repos.get(m[1]!);
      if (!repo) return error(res, 401, 'RepoNotFound', 'Repository not found');
      if (m[2] && !revisionOk(repo, m[2])) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      const blobsToo = url.searchParams.get('blobs') === 'true';
      const siblings = [...repo.files.values()].map((f) => ({
        rfilename: f.path,
        ...(blobsToo ? { blobId: f.oid, size: f.size, ...(f.lfs ? { lfs: { sha256: f.oid, size: f.size, pointerSize: 134 } } : {}) } : {}),
      }));
      return json(res, 200, { _id: repo.commit.slice(0, 24), id: repo.id, modelId: repo.id, sha: repo.commit, private: false, gated: false, disabled: false, tags: [], siblings });
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m) {
      const repo = repos.get(m[1]!);
      if (!repo) return error(res, 401, 'RepoNotFound', 'Repository not found');
      if (!revisionOk(repo, m[2]!)) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      const f = repo.files.get(m[3]!);
      if (!f) return error(res, 404, 'EntryNotFound', `${m[3]} does not exist on "${m[2]}"`);
      const common = { 'X-Repo-Commit': repo.commit };
      if (!f.lfs) return serveFile(req, res, f, common);
      const location = `${opts.cdnBase ?? cdnUrl}/repos/${f.oid.slice(0, 2)}/${f.oid.slice(2, 4)}/${f.oid}?response-content-disposition=${encodeURIComponent(`inline; filename="${f.path.split('/').pop()}"`)}`;
      return send(res, 302, {
        ...common,
        Location: location,
        ETag: `"${f.oid}"`,
        'X-Linked-Size': f.size,
        'X-Linked-ETag': `"${f.oid}"`,
        'Content-Length': 0,
      });
    }
    return error(res, 404, 'NotFound', 'not found');
  });

  const cdn = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://cdn');
    res.on('finish', () => requests.push({ origin: 'cdn', method: req.method ?? '', path: url.pathname, range: req.headers.range ?? null, status: res.statusCode }));
    if (req.method === 'OPTIONS') return preflight(req, res);
    const m = /^\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(url.pathname);
    const f = m ? blobs.get(m[1]!) : undefined;
    if (!f || (req.method !== 'GET' && req.method !== 'HEAD')) return send(res, 403, { 'Content-Type': 'application/xml' }, '<Error><Code>AccessDenied</Code></Error>');
    return serveFile(req, res, f, { 'Cache-Control': 'public, max-age=604800, immutable' });
  });

  const hubPort = await listen(hub, opts.port ?? 0);
  const cdnPort = await listen(cdn, opts.cdnPort ?? 0);
  cdnUrl = `http://127.0.0.1:${cdnPort}`;
  const close = (s: Server) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
  return {
    url: `http://127.0.0.1:${hubPort}`,
    cdnUrl,
    requests,
    get bytesServed() {
      return state.bytesServed;
    },
    set bytesServed(v: number) {
      state.bytesServed = v;
    },
    close: async () => {
      await Promise.all([close(hub), close(cdn)]);
    },
  };
}

if (process.argv[1]?.endsWith('hub-server.ts')) {
  // npx tsx tools/hub-server.ts <repo-id>=<folder> ... [--port 4190]
  const argv = process.argv.slice(2);
  const pi = argv.indexOf('--port');
  const port = pi >= 0 ? Number(argv.splice(pi, 2)[1]) : 0;
  const repos = Object.fromEntries(argv.map((a) => a.split('=') as [string, string]));
  const hub = await startHubServer({ repos, port });
  console.log(`Hub at ${hub.url} (CDN ${hub.cdnUrl}): ${Object.keys(repos).join(', ')}`);
}
