// Untrusted saved settings and links (issue 11): a bad value never blanks the app.
import { expect, test } from './fixtures.ts';

test('a corrupt saved setting loads the app with a notice, keeping the good ones', async ({ page }, info) => {
  await page.addInitScript(() => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    localStorage.setItem(
      'elastic-settings-v1',
      JSON.stringify({ state: { problem: 'Keep this problem', device: { evil: true }, thinkingBudget: 512, greedy: 'sometimes' }, version: 0 }),
    );
    localStorage.setItem('elastic-compare-settings-v1', '{not json');
  });
  await page.goto('/');
  const notice = page.getByTestId('settings-notice');
  await expect(notice).toContainText('device (an object) was reset');
  await expect(notice).toContainText('thinkingBudget (number 512) was reset');
  await expect(notice).toContainText('Saved comparison settings could not be read');
  await expect(page.getByRole('textbox', { name: 'Problem', exact: true })).toHaveValue('Keep this problem');
  await expect(page.getByLabel('Thinking budget', { exact: true })).toHaveValue('1024');
  await page.screenshot({ path: info.outputPath('settings-notice.png'), fullPage: true });
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(notice).toHaveCount(0);
  // The repaired settings were written back: a reload has nothing left to repair.
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Problem', exact: true })).toHaveValue('Keep this problem');
  await expect(page.getByTestId('settings-notice')).toHaveCount(0);
});

test('a hostile link: bad values refused, lanes capped at 6, problem capped', async ({ page }) => {
  const lanes = Array.from({ length: 9 }, (_, i) => `lane=${encodeURIComponent(`/models/scripted-think48|${10 + i}|20|0`)}`).join('&');
  await page.goto(`/?device=quantum&dtype=q4&t=abc&problem=${'z'.repeat(12_000)}&mode=independent&${lanes}`);
  const notice = page.getByTestId('settings-notice');
  await expect(notice).toContainText('device ("quantum") was reset');
  await expect(notice).toContainText('9 lanes given, the first 6 are used');
  await expect(notice).toContainText('problem was cut to 10,000 characters');
  await expect(page.getByRole('textbox', { name: 'Problem', exact: true })).toHaveValue('z'.repeat(10_000));
});

test('the page is served with the production headers (CSP without unsafe-eval, isolation)', async ({ page }) => {
  const res = await page.goto('/');
  const h = res!.headers();
  expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(h['content-security-policy']).toContain("'wasm-unsafe-eval'");
  expect(h['content-security-policy']).not.toContain("'unsafe-eval'");
  expect(h['cross-origin-opener-policy']).toBe('same-origin');
  expect(h['cross-origin-embedder-policy']).toBe('require-corp');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});
