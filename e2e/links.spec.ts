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
