// A link to a model on another site (issue 11): never a download by itself or on one click — the
// host and size first, a yes, and a load that can still be cancelled.
import { expect, test } from './fixtures.ts';

const HOST = 'models.example.org';
test.use({
  standInHosts: [[HOST], { scope: 'test' }],
  // The size check asks for the optional external-data file too; this folder has none (a 404).
  allowedConsoleErrors: [[/status of 404 .*\.onnx_data/], { scope: 'test' }],
});
test.describe.configure({ timeout: 480_000 });

test('a foreign model link asks first (host, size), can be declined, and its load cancelled', async ({ page }, info) => {
  const modelRequests: string[] = [];
  page.context().on('request', (r) => {
    if (new URL(r.url()).host === HOST && r.method() === 'GET') modelRequests.push(r.url());
  });
  await page.goto(`/?model=${encodeURIComponent(`https://${HOST}/models/scripted-think48`)}`);
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.waitForTimeout(1000);
  expect(modelRequests, 'nothing is downloaded by opening the link').toEqual([]);

  await page.getByRole('button', { name: 'Load model' }).click();
  const ask = page.getByTestId('download-consent');
  await expect(ask.getByTestId('consent-host')).toHaveText(HOST);
  await expect(ask.getByTestId('consent-size')).toHaveText(/^\d+(\.\d+)? (kB|MB) in \d files\.$/);
  await page.screenshot({ path: info.outputPath('consent.png'), fullPage: true });
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  expect(modelRequests, 'a single click only asks').toEqual([]);

  // Yes, then change one's mind: the load is cancelled, the app is usable.
  await page.getByRole('button', { name: 'Load model' }).click();
  await ask.getByRole('button', { name: 'Download' }).click();
  await page.getByRole('button', { name: 'Cancel load' }).click();
  await expect(page.getByRole('alert')).toContainText('Load cancelled.');
  await expect(page.getByRole('button', { name: 'Load model' })).toBeEnabled();

  // Once agreed in this session, it loads (from the stand-in host) and runs.
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 240_000 });
  expect(modelRequests.some((u) => u.endsWith('/config.json'))).toBe(true);
});

test("a model whose config declares more context than this device can hold is clamped, and the page says why", async ({ page }) => {
  // A linked model's config may claim any length: a billion positions here.
  await page.context().route('**/models/scripted-think48/config.json', async (route) => {
    // The memory notice sizes the files with HEAD requests first: those have no body to rewrite.
    if (route.request().method() !== 'GET') return route.continue();
    const config = (await (await route.fetch()).json()) as object;
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ...config, max_position_embeddings: 1_000_000_000 }) });
  });
  await page.goto('/?model=/models/scripted-think48&device=wasm');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 240_000 });
  const note = page.getByTestId('context-note');
  await expect(note).toHaveText(
    /^Context limited to ([\d,]+) positions of the model's 1,000,000,000: the KV cache for 1,000,000,000 would need [\d.]+ GB \(3 caches × 2 layers × 2 KV heads × 16 × 4 bytes per position\), this device allows 1\.0 GB\.$/,
  );
  const limited = (await note.textContent())!.match(/limited to ([\d,]+)/)![1]!;
  await expect(page.getByText(`context ${limited}`)).toBeVisible();
  // And it runs.
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is $6 \\times 7$?');
  await page.getByLabel('Thinking budget', { exact: true }).fill('8');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('thinking-end')).toHaveText('cut at budget', { timeout: 120_000 });
});
