import { readdirSync, readFileSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

// Unit test files that replace modules or globals (vi.mock, vi.stubGlobal, vi.resetModules, …) need a
// module registry of their own, so they run isolated. Found by reading the files, so a new one cannot
// be forgotten here.
const SRC = new URL('./src/', import.meta.url);
const MOCKING = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .map((f) => f.replaceAll('\\', '/'))
  .filter((f) => f.endsWith('.test.ts') && /\bvi\.(mock|doMock|unmock|resetModules|stubGlobal|stubEnv)\b/.test(readFileSync(new URL(f, SRC), 'utf8')))
  .map((f) => `src/${f}`)
  .sort();

// Projects (all run by `vitest run`; `npm run test:unit` runs the two unit ones):
// - unit: src/**, pure logic, stores, UI helpers. No model files and no onnxruntime sessions, so no
//   global setup; files share one module registry per worker (`isolate: false`: the compute engine,
//   KaTeX and the stores load once, not once per file) — each file must leave no state behind.
// - unit-mocking: the few unit files that mock modules or globals, isolated.
// - integration: test/**, the engine, converter and worker host on onnxruntime-node against the
//   scripted models the global setup writes once per run.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...MOCKING],
          environment: 'node',
          isolate: false,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'unit-mocking',
          include: MOCKING,
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
    // onnxruntime-node sessions are heavy; two cores in CI.
    maxWorkers: 2,
  },
});
