import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { testModels } from './tools/vite-plugin-test-models.ts';

export default defineConfig({
  plugins: [
    react(),
    // Serves test-models/ (npm run gen:models) at /models/ in dev and preview; never in the build.
    testModels(),
  ],
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
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
