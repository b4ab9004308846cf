import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { modelStore, probed } from '../state/model-store.ts';
import { settingsStore } from '../state/settings-store.ts';
import { requestMemoryCheck } from './memory-check.ts';

// The model's files sized by HEAD requests to this app's own server (no Cache Storage here).
const SIZES: Record<string, number> = { 'config.json': 700, 'generation_config.json': 100, 'tokenizer.json': 7_000_000, 'tokenizer_config.json': 3000, 'onnx/model_q4.onnx': 2_000_000, 'onnx/model_quantized.onnx': 3_000_000 };

describe('the memory check before a load', () => {
  const asked: string[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
    asked.length = 0;
    vi.stubGlobal('location', { origin: 'http://app.test', href: 'http://app.test/' });
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      const file = url.replace('http://app.test/models/m/', '');
      asked.push(`${init?.method ?? 'GET'} ${file}`);
      if (init?.method !== 'HEAD') return new Response(JSON.stringify({ model_type: 'qwen2' }), { status: 200 });
      return new Response(null, { status: SIZES[file] === undefined ? 404 : 200, headers: { 'content-length': String(SIZES[file] ?? 0) } });
    });
    settingsStore.setState({ device: 'webgpu', dtype: 'q4' });
    probed({ webgpu: true, shaderF16: false, adapter: 'test' });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('sizes the files once when the same choice is asked for again within the delay (a re-render, the probe landing)', async () => {
    requestMemoryCheck('/models/m');
    await vi.advanceTimersByTimeAsync(100);
    requestMemoryCheck('/models/m'); // same model, device and weights
    await vi.advanceTimersByTimeAsync(400);
    await vi.waitFor(() => expect(modelStore.getState().memory?.need).not.toBeNull());
    const need = modelStore.getState().memory!.need!;
    expect(need.filesBytes).toBe(Object.values(SIZES).reduce((a, b) => a + b, 0) - SIZES['onnx/model_quantized.onnx']!);
    expect(asked.filter((a) => a === 'HEAD onnx/model_q4.onnx')).toHaveLength(1);
  });

  it('a different choice within the delay replaces the pending check', async () => {
    requestMemoryCheck('/models/m');
    await vi.advanceTimersByTimeAsync(100);
    settingsStore.setState({ device: 'wasm', dtype: 'q8' });
    requestMemoryCheck('/models/m');
    await vi.advanceTimersByTimeAsync(400);
    await vi.waitFor(() => expect(modelStore.getState().memory?.need).not.toBeNull());
    expect(modelStore.getState().memory!.key).toBe('/models/m|wasm|q8');
    expect(asked.some((a) => a.endsWith('model_q4.onnx'))).toBe(false);
  });
});
