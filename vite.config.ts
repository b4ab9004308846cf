import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { productionHeaders } from './tools/headers.ts';
import { testModels } from './tools/vite-plugin-test-models.ts';

// Cross-origin isolation (crossOriginIsolated === true) gives the worker SharedArrayBuffer, so ONNX
// Runtime's WASM backend can run multi-threaded (ORT's default: min(4, ceil(cores / 2)) threads; it
// spawns its pthread workers from a blob: URL, which inherits the isolation). Verified in dev and
// preview with the real worker, WebGPU and WASM, with and without these headers.
// require-corp only affects no-cors subresources from other origins (every asset here is
// same-origin; Hub downloads are CORS fetches). Dev/preview only: a static host must send the same
// two headers for the deployed app to be isolated (without them it still works, single-threaded).
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [
    react(),
    // Serves test-models/ (npm run gen:models) at /models/ in dev and preview; never in the build.
    testModels(),
  ],
  // transformers.js imports `onnxruntime-web/webgpu` (the asyncify build); the worker picks the JSPI
  // build where the browser has JSPI (src/worker/ort-bundle.ts, issue 14) and that bundle otherwise.
  resolve: {
    alias: [
      { find: /^onnxruntime-web\/webgpu$/, replacement: fileURLToPath(new URL('./src/worker/ort-bundle.ts', import.meta.url)) },
      { find: /^ort-webgpu-asyncify$/, replacement: fileURLToPath(new URL('./node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs', import.meta.url)) },
    ],
  },
  // The worker is created with `new Worker(new URL(..., import.meta.url), { type: 'module' })`.
  worker: { format: 'es' },
  // Not strictly required with Vite 8 (the spike's dev server also ran with transformers.js
  // pre-bundled), but excluding them makes dev load the same onnxruntime-web files as the build,
  // and the `onnxruntime-web/*.wasm?url` / `*.mjs?url` imports resolve to the real package files.
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
  build: {
    target: 'es2022',
    // ORT's 27 MB .wasm and its .mjs factory (imported with ?url in the worker) must be emitted as
    // files: a data: URL would break ORT's loader (and bloat the worker). Other assets: the default.
    assetsInlineLimit: (file) => (/\.(wasm|mjs)$/.test(file) ? false : undefined),
  },
  server: { port: 5173, strictPort: true, headers: ISOLATION_HEADERS },
  // Preview serves the production headers (public/_headers: CSP, COOP/COEP, …) so e2e runs under
  // the real policy. Dev keeps isolation only: Vite's dev client needs inline scripts.
  preview: { port: 4173, strictPort: true, headers: productionHeaders() },
});
