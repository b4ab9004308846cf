import { describe, expect, it } from 'vitest';
import { chooseRuntime } from './choices.ts';

const gpu = (shaderF16: boolean) => ({ webgpu: true, shaderF16, adapter: 'test' });
const none = { webgpu: false, shaderF16: false, adapter: 'This browser does not expose WebGPU.' };

describe('chooseRuntime', () => {
  it('picks q4f16 with shader-f16 and q4 without', () => {
    expect(chooseRuntime('auto', 'auto', gpu(true))).toMatchObject({ device: 'webgpu', dtype: 'q4f16' });
    expect(chooseRuntime('auto', 'auto', gpu(false))).toMatchObject({ device: 'webgpu', dtype: 'q4' });
  });
  it('refuses fp16 weights on a GPU without shader-f16, before anything downloads', () => {
    expect(chooseRuntime('webgpu', 'q4f16', gpu(false))).toHaveProperty('error', expect.stringMatching(/shader-f16/));
  });
  it('without WebGPU explains and offers WASM as an explicit choice', () => {
    expect(chooseRuntime('auto', 'auto', none)).toHaveProperty('error', expect.stringMatching(/WASM/));
    expect(chooseRuntime('webgpu', 'auto', none)).toHaveProperty('error', expect.stringMatching(/not available/));
    const wasm = chooseRuntime('wasm', 'auto', none);
    expect(wasm).toMatchObject({ device: 'wasm', dtype: 'q8', warning: expect.stringMatching(/slower|CPU/) });
    expect(chooseRuntime('wasm', 'q4', none)).toMatchObject({ device: 'wasm', dtype: 'q4' });
  });
});
