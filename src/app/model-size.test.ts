import { describe, expect, it } from 'vitest';
import { parseModelSource } from '../core/model-source.ts';
import { announcedChunks } from '../core/model-files.ts';
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

  it('sizes a plain folder by HEAD requests only (a foreign host before the yes), skipping files it does not have', async () => {
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

  it('counts every external data file config.json announces, and q8 as model_quantized (what transformers.js fetches)', async () => {
    const config = { 'transformers.js_config': { use_external_data_format: { 'model_q4.onnx': 2, 'model_quantized.onnx': 3 } } };
    expect(announcedChunks(config, 'q4')).toBe(2);
    expect(announcedChunks(config, 'q8')).toBe(3);
    expect(announcedChunks(null, 'q4')).toBeNull();
    expect(filesFor('q8', 2)).toEqual(expect.arrayContaining(['onnx/model_quantized.onnx', 'onnx/model_quantized.onnx_data', 'onnx/model_quantized.onnx_data_1']));
    const head = async (url: string) => ({
      ok: true,
      status: 200,
      headers: new Headers({ 'content-length': url.includes('.onnx_data') ? '1000000' : '10' }),
      json: async () => (url.endsWith('/config.json') ? config : null),
    });
    const size = await remoteModelSize(src('https://m.example/a'), 'q4', head, undefined, true);
    expect(size).toEqual({ bytes: 2_000_050, files: 7 });
    // Without reading config.json (a foreign host), only the first data file is looked for.
    expect(await remoteModelSize(src('https://m.example/a'), 'q4', head)).toEqual({ bytes: 1_000_050, files: 6 });
    const tree = [
      { path: 'onnx/model_q4.onnx', size: 200 },
      { path: 'onnx/model_q4.onnx_data', size: 130, lfs: { size: 1_000_000 } },
      { path: 'onnx/model_q4.onnx_data_1', size: 130, lfs: { size: 500_000 } },
      { path: 'onnx/model_q4f16.onnx_data', size: 130, lfs: { size: 9_000_000 } },
    ];
    const hub = async () => ({ ok: true, status: 200, headers: new Headers(), json: async () => tree });
    expect(await remoteModelSize(src('o/m'), 'q4', hub)).toEqual({ bytes: 1_500_200, files: 3 });
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
