// The batched-sweep bench in Chromium: the app's engine on onnxruntime-web (WASM or WebGPU), the
// runtime set up as the app's worker sets it up (self-hosted ORT files), a model served by the
// bench at /models/<name>/. tools/bench/sweep-browser.ts drives it through window.__sweep.
import { env } from '@huggingface/transformers';
import { configureRuntime } from '../../../src/worker/runtime.ts';
import { ElasticEngine } from '../../../src/worker/engine.ts';
import type { Device, Dtype } from '../../../src/worker/protocol.ts';
import { measureSweep, type SweepBenchOptions } from '../../sweep-measure.ts';

declare global {
  interface Window {
    __sweep(model: string, device: Device, dtype: Dtype, opts: SweepBenchOptions): Promise<unknown>;
    __log: string[];
  }
}

window.__log = [];
window.__sweep = async (model, device, dtype, opts) => {
  configureRuntime();
  env.useBrowserCache = false;
  // As the app loads same-origin models (src/worker/runtime.ts): a "remote" host that is this origin.
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = `${location.origin}/models/`;
  env.remotePathTemplate = '{model}/';
  const engine = await ElasticEngine.load(model, { device, dtype, batching: 'always' });
  try {
    return await measureSweep(engine, model, { ...opts, log: (l) => window.__log.push(l) });
  } finally {
    await engine.dispose();
  }
};
