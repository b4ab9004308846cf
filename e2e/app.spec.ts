// The app end to end: production build, Debian Chromium, WebGPU on SwiftShader, the generated
// scripted models served by the app, offline.
import type { Page, TestInfo } from '@playwright/test';
import { buildScript, solutionTextFor, thinkingTextFor } from '../tools/testmodels/scripted-model.ts';
import { expect, test } from './fixtures.ts';

const script = buildScript();
const thinkText = (n: number) => thinkingTextFor(script, n);
const solutionText = (seen: number) => solutionTextFor(script, seen);

async function shot(page: Page, info: TestInfo, name: string) {
  await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
}

async function load(page: Page, query: string) {
  await page.goto(`/?${query}`);
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
}

async function configure(page: Page, opts: { t: number; s: number; problem?: string }) {
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill(opts.problem ?? 'What is $6 \\times 7$?');
  await page.getByLabel('Thinking budget', { exact: true }).fill(String(opts.t));
  await page.getByLabel('Solution budget', { exact: true }).fill(String(opts.s));
  await page.getByLabel(/^Greedy/).check();
}

const pane = (page: Page, name: 'Thinking' | 'Solution') => page.getByRole('region', { name });

async function raw(page: Page, name: 'Thinking' | 'Solution'): Promise<string> {
  const region = pane(page, name);
  const toggle = region.getByRole('button', { name: 'Raw text' });
  if (await toggle.isVisible()) await toggle.click();
  const text = (await region.getByTestId(`${name.toLowerCase()}-raw`).textContent()) ?? '';
  await region.getByRole('button', { name: 'Rendered' }).click();
  return text;
}

async function runAndWait(page: Page) {
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('stats')).toBeVisible({ timeout: 120_000 });
}

test('loads with progress, runs on WebGPU, closes thinking by itself, renders math', async ({ page }, info) => {
  await page.goto('/?model=/models/scripted-think48');
  // Per-file progress appears while loading (it can be brief for these small files).
  const progressShown = page.locator('progress[aria-label^="Download of"]').first().waitFor({ state: 'attached' });
  await page.getByRole('button', { name: 'Load model' }).click();
  await progressShown;
  // Progress is shown while loading, then the model is ready on WebGPU with q4 weights
  // (SwiftShader has no shader-f16, so the auto choice is q4, never q4f16).
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('device')).toHaveText('webgpu');
  await expect(page.getByTestId('dtype')).toHaveText('q4');
  await shot(page, info, '1-ready');

  await configure(page, { t: 100, s: 100 });
  await runAndWait(page);
  await expect(page.getByTestId('thinking-end')).toHaveText('closed by the model');
  await expect(page.getByTestId('solution-end')).toHaveText('EOS');
  await expect(page.getByTestId('thinking-count')).toHaveText('49 / 100 tokens');
  expect(await raw(page, 'Thinking')).toBe(thinkText(48));
  expect(await raw(page, 'Solution')).toBe(solutionText(48));
  await expect(pane(page, 'Thinking').locator('.katex').first()).toBeVisible();
  await expect(pane(page, 'Solution').locator('.katex').first()).toBeVisible();
  await expect(page.getByTestId('answer')).toContainText('42');
  await expect(page.getByTestId('stats')).toContainText('tokens/s');
  await shot(page, info, '2-closed-by-model');
});

test('a smaller t cuts thinking at exactly t; a small s cuts the solution; sliders rerun', async ({ page }, info) => {
  await load(page, 'model=/models/scripted-think48');
  await configure(page, { t: 20, s: 100 });
  await runAndWait(page);
  await expect(page.getByTestId('thinking-end')).toHaveText('cut at budget');
  await expect(page.getByTestId('thinking-count')).toHaveText('20 / 20 tokens');
  expect(await raw(page, 'Thinking')).toBe(thinkText(20));
  expect(await raw(page, 'Solution')).toBe(solutionText(20));
  await expect(pane(page, 'Solution')).toContainText('(thought: 20 tokens)');
  await shot(page, info, '3-cut-at-budget');

  // The sliders drive the budgets too.
  await page.getByLabel('Thinking budget slider').fill('30');
  await page.getByLabel('Solution budget slider').fill('4');
  await runAndWait(page);
  await expect(page.getByTestId('thinking-count')).toHaveText('30 / 30 tokens');
  await expect(page.getByTestId('solution-end')).toHaveText('cut at solution budget');
  await expect(page.getByTestId('solution-count')).toHaveText('4 / 4 tokens');
  await shot(page, info, '4-solution-cut');
});

