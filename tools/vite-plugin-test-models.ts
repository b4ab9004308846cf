// Vite plugin: serves the generated test models (`npm run gen:models` -> test-models/) at /models/
// in `vite` (dev) and `vite preview`, so the browser loads them same-origin with the model id
// '/models/<name>' (a full-URL id does not work with transformers.js).
//
// - Never part of the build: the plugin has no build hooks, so nothing from test-models/ is
//   bundled or copied into dist/ (do not put them in public/ either).
// - Inert while the folder does not exist (checked per request, so generating the models after
//   the server started works); then /models/ is left to the rest of the server.
// - While it exists, the plugin owns every /models/ URL: a missing file is a real 404, never Vite's
//   SPA fallback (index.html with 200), which transformers.js would try to parse as JSON.
// - GET and HEAD, with Content-Length and Content-Type; anything that resolves outside the folder
//   (`..`, encoded `%2e%2e`/`%2f`/`%5c`, NUL, absolute paths) is refused with 403.
import { createReadStream, statSync, type Stats } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Connect, Plugin } from 'vite';

export interface TestModelsOptions {
  /** Folder to serve. Default: `<vite root>/test-models` (what `npm run gen:models` writes). */
  dir?: string;
  /** URL prefix, with leading and trailing slash. Default: '/models/'. */
  base?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.model': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
  '.onnx_data': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a request path below `base` to a file inside `dir`, or returns null when the path is
 * malformed or would leave `dir`. Exported for unit tests.
 */
export function resolveModelPath(dir: string, base: string, pathname: string): string | null {
  if (!pathname.startsWith(base)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(pathname.slice(base.length));
  } catch {
    return null; // malformed %-escape
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const segments = rel.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  if (isAbsolute(rel)) return null;
  const root = resolve(dir);
  const file = resolve(root, rel);
  const inside = relative(root, file);
  if (inside === '') return root; // the folder itself: not a file, so a 404
  if (inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('..')) return null;
  return file;
}

function send(res: Parameters<Connect.NextHandleFunction>[1], status: number, body: string, head = false): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.setHeader('Cache-Control', 'no-store');
  res.end(head ? undefined : body);
}

export function testModels(options: TestModelsOptions = {}): Plugin {
  const base = options.base ?? '/models/';
  if (!base.startsWith('/') || !base.endsWith('/')) throw new Error(`testModels: base must start and end with '/', got ${base}`);
  let dir = options.dir ? resolve(options.dir) : '';

  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const rawUrl = req.url ?? '/';
    // Compare the raw path (before any normalisation) so '/models/../x' is seen and refused.
    const rawPath = rawUrl.split('?')[0]!.split('#')[0]!;
    if (!rawPath.startsWith(base)) return next();
    let folder: Stats | undefined;
    try {
      folder = statSync(dir);
    } catch {
      folder = undefined;
    }
    if (!folder?.isDirectory()) return next(); // not generated: plugin is inert

    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed', head);
    }
    const file = resolveModelPath(dir, base, rawPath);
    if (file === null) return send(res, 403, 'forbidden', head);

    let st: Stats | undefined;
    try {
      st = statSync(file);
    } catch {
      st = undefined;
    }
    if (!st?.isFile()) return send(res, 404, `not found: ${rawPath} (test models: ${dir})`, head);

    res.statusCode = 200;
    res.setHeader('Content-Type', contentTypeFor(file));
    res.setHeader('Content-Length', String(st.size));
    res.setHeader('Last-Modified', st.mtime.toUTCString());
    // Regenerated models must never be served stale.
    res.setHeader('Cache-Control', 'no-cache');
    if (head) return res.end();
    const stream = createReadStream(file);
    stream.on('error', (err) => {
      if (!res.headersSent) send(res, 500, String(err));
      else res.destroy(err);
    });
    stream.pipe(res);
  };

  return {
    name: 'test-models',
    configResolved(config) {
      if (!dir) dir = resolve(config.root, 'test-models');
    },
    // Registered before Vite's own middlewares (no post hook), so the SPA fallback never sees /models/.
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

export default testModels;
