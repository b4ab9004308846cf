// The in-browser converter end to end (production build, WebGPU on SwiftShader, offline):
// the app's server plays the Hugging Face Hub with test-models/tiny-qwen2-src (a tiny random
// Qwen2ForCausalLM checkpoint, BF16, two shards, with the R1-Distill tokenizer's special ids).
// Greedy tokens in the browser must equal the same engine's in Node (onnxruntime-node, CPU) on the
// folder converted in Node (test-models/tiny-qwen2).
import type { Page } from '@playwright/test';
import { env } from '@huggingface/transformers';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ElasticEngine } from '../src/worker/engine.ts';
import { expect, test } from './fixtures.ts';

const PROBLEM = 'What is $6 \\times 7$?';
const SOURCE = '/models/tiny-qwen2-src';
const CONVERTED = '/converted/url/tiny-qwen2-src';

// WebGPU on SwiftShader runs this graph slowly (measured ~1.7 s per model call with fp32, ~5 s
// with q4; the scripted models take ~85 ms), so the runs are short: q4 once, fp32 for the round trip.
interface RunCase {
  readonly dtype: 'q4' | 'fp32';
  readonly t: number;
  readonly s: number;
}
const Q4: RunCase = { dtype: 'q4', t: 2, s: 1 };
const FP32: RunCase = { dtype: 'fp32', t: 3, s: 1 };

interface Expected {
  readonly thinking: string;
  readonly solution: string;
}
const expected = new Map<RunCase, Expected>();

