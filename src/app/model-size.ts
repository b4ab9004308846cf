// Untrusted model links: a model from a host other than the presets' (or this app's own) is never
// downloaded by itself or on a single click. First the user sees where it comes from and how much
// it weighs — from the Hub API's file list, or HEAD requests on a plain folder.
import { parseModelSource, type ModelSource } from '../core/model-source.ts';
import type { Dtype } from '../worker/protocol.ts';
import { MODEL_PRESETS } from './presets.ts';
import { announcedChunks, filesFor } from '../core/model-files.ts';

export { filesFor };

export interface RemoteSize {
  readonly bytes: number;
  readonly files: number;
}

/** The host to name before downloading `input`, or null when it needs no question (a preset, this app). */
export function foreignHost(input: string, ownOrigin?: string): string | null {
  const src = parseModelSource(input);
  if ('error' in src || src.kind === 'local') return null;
  if (src.kind === 'url') return ownOrigin && src.host === `${ownOrigin.toLowerCase()}/` ? null : src.host.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const id = src.id.toLowerCase();
  return MODEL_PRESETS.some((p) => p.modelId.toLowerCase() === id) ? null : 'huggingface.co';
}

type FetchLike = (url: string, init?: { method?: string; signal?: AbortSignal }) => Promise<Pick<Response, 'ok' | 'status' | 'headers' | 'json'>>;

/** Total download size of `src` in `dtype`; throws with a message the user can read. */
/**
 * `readConfig`: read config.json to count the external data chunks it announces (a GET: only for
 * this app's own server or the cache; a foreign host gets HEAD requests only, before the user's
 * yes, and the first data file is looked for).
 */
export async function remoteModelSize(
  src: Exclude<ModelSource, { kind: 'local' }>,
  dtype: Dtype,
  fetchFn: FetchLike,
  signal?: AbortSignal,
  readConfig = false,
): Promise<RemoteSize> {
  if (src.kind === 'hub') {
    const wanted = new Set(filesFor(dtype, 100));
    const res = await fetchFn(`https://huggingface.co/api/models/${src.id}/tree/main?recursive=1`, { signal });
    if (!res.ok) throw new Error(`the Hub answered ${res.status}`);
    const list = (await res.json()) as unknown;
    if (!Array.isArray(list)) throw new Error('the Hub sent an unexpected file list');
    let bytes = 0;
    let files = 0;
    for (const f of list as { path?: unknown; size?: unknown; lfs?: { size?: unknown } }[]) {
      if (typeof f.path !== 'string' || !wanted.has(f.path)) continue;
      const size = typeof f.lfs?.size === 'number' ? f.lfs.size : typeof f.size === 'number' ? f.size : 0;
      bytes += size;
      files++;
    }
    if (!list.some((f: { path?: unknown }) => typeof f.path === 'string' && f.path.startsWith('onnx/') && wanted.has(f.path))) {
      throw new Error(`no ${dtype} ONNX weights in this repository`);
    }
    return { bytes, files };
  }
  const base = `${src.host}${src.path}/`;
  const config = readConfig
    ? await fetchFn(`${base}config.json`, { signal })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null)
    : undefined;
  const sizes = await Promise.all(
    // Only what transformers.js will fetch: external data only as config.json announces it.
    filesFor(dtype, config === undefined ? 1 : (announcedChunks(config, dtype) ?? 0)).map(async (f) => {
      const res = await fetchFn(base + f, { method: 'HEAD', signal });
      if (!res.ok) return null;
      const n = Number(res.headers.get('content-length'));
      return Number.isFinite(n) && n >= 0 ? n : null;
    }),
  );
  const found = sizes.filter((n): n is number => n !== null);
  if (found.length === 0) throw new Error('the folder answered no file sizes');
  if (sizes[4] === null) throw new Error(`no ${dtype} ONNX weights in this folder`); // filesFor: the graph is 5th
  return { bytes: found.reduce((a, n) => a + n, 0), files: found.length };
}