test('Stop ends a run within a step and the app runs again', async ({ page }, info) => {
  await load(page, 'model=/models/scripted-never-close');
  await configure(page, { t: 1500, s: 50 });
  await page.getByRole('button', { name: 'Run' }).click();
  const count = page.getByTestId('thinking-count');
  await expect(count).toHaveText(/^([1-9]\d+) \/ 1,500 tokens$/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('thinking-end')).toHaveText('stopped', { timeout: 10_000 });
  const stoppedAt = Number((await count.textContent())!.split(' ')[0]!.replace(/,/g, ''));
  expect(stoppedAt).toBeLessThan(1500);
  await shot(page, info, '5-stopped');
  await expect(page.getByRole('button', { name: 'Run' })).toBeEnabled();

  await configure(page, { t: 12, s: 50 });
  await runAndWait(page);
  await expect(page.getByTestId('thinking-end')).toHaveText('cut at budget');
  await expect(pane(page, 'Solution')).toContainText('(thought: 12 tokens)');
});

test('the same run on the WASM path', async ({ page }, info) => {
  await load(page, 'model=/models/scripted-think48&device=wasm');
  await expect(page.getByTestId('device')).toHaveText('wasm');
  await configure(page, { t: 25, s: 100 });
  await runAndWait(page);
  await expect(page.getByTestId('thinking-end')).toHaveText('cut at budget');
  expect(await raw(page, 'Solution')).toBe(solutionText(25));
  await shot(page, info, '6-wasm');
});

test('bad input: clear messages, nothing typed is lost', async ({ page }, info) => {
  await page.goto('/?model=/models/does-not-exist');
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByRole('alert')).toContainText(/not found|Could not load/, { timeout: 60_000 });

  await page.getByLabel('Model id or URL').fill('not a model');
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByRole('alert')).toContainText('is not a Hub id');

  await page.getByLabel('Model id or URL').fill('/models/scripted-think48');
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });

  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByRole('alert')).toContainText('Type a problem');

  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('Keep me');
  await page.getByLabel('Thinking budget', { exact: true }).fill('-5');
  await expect(page.getByText('Thinking budget must be a whole number of tokens.')).toBeVisible();
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByRole('alert')).toContainText('Thinking budget must be a whole number');
  await page.getByLabel('Thinking budget', { exact: true }).fill('5000');
  await page.getByLabel('Solution budget', { exact: true }).fill('100');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByRole('alert')).toContainText(/context is 2,?048/);
  await expect(page.getByRole('textbox', { name: 'Problem', exact: true })).toHaveValue('Keep me');
  await shot(page, info, '7-bad-input');

  // What was typed survives a reload.
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Problem', exact: true })).toHaveValue('Keep me');
  await expect(page.getByLabel('Thinking budget', { exact: true })).toHaveValue('5000');
});

test('the page opens on E1, which explains its one-time conversion and offers one button; DeepScaleR is one choice away', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('combobox', { name: 'Preset' })).toHaveValue('e1');
  await expect(page.getByTestId('oneclick')).toContainText('No ONNX (web-ready) build of Salesforce/E1-Math-1.5B');
  await expect(page.getByRole('button', { name: 'Get E1-Math-1.5B' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Load model' })).toHaveCount(0);
  await page.getByRole('combobox', { name: 'Preset' }).selectOption({ label: 'DeepScaleR-1.5B-Preview (paper baseline)' });
  await expect(page.getByRole('button', { name: 'Load model' })).toBeEnabled();
});

test('phone width keeps every control reachable', async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await load(page, 'model=/models/scripted-think48');
  await configure(page, { t: 10, s: 30 });
  await runAndWait(page);
  await expect(page.getByTestId('thinking-end')).toHaveText('cut at budget');
  await shot(page, info, '8-phone');
});

test('a second visit loads from the cache without downloading again', async ({ page }) => {
  await load(page, 'model=/models/scripted-think48');
  const modelRequests: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/models/')) modelRequests.push(r.url());
  });
  await page.reload();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toContainText('loaded from cache', { timeout: 120_000 });
  expect(modelRequests).toEqual([]);

  await page.getByRole('button', { name: 'Change model' }).click();
  await page.getByRole('button', { name: 'Clear model cache' }).click();
  await expect(page.getByText(/Cleared the model cache/)).toBeVisible();
});

test('an unreachable Hub is a clear message and the app stays usable', async ({ page, blockedRequests }) => {
  await page.goto('/?model=onnx-community/DeepScaleR-1.5B-Preview-ONNX');
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByRole('alert')).toContainText(/unreachable|Could not load/, { timeout: 60_000 });
  // The offline guard blocked the Hub request: that is the point of this test.
  expect(blockedRequests.some((r) => r.includes('huggingface.co'))).toBe(true);
  blockedRequests.length = 0;
  await page.getByLabel('Model id or URL').fill('/models/scripted-think48');
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
});
