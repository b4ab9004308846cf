import { describe, expect, it } from 'vitest';
import { parseModelSource } from '../core/model-source.ts';
import { filesFor, foreignHost, remoteModelSize } from './model-size.ts';

const src = (s: string) => {
  const r = parseModelSource(s);
  if ('error' in r || r.kind === 'local') throw new Error('bad test input');
  return r;
};

describe('foreign model links', () => {
  it('ask about other hosts and non-preset Hub repos, never about presets or this app', () => {
    expect(foreignHost('https://evil.example:8443/m/e1')).toBe('evil.example:8443');
    expect(foreignHost('someone/huge-model')).toBe('huggingface.co');
    expect(foreignHost('onnx-community/DeepScaleR-1.5B-Preview-ONNX')).toBeNull();
    expect(foreignHost('/models/scripted-think48')).toBeNull();
    expect(foreignHost('not a model')).toBeNull();
    expect(foreignHost('http://localhost:4173/models/x', 'http://localhost:4173')).toBeNull();
    expect(foreignHost('http://localhost:4173/models/x', 'http://localhost:5173')).toBe('localhost:4173');
  });

  it('sizes a plain folder by HEAD requests, skipping files it does not have', async () => {
    const asked: string[] = [];
    const size = await remoteModelSize(src('https://m.example/a/b'), 'q4', async (url, init) => {
      asked.push(`${init?.method} ${url}`);
      const ok = !url.endsWith('_data');
      return { ok, status: ok ? 200 : 404, headers: new Headers({ 'content-length': ok ? '1000' : '0' }), json: async () => null };
    });
    expect(size).toEqual({ bytes: 5000, files: 5 });
    expect(asked).toContain('HEAD https://m.example/a/b/onnx/model_q4.onnx');
    expect(filesFor('fp32')).toContain('onnx/model.onnx');
  });

  it('sizes a Hub repo from its file list (LFS sizes), only the files of the chosen dtype', async () => {
    const tree = [
      { path: 'config.json', size: 700 },
      { path: 'onnx/model_q4f16.onnx', size: 130, lfs: { size: 1_000_000 } },
      { path: 'onnx/model_q4.onnx', size: 130, lfs: { size: 2_000_000 } },
    ];
    const fetchFn = async (url: string) => ({ ok: true, status: 200, headers: new Headers(), json: async () => (url.includes('/api/models/o/m/tree/') ? tree : null) });
    expect(await remoteModelSize(src('o/m'), 'q4f16', fetchFn)).toEqual({ bytes: 1_000_700, files: 2 });
    await expect(remoteModelSize(src('o/m'), 'fp16', fetchFn)).rejects.toThrow(/no fp16 ONNX weights/);
    const down = async () => ({ ok: false, status: 503, headers: new Headers(), json: async () => null });
    await expect(remoteModelSize(src('o/m'), 'q4', down)).rejects.toThrow(/503/);
  });
});
