// The onnxruntime-web build transformers.js runs on in the browser (vite.config.ts aliases its
// `onnxruntime-web/webgpu` import here). Both builds carry the WebGPU and WASM execution providers;
// they differ in how WASM waits for async work:
//   jspi      JavaScript Promise Integration (Chromium 137+). It mounts external data given as a
//             Blob without reading it into memory (each tensor is read from its slice while the
//             session copies it: issue 14, src/worker/external-data.ts).
//   asyncify  everywhere else (Firefox, Safari): the same, but a Blob is read whole first.
// Only the chosen build is downloaded (each is a separate chunk; runtime.ts points ORT at the
// matching .wasm/.mjs pair).
const jspi = typeof WebAssembly === 'object' && 'Suspending' in WebAssembly && 'promising' in WebAssembly;

const ort: typeof import('onnxruntime-web') = jspi ? await import('onnxruntime-web/jspi') : await import('ort-webgpu-asyncify');

export const ORT_BUILD: 'jspi' | 'asyncify' = jspi ? 'jspi' : 'asyncify';
export const { InferenceSession, Tensor, env, registerBackend, TRACE, TRACE_FUNC_BEGIN, TRACE_FUNC_END } = ort;
