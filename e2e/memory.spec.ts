// Issue 14: before a load the app states what the model needs — its files and the memory loading
// takes at peak (a measured multiple of the files) — and warns when the device reports less
// memory, or the site less storage. The scripted test models are tiny (~2.9 MB), so the device's
// report is overridden by an init script (navigator.deviceMemory, navigator.storage.estimate).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PEAK_OVER_FILES, PEAK_OVER_FILES_IN_MEMORY } from '../src/core/memory-need.ts';
import { formatBytes } from '../src/ui/format.ts';
import { expect, test } from './fixtures.ts';

const MODEL = join(import.meta.dirname, '..', 'test-models', 'scripted-think48');
/** What transformers.js fetches for q4 (this model has no external data). */
const filesBytes = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx'].reduce(
  (a, f) => a + statSync(join(MODEL, f)).size,
  0,
);
const peak = Math.ceil(filesBytes * PEAK_OVER_FILES.webgpu);

test('the memory notice states files and peak memory before loading, and goes when the load starts', async ({ page }) => {
  await page.goto('/?model=/models/scripted-think48&device=webgpu&dtype=q4');
  const notice = page.getByTestId('memory-notice');
  await expect(notice).toBeVisible();
  await expect(page.getByTestId('memory-files')).toHaveText(formatBytes(filesBytes));
  await expect(page.getByTestId('memory-peak')).toHaveText(formatBytes(peak));
  await expect(notice).toContainText(`${PEAK_OVER_FILES.webgpu}× the files, as measured on WebGPU`);
  await expect(page.getByTestId('memory-warning')).toHaveCount(0); // headless Chromium reports gigabytes
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
  await expect(notice).toHaveCount(0);
});

test('a device that reports less memory than the peak, or a site with less storage than the files, gets a warning first', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 0.005 }); // 5.4 MB
    const est = { quota: 1_000_000, usage: 0 };
    Object.defineProperty(StorageManager.prototype, 'estimate', { value: () => Promise.resolve(est) });
  });
  await page.goto('/?model=/models/scripted-think48&device=webgpu&dtype=q4');
  // Storage too small to keep the files: they load through memory, the larger measured multiple.
  await expect(page.getByTestId('memory-peak')).toHaveText(formatBytes(Math.ceil(filesBytes * PEAK_OVER_FILES_IN_MEMORY.webgpu)));
  await expect(page.getByTestId('memory-notice')).toContainText(`${PEAK_OVER_FILES_IN_MEMORY.webgpu}× the files, as measured on WebGPU when the files cannot all be kept`);
  await expect(page.getByTestId('memory-warning')).toContainText(`This device reports less memory (${formatBytes(0.005 * 2 ** 30)})`);
  await expect(page.getByTestId('storage-warning')).toContainText(`offers this site ${formatBytes(1_000_000)} of storage`);
  // Switching to weights this folder does not have: nothing to size, no figures shown.
  await page.getByLabel('Weights').selectOption('fp16');
  await expect(page.getByTestId('memory-notice')).toHaveCount(0);
});
