import { describe, expect, it } from 'vitest';
import { externalDataBlobs } from './external-data.ts';

const BASE = 'http://localhost/models/m/';
const config = (n: number) => ({ 'transformers.js_config': { use_external_data_format: { 'model_quantized.onnx': n } } });

/** A Cache Storage holding `files` (name under BASE -> size); records the keys asked for. */
function cacheOf(files: Record<string, number>) {
  const asked: string[] = [];
  const cache = {
    async match(key: string) {
      asked.push(key);
      const name = key.slice(BASE.length);
      return name in files ? new Response(new Blob([new Uint8Array(files[name]!)])) : undefined;
    },
  };
  return { cache: cache as unknown as Cache, asked };
}

describe('externalDataBlobs', () => {
  it("hands over every announced chunk as its cached Blob, under the name the graph's initializers use", async () => {
    const { cache, asked } = cacheOf({ 'onnx/model_quantized.onnx_data': 10, 'onnx/model_quantized.onnx_data_1': 3 });
    const out = await externalDataBlobs(cache, BASE, config(2), 'q8');
    expect(out?.map((e) => [e.path, e.data instanceof Blob, e.data.size])).toEqual([
      ['model_quantized.onnx_data', true, 10],
      ['model_quantized.onnx_data_1', true, 3],
    ]);
    expect(asked).toEqual([`${BASE}onnx/model_quantized.onnx_data`, `${BASE}onnx/model_quantized.onnx_data_1`]);
  });

  it('gives null (transformers.js loads as before) when a chunk is not cached yet, or none is announced', async () => {
    expect(await externalDataBlobs(cacheOf({ 'onnx/model_quantized.onnx_data': 10 }).cache, BASE, config(2), 'q8')).toBeNull();
    expect(await externalDataBlobs(cacheOf({}).cache, BASE, {}, 'q8')).toBeNull();
    expect(await externalDataBlobs(cacheOf({ 'onnx/model_quantized.onnx_data': 10 }).cache, BASE, config(0), 'q8')).toBeNull();
  });
});
