// Untrusted model links: a model from a host other than the presets' (or this app's own) is never
// downloaded by itself or on a single click. First the user sees where it comes from and how much
// it weighs — from the Hub API's file list, or HEAD requests on a plain folder.
import { parseModelSource, type ModelSource } from '../core/model-source.ts';
import type { Dtype } from '../worker/protocol.ts';
import { MODEL_PRESETS } from './presets.ts';

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

/** The files transformers.js fetches for a causal LM in `dtype` (the data file only if it exists). */
export function filesFor(dtype: Dtype): string[] {
  const suffix = dtype === 'fp32' ? '' : `_${dtype}`;
  return ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', `onnx/model${suffix}.onnx`, `onnx/model${suffix}.onnx_data`];
}

type FetchLike = (url: string, init?: { method?: string; signal?: AbortSignal }) => Promise<Pick<Response, 'ok' | 'status' | 'headers' | 'json'>>;

/** Total download size of `src` in `dtype`; throws with a message the user can read. */
export async function remoteModelSize(src: Exclude<ModelSource, { kind: 'local' }>, dtype: Dtype, fetchFn: FetchLike, signal?: AbortSignal): Promise<RemoteSize> {
  const wanted = new Set(filesFor(dtype));
  if (src.kind === 'hub') {
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
  const sizes = await Promise.all(
    [...wanted].map(async (f) => {
      const res = await fetchFn(base + f, { method: 'HEAD', signal });
      if (!res.ok) return null;
      const n = Number(res.headers.get('content-length'));
      return Number.isFinite(n) && n >= 0 ? n : null;
    }),
  );
  const found = sizes.filter((n): n is number => n !== null);
  if (found.length === 0) throw new Error('the folder answered no file sizes');
  return { bytes: found.reduce((a, n) => a + n, 0), files: found.length };
}
