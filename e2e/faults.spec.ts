// Faults a GPU web app meets (issue 11): a crashed worker, a worker that ends silently, a lost GPU
// device — each mid-run, each ending in a usable app with the partial run kept and the model
// reloadable, with no page reload.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

// What the provoked faults log by themselves: the crash's uncaught error, and ORT's failed step
// when the device vanishes under it (the app reports both to the user in its own words).
// (An array option is passed wrapped: Playwright reads a bare array as [value, options].)
// ORT's logger colours its failed step's message for a terminal; in ORT's JSPI build (chosen where
// the browser has JSPI: src/worker/ort-bundle.ts) the closing reset sequence (ESC [m) reaches the
// console as an error of its own, from ORT's module (a blob: URL): only that, from there, is allowed.
const ALLOWED = [
  /Test fault: the model worker crashed/,
  /error occurred during model execution/,
  /Inputs given to model/,
  /GPU ?device|mapAsync|destroyed/i,
  /^\[worker [^\]]+\] \x1b\[m \(blob:[^)]+\)$/,
];
test.use({ allowedConsoleErrors: [ALLOWED, { scope: 'test' }] });

type Fault = 'throw' | 'close' | 'destroyDevice';

async function injectFault(page: Page, fault: Fault) {
  await page.evaluate((f) => (window as unknown as { __elasticTest: { injectFault(f: string): void } }).__elasticTest.injectFault(f), fault);
}

// Two model loads and two runs on SwiftShader: slow on a busy two-core machine.
test.describe.configure({ timeout: 480_000 });

async function loadNeverClose(page: Page) {
  await page.goto('/?model=/models/scripted-never-close');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 240_000 });
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is $6 \\times 7$?');
  await page.getByLabel('Thinking budget', { exact: true }).fill('1500');
  await page.getByLabel('Solution budget', { exact: true }).fill('50');
  await page.getByLabel(/^Greedy/).check();
}

const CASES: { fault: Fault; says: RegExp }[] = [
  { fault: 'throw', says: /model worker crashed/ },
  { fault: 'close', says: /stopped unexpectedly/ },
  { fault: 'destroyDevice', says: /GPU device was lost/ },
];

for (const { fault, says } of CASES) {
  test(`${fault} mid-run: noticed at once, partial run kept, model reloads, runs again`, async ({ page }, info) => {
    await loadNeverClose(page);
    await page.getByRole('button', { name: 'Run' }).click();
    const count = page.getByTestId('thinking-count');
    await expect(count).toHaveText(/^([1-9]\d+) \/ 1,500 tokens$/, { timeout: 60_000 });

    const t0 = Date.now();
    await injectFault(page, fault);
    await expect(page.getByTestId('worker-lost')).toContainText(says, { timeout: 5_000 });
    const noticedMs = Date.now() - t0;
    info.annotations.push({ type: 'noticed after', description: `${noticedMs} ms` });
    // The run is over (interrupted), and what had streamed is still shown.
    await expect(page.getByText(/^Interrupted: /)).toBeVisible();
    const kept = Number((await count.textContent())!.split(' ')[0]!.replace(/,/g, ''));
    expect(kept).toBeGreaterThan(9);
    await expect(page.getByTestId('thinking-text')).not.toBeEmpty();
    await expect(page.getByRole('button', { name: 'Stop' })).toBeDisabled();
    await page.screenshot({ path: info.outputPath(`${fault}-interrupted.png`), fullPage: true });

    // Reload the model in a fresh worker (no page reload) and run again.
    await page.getByRole('button', { name: 'Reload /models/scripted-never-close' }).click();
    await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 240_000 });
    await expect(page.getByTestId('worker-lost')).toHaveCount(0);
    await page.getByLabel('Thinking budget', { exact: true }).fill('12');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect(page.getByTestId('thinking-end')).toHaveText('cut at budget', { timeout: 120_000 });

    // The interrupted run is in the history.
    await page.getByRole('tab', { name: 'History' }).click();
    await expect(page.getByRole('region', { name: 'History' }).getByRole('listitem')).toHaveCount(2);
  });
}

test('closing the page mid-run warns first; what had streamed enters the history', async ({ page }) => {
  await loadNeverClose(page);
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('thinking-count')).toHaveText(/^([1-9]\d+) \/ 1,500 tokens$/, { timeout: 60_000 });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.type());
    void d.accept();
  });
  await page.reload();
  expect(dialogs).toEqual(['beforeunload']);
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.getByRole('region', { name: 'History' }).getByRole('listitem')).toHaveCount(1);
  await page.getByRole('region', { name: 'History' }).getByRole('listitem').getByRole('button').first().click();
  await expect(page.getByText(/page was closed or reloaded while this ran/).first()).toBeVisible();
});

test('storage full while a model is cached: it loads and runs, and the page says so with the sizes and a way out', async ({ page }) => {
  await page.goto('/?model=/models/scripted-think48&device=wasm');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  // A disk nearly full: this origin may store 1 MB (the tokenizer alone is 2.8 MB). Chromium enforces the
  // override but navigator.storage.estimate() still reports the real quota, so the sizes are not pinned here.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin, quotaSize: 1_000_000 });
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 240_000 });
  const notice = page.getByTestId('not-cached');
  await expect(notice).toContainText(
    /^Browser storage is full, so this model was not kept for next time: it runs now, but downloads again on the next visit\. This site stores [\d.]+ MB of the [\d.]+ MB the browser allows it; the model needs [2-9]\.\d MB\./,
  );
  // It runs all the same.
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is $6 \\times 7$?');
  await page.getByLabel('Thinking budget', { exact: true }).fill('8');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('thinking-end')).toHaveText('cut at budget', { timeout: 120_000 });
  // The way out: clear the cache.
  await notice.getByRole('button', { name: 'Clear model cache' }).click();
  await expect(page.getByText(/Cleared the model cache/)).toBeVisible();
});
