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

test.describe('the error boundary', () => {
  // React and the boundary report the forced render error on the console.
  test.use({ allowedConsoleErrors: [[/Test fault: a render error/, /The above error occurred/, /The app failed to render/], { scope: 'test' }] });

  test('a render error shows what failed; "Reset settings and reload" resets the settings and keeps History', async ({ page }, info) => {
    await page.goto('/?testModels');
    await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('A problem typed before the failure');
    await page.getByLabel('Thinking budget', { exact: true }).fill('777');
    // A kept run, written as the app writes it (the history's own database).
    await page.getByRole('tab', { name: 'History' }).click();
    await expect(page.getByRole('region', { name: 'History' })).toBeVisible();
    await page.evaluate(async () => {
      const outcome = { thinkingText: 'Let me think', thinkingTokens: 3, thinkingEnd: 'budget', solutionText: '\\boxed{42}', solutionTokens: 2, solutionEnd: 'eos', answer: '42', stats: null, error: null };
      const record = {
        id: 'kept-run',
        createdAt: Date.now(),
        mode: 'single',
        problem: 'A run kept in History',
        paperSuffix: true,
        reference: null,
        lanes: [{ settings: { modelId: '/models/scripted-think48', thinking: 3, solution: 2, sampling: { kind: 'greedy' } }, outcome }],
        sweep: null,
        status: 'finished',
      };
      const entry = { id: record.id, createdAt: record.createdAt, mode: 'single', problemExcerpt: record.problem, lanes: 1, models: ['/models/scripted-think48'], answers: ['42'], referenceAnswer: null, status: 'finished' };
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open('elastic-reasoning-history');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const tx = db.transaction(['records', 'entries'], 'readwrite');
      tx.objectStore('records').put(record);
      tx.objectStore('entries').put(entry);
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    });

    await page.evaluate(() => (window as unknown as { __elasticTest: { breakRendering(why: string): void } }).__elasticTest.breakRendering('Test fault: a render error'));
    const boundary = page.getByRole('alert', { name: 'Something went wrong' });
    await expect(boundary).toContainText('The page could not be drawn: Test fault: a render error');
    await expect(boundary).toContainText('Your history and downloaded models are kept.');
    await page.screenshot({ path: info.outputPath('error-boundary.png'), fullPage: true });

    await boundary.getByRole('button', { name: 'Reset settings and reload' }).click();
    await expect(page.getByRole('textbox', { name: 'Problem', exact: true })).toHaveValue('');
    await expect(page.getByLabel('Thinking budget', { exact: true })).toHaveValue('1024');
    await expect(page.getByRole('alert', { name: 'Something went wrong' })).toHaveCount(0);
    await page.getByRole('tab', { name: 'History' }).click();
    const kept = page.getByRole('region', { name: 'History' }).getByRole('listitem');
    await expect(kept).toHaveCount(1);
    await expect(kept).toContainText('A run kept in History');
  });
});
