// Device and dtype for a load, from the user's choice and the GPU probe. Pure.
import type { Device, Dtype, GpuProbe } from '../worker/protocol.ts';

export function chooseRuntime(
  device: Device | 'auto',
  dtype: Dtype | 'auto',
  probe: GpuProbe | null,
): { device: Device; dtype: Dtype; warning: string | null } | { error: string } {
  if (device === 'auto' && !probe) return { error: 'Still checking for WebGPU…' };
  const useGpu = device === 'webgpu' || (device === 'auto' && !!probe?.webgpu);
  if (device === 'auto' && !useGpu) {
    return {
      error: `WebGPU is not available (${probe?.adapter ?? 'unknown'}). You can run on the CPU instead: choose "WASM (CPU)" as the device — expect it to be many times slower.`,
    };
  }
  if (useGpu) {
    if (probe && !probe.webgpu) return { error: `WebGPU is not available: ${probe.adapter}` };
    const f16 = !!probe?.shaderF16;
    if (dtype === 'q4f16' || dtype === 'fp16') {
      if (!f16) return { error: `This GPU has no shader-f16 support, so ${dtype} cannot run here. Choose q4 or fp32.` };
      return { device: 'webgpu', dtype, warning: null };
    }
    return { device: 'webgpu', dtype: dtype === 'auto' ? (f16 ? 'q4f16' : 'q4') : dtype, warning: null };
  }
  // q8 (int8 MatMulInteger), not q4: ORT's WASM backend runs MatMulNBits ~100x slower than
  // int8 MatMulInteger (tools/wasm-probe.ts); fp32 is as fast but too large for wasm32 memory.
  return {
    device: 'wasm',
    dtype: dtype === 'auto' ? 'q8' : dtype,
    warning: 'Running on the CPU (WASM): a 1.5B model decodes a few tokens per second at best.',
  };
}
