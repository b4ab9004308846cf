// Two tabs of the app in one browser (one context: the same Cache Storage, IndexedDB and Web Locks),
// working at once: a conversion in one is never deleted or doubled by the other's listing or
// conversion, and runs saved by both at the same moment are all kept.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const SOURCE = '/models/tiny-qwen2-src';
const CONVERTED = '/converted/url/tiny-qwen2-src';

async function openConverter(page: Page) {
  await page.goto('/');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByText('Convert another checkpoint (Hub repo, URL, files or a folder)').click();
  await expect(page.getByRole('heading', { name: 'Convert in this browser' })).toBeVisible();
  await page.getByLabel('Source: Hub repo, folder URL or path').fill(SOURCE);
  await page.getByRole('button', { name: 'Check source' }).click();
  await expect(page.getByTestId('convert-plan')).toContainText(`as ${CONVERTED}`);
}

/** What Cache Storage holds of conversions (files and staging), as the pages see it. */
function convertedKeys(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const cache = await caches.open('transformers-cache');
    return (await cache.keys()).map((r) => r.url).filter((u) => u.includes('/converted/'));
  });
}

test('two pages converting and listing at once: the second is refused, the first is never touched, both list it after', async ({ page, context }, info) => {
  // The source's weights are held back once the first page converts, so it stays mid-conversion.
  let hold = false;
  const held: (() => Promise<void>)[] = [];
  await context.route(`**${SOURCE}/*.safetensors`, async (route) => {
    if (!hold) return route.continue();
    held.push(() => route.continue().catch(() => {}));
  });
  await openConverter(page);
  hold = true;
  await page.getByRole('button', { name: 'Convert and store' }).click();
  await expect.poll(() => held.length, { timeout: 60_000 }).toBeGreaterThan(0);
  // The first page now waits on the reads held back; later reads (the second page's check) pass.
  hold = false;

  // The second page opens (its converter lists, and would clean up leftovers), then tries to convert.
  const second = await context.newPage();
  await openConverter(second);
  await second.getByRole('button', { name: 'Convert and store' }).click();
  await expect(second.getByRole('alert').filter({ hasText: 'Another tab of this app is converting a model' })).toBeVisible();
  await second.screenshot({ path: info.outputPath('second-refused.png'), fullPage: true });
  // A reload of the second page lists again while the first still converts.
  await second.reload();
  await expect(second.getByText(/^GPU:/)).toBeVisible();

  for (const release of held.splice(0)) await release();
  await expect(page.getByText(`Converted and stored ${CONVERTED}`)).toBeVisible({ timeout: 120_000 });
  const stored = await convertedKeys(page);
  expect(stored.some((u) => u.endsWith(`${CONVERTED}/config.json`))).toBe(true);

  // The second page lists the finished conversion and can load it; nothing was lost on the way.
  await second.reload();
  await expect(second.getByText(/^GPU:/)).toBeVisible();
  await second.getByText('Convert another checkpoint (Hub repo, URL, files or a folder)').click();
  await expect(second.getByRole('button', { name: `Load ${CONVERTED}` })).toBeVisible();
  expect((await convertedKeys(second)).sort()).toEqual(stored.sort());
});

async function loadScripted(page: Page) {
  await page.goto('/?model=/models/scripted-think48&device=wasm');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is $6 \\times 7$?');
  await page.getByLabel('Thinking budget', { exact: true }).fill('8');
  await page.getByLabel('Solution budget', { exact: true }).fill('4');
  await page.getByLabel(/^Greedy/).check();
}

test('two pages saving runs at the same moment: every run is kept, and both pages list them all', async ({ page, context }) => {
  const second = await context.newPage();
  await loadScripted(page);
  await loadScripted(second);
  // Both runs end and are saved at about the same moment (same model, same budgets).
  await Promise.all([page, second].map((p) => p.getByRole('button', { name: 'Run' }).click()));
  await Promise.all([page, second].map((p) => expect(p.getByTestId('stats')).toBeVisible({ timeout: 120_000 })));
  for (const p of [page, second]) {
    await p.reload();
    await p.getByRole('tab', { name: 'History' }).click();
    await expect(p.getByRole('region', { name: 'History' }).getByRole('listitem')).toHaveCount(2);
  }
});