test.beforeAll(async () => {
  // The same engine the worker runs, on the Node-converted folder (onnxruntime-node, CPU).
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${join(process.cwd(), 'test-models')}/`;
  for (const c of [Q4, FP32]) {
    const engine = await ElasticEngine.load('tiny-qwen2', { device: 'cpu', dtype: c.dtype });
    const backend = engine.backend();
    const forward = backend.forward.bind(backend);
    let minGap = Infinity;
    backend.forward = async (rows) => {
      const results = await forward(rows);
      for (const r of results) {
        let a = -Infinity;
        let b = -Infinity;
        for (const v of r.logits) {
          if (v > a) [a, b] = [v, a];
          else if (v > b) b = v;
        }
        minGap = Math.min(minGap, a - b);
      }
      return results;
    };
    const res = await engine.run({ problem: PROBLEM, paperSuffix: true, lanes: [{ thinking: c.t, solution: c.s }], sampling: { kind: 'greedy' } }, {}, backend);
    await engine.dispose();
    const lane = res.lanes[0]!;
    // Float32 differences between WebGPU and the CPU are ~1e-5; a top-2 logit gap far above that
    // makes greedy tokens comparable (the generator's seed was chosen for it).
    expect(minGap, `${c.dtype}: smallest top-2 logit gap`).toBeGreaterThan(0.05);
    expect(lane.thinkingTokens).toBe(c.t);
    expected.set(c, { thinking: lane.thinkingText, solution: lane.solutionText });
  }
});

async function raw(page: Page, name: 'Thinking' | 'Solution'): Promise<string> {
  const region = page.getByRole('region', { name });
  const toggle = region.getByRole('button', { name: 'Raw text' });
  if (await toggle.isVisible()) await toggle.click();
  const text = (await region.getByTestId(`${name.toLowerCase()}-raw`).textContent()) ?? '';
  await region.getByRole('button', { name: 'Rendered' }).click();
  return text;
}

/** Runs greedy with the case's budgets and checks the texts against Node. */
async function runAndCompare(page: Page, c: RunCase) {
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill(PROBLEM);
  await page.getByLabel('Thinking budget', { exact: true }).fill(String(c.t));
  await page.getByLabel('Solution budget', { exact: true }).fill(String(c.s));
  await page.getByLabel(/^Greedy/).check();
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('stats')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('thinking-count')).toHaveText(`${c.t} / ${c.t} tokens`);
  const want = expected.get(c)!;
  expect(await raw(page, 'Thinking')).toBe(want.thinking);
  expect(await raw(page, 'Solution')).toBe(want.solution);
}

async function convertedCacheKeys(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const cache = await caches.open('transformers-cache');
    return (await cache.keys()).map((r) => r.url).filter((u) => u.includes('/converted/'));
  });
}

async function openConverter(page: Page) {
  await page.getByText('Convert another checkpoint (Hub repo, URL, files or a folder)').click();
  await expect(page.getByRole('heading', { name: 'Convert in this browser' })).toBeVisible();
}

test('a folder converted in Node and served by the app loads on WebGPU and decodes like Node', async ({ page }) => {
  const asked: string[] = [];
  page.context().on('request', (r) => {
    const path = new URL(r.url()).pathname;
    // Downloads only (the memory notice sizes the files with HEAD requests first).
    if (path.startsWith('/models/tiny-qwen2/') && r.method() === 'GET') asked.push(path.slice('/models/tiny-qwen2/'.length));
  });
  await page.goto('/?model=/models/tiny-qwen2');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 60_000 });
  // A first download: the weights were streamed into Cache Storage (src/worker/download-to-cache.ts)
  // and read from there; every file was asked for once, config.json included.
  const dataFile = 'onnx/model_q4.onnx_data';
  expect(asked.filter((f) => f === dataFile)).toEqual([dataFile]);
  expect(asked.filter((f) => f === 'config.json')).toEqual(['config.json']);
  const cached = await page.evaluate(async (url) => (await (await caches.open('transformers-cache')).match(url))?.blob().then((b) => b.size), `${new URL(page.url()).origin}/models/tiny-qwen2/${dataFile}`);
  expect(cached).toBe(statSync(join(process.cwd(), 'test-models/tiny-qwen2', dataFile)).size);
  await expect(page.getByText(/^Ready:/)).toHaveAttribute('data-weights', 'cached-files');
  await expect(page.getByTestId('device')).toHaveText('webgpu');
  await expect(page.getByTestId('dtype')).toHaveText('q4');
  await runAndCompare(page, Q4);
});

test('the same folder with its embedding table and LM head in parts loads on WebGPU and decodes like Node', async ({ page }) => {
  // tiny-qwen2-parts: the tables split below 1 MiB (the int8 table in 5 parts, the q4 head in 3),
  // as E1's are below 64 MiB; Node's expected text is the whole tables' (logits within ~1e-6).
  await page.goto('/?model=/models/tiny-qwen2-parts');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('device')).toHaveText('webgpu');
  await expect(page.getByTestId('dtype')).toHaveText('q4');
  await runAndCompare(page, Q4);
});

test('converts in the browser from the served checkpoint, loads from the cache, and again after a reload', async ({ page }, info) => {
  const serverHits: string[] = [];
  page.context().on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/converted/') || path.startsWith(`${SOURCE}/`)) serverHits.push(`${r.method()} ${path}`);
  });
  await page.goto('/');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await openConverter(page);
  await page.getByLabel('Source: Hub repo, folder URL or path').fill(SOURCE);
  await page.getByRole('checkbox', { name: /^fp32/ }).check();
  await page.getByRole('button', { name: 'Check source' }).click();
  const plan = page.getByTestId('convert-plan');
  await expect(plan).toContainText(/Will download 12\.\d MB \(7 files, [\d.]+ M parameters\)/);
  await expect(plan).toContainText(`as ${CONVERTED}`);
  await expect(plan).toContainText(/store about \d+\.\d MB \(q4, fp32\)/);
  await expect(plan).toContainText(/This site uses .* of the .* the browser allows it/);
  await page.screenshot({ path: info.outputPath('1-plan.png'), fullPage: true });

  const t0 = Date.now();
  await page.getByRole('button', { name: 'Convert and store' }).click();
  await expect(page.getByText(`Converted and stored ${CONVERTED}`)).toBeVisible({ timeout: 60_000 });
  info.annotations.push({ type: 'conversion', description: `${Date.now() - t0} ms in the browser` });
  await page.screenshot({ path: info.outputPath('2-converted.png'), fullPage: true });
  // Same bytes as the Node conversion: the manifests agree.
  const manifest = await page.evaluate(async (id) => {
    const res = await (await caches.open('transformers-cache')).match(`${location.origin}${id}/conversion.json`);
    return res ? ((await res.json()) as { files: Record<string, number> }).files : null;
  }, CONVERTED);
  const { readFileSync } = await import('node:fs');
  const nodeManifest = JSON.parse(readFileSync(join(process.cwd(), 'test-models/tiny-qwen2/conversion.json'), 'utf8')) as { files: Record<string, number> };
  expect(manifest).toEqual(nodeManifest.files);

  await page.getByLabel('Weights').selectOption('fp32');
  await page.getByRole('button', { name: 'Load converted model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/^Ready:/)).toContainText(CONVERTED);
  await expect(page.getByTestId('dtype')).toHaveText('fp32');
  await runAndCompare(page, FP32);

  // A later visit: the model id is remembered, the conversion is listed, and it loads from the
  // cache without converting or downloading anything.
  serverHits.length = 0;
  await page.reload();
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await expect(page.getByLabel('Model id or URL')).toHaveValue(CONVERTED);
  await expect(page.getByRole('button', { name: `Load ${CONVERTED}` })).toBeVisible();
  await page.getByRole('button', { name: `Load ${CONVERTED}` }).click();
  await expect(page.getByText(/^Ready:/)).toContainText('loaded from cache', { timeout: 60_000 });
  await runAndCompare(page, FP32);
  expect(serverHits).toEqual([]);
  await page.screenshot({ path: info.outputPath('3-reloaded.png'), fullPage: true });
});

test('a truncated shard is reported before anything is stored, and nothing loadable is left', async ({ page }, info) => {
  await page.goto('/');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await openConverter(page);
  await page.getByLabel('Source: Hub repo, folder URL or path').fill(`${SOURCE}-truncated`);
  await page.getByRole('button', { name: 'Check source' }).click();
  await expect(page.getByRole('alert')).toContainText(
    /Bad checkpoint: .*model-00002-of-00002\.safetensors: truncated: tensor \S+ needs bytes up to \d+, file has \d+/,
  );
  await expect(page.getByRole('button', { name: 'Convert and store' })).toBeDisabled();
  await page.screenshot({ path: info.outputPath('4-truncated.png'), fullPage: true });
  expect(await convertedCacheKeys(page)).toEqual([]);

  // Its would-be id does not load: a clear message, and no request to the server.
  await page.getByRole('combobox', { name: 'Preset' }).selectOption({ label: 'Custom (Hub id or URL)' });
  await page.getByLabel('Model id or URL').fill(`${CONVERTED}-truncated`);
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'not stored in this browser' })).toContainText('convert it again');
});

test('the converter worker dies mid-conversion: a clear message, nothing partial kept, and converting works again', async ({ page }, info) => {
  // The source's weights are held back once converting starts, so the fault lands mid-conversion.
  let hold = false;
  const held: (() => Promise<void>)[] = [];
  await page.context().route(`**${SOURCE}/*.safetensors`, async (route) => {
    if (!hold) return route.continue();
    held.push(() => route.continue().catch(() => {}));
  });
  await page.goto('/?testModels');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await openConverter(page);
  await page.getByLabel('Source: Hub repo, folder URL or path').fill(SOURCE);
  await page.getByRole('button', { name: 'Check source' }).click();
  await expect(page.getByTestId('convert-plan')).toContainText(`as ${CONVERTED}`);
  hold = true;
  await page.getByRole('button', { name: 'Convert and store' }).click();
  await expect.poll(() => held.length, { timeout: 60_000 }).toBeGreaterThan(0);
  // Closed from inside, as the browser ends a worker that ran out of memory: no error event, only its life lock.
  await page.evaluate(() => (window as unknown as { __elasticTest: { injectConvertFault(f: string): void } }).__elasticTest.injectConvertFault('close'));
  await expect(page.getByRole('alert').filter({ hasText: 'The converter stopped unexpectedly' })).toContainText(
    `The conversion of ${CONVERTED} ended; nothing partial is kept`,
  );
  await page.screenshot({ path: info.outputPath('converter-died.png'), fullPage: true });
  hold = false;
  for (const release of held.splice(0)) await release();
  await expect.poll(() => convertedCacheKeys(page)).toEqual([]);

  // A fresh converter took over: check and convert again, no page reload.
  await page.getByRole('button', { name: 'Check source' }).click();
  await expect(page.getByTestId('convert-plan')).toContainText(`as ${CONVERTED}`);
  await page.getByRole('button', { name: 'Convert and store' }).click();
  await expect(page.getByText(`Converted and stored ${CONVERTED}`)).toBeVisible({ timeout: 60_000 });
});
