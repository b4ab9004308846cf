import { describe, expect, it } from 'vitest';
import { memoryNeed, PEAK_OVER_FILES, PEAK_OVER_FILES_IN_MEMORY } from './memory-need.ts';

const GB = 2 ** 30;

describe('what a load needs', () => {
  it('peak memory is the measured multiple of the files, per device', () => {
    const n = memoryNeed({ bytes: 1.2 * GB, files: 7 }, 'wasm', { deviceMemoryGB: 8, storageFreeBytes: 100 * GB });
    expect(n.peakBytes).toBe(Math.ceil(1.2 * GB * PEAK_OVER_FILES.wasm));
    expect(n).toMatchObject({ filesBytes: 1.2 * GB, files: 7, factor: PEAK_OVER_FILES.wasm, deviceMemoryBytes: 8 * GB, memoryShort: false, storageShort: false });
    expect(memoryNeed({ bytes: GB, files: 1 }, 'webgpu', { deviceMemoryGB: null, storageFreeBytes: null }).factor).toBe(PEAK_OVER_FILES.webgpu);
  });

  it('warns when the device reports less memory than the peak, or the site less storage than the files', () => {
    const files = { bytes: 1.8 * GB, files: 8 };
    const peak = 1.8 * GB * PEAK_OVER_FILES.wasm;
    expect(memoryNeed(files, 'wasm', { deviceMemoryGB: 4, storageFreeBytes: null }).memoryShort).toBe(4 * GB < peak);
    expect(memoryNeed(files, 'wasm', { deviceMemoryGB: 2, storageFreeBytes: null }).memoryShort).toBe(true);
    expect(memoryNeed(files, 'wasm', { deviceMemoryGB: 64, storageFreeBytes: null }).memoryShort).toBe(false);
    expect(memoryNeed(files, 'wasm', { deviceMemoryGB: null, storageFreeBytes: GB }).storageShort).toBe(true);
    expect(memoryNeed(files, 'wasm', { deviceMemoryGB: null, storageFreeBytes: 2 * GB })).toMatchObject({ memoryShort: false, storageShort: false });
  });

  it('files the site cannot keep load through memory: the larger multiple, and a warning it brings', () => {
    const files = { bytes: 1.8 * GB, files: 8 };
    const short = memoryNeed(files, 'wasm', { deviceMemoryGB: 4, storageFreeBytes: GB });
    expect(short).toMatchObject({ storageShort: true, factor: PEAK_OVER_FILES_IN_MEMORY.wasm, peakBytes: Math.ceil(1.8 * GB * PEAK_OVER_FILES_IN_MEMORY.wasm) });
    expect(PEAK_OVER_FILES_IN_MEMORY.wasm).toBeGreaterThan(PEAK_OVER_FILES.wasm);
    // 4 GB holds the streamed load (2.7 GB) but not the one through memory (5.4 GB).
    expect(short.memoryShort).toBe(true);
    expect(memoryNeed(files, 'wasm', { deviceMemoryGB: 4, storageFreeBytes: 10 * GB }).memoryShort).toBe(false);
    expect(memoryNeed(files, 'webgpu', { deviceMemoryGB: null, storageFreeBytes: GB }).factor).toBe(PEAK_OVER_FILES_IN_MEMORY.webgpu);
  });
});
