// Re-cutting a finished trace: the scripted model closes </think> after 48 thinking tokens; moving
// the thinking slider to 20 and clicking after the 8th token in the trace ask what it would have
// answered had it stopped there. Each re-cut is a lane beside the original, marked in the trace,
// and equals the budget sweep's lane at the same budget with the same seed.
import { readFile } from 'node:fs/promises';
import { buildScript, thinkingTextFor } from '../tools/testmodels/scripted-model.ts';
import { expect, test } from './fixtures.ts';

const script = buildScript();

test('re-cuts at 20 (slider) and 8 (click): lanes beside the original, marked in the trace, equal to the sweep lanes', async ({ page }, info) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  // Sampling (not greedy), seed 5: re-cuts reuse the run's seed.
  await page.goto('/?model=/models/scripted-think48&t=100&s=100&seed=5&problem=What%20is%20%246%20%5Ctimes%207%24%3F');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('stats')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('thinking-end')).toHaveText('closed by the model');
  await expect(page.getByTestId('thinking-count')).toHaveText('49 / 100 tokens');

  // The slider, below the thinking used: a re-cut at 20.
  await page.getByLabel('Thinking budget slider').fill('20');
  const at20 = page.getByTestId('recut-20');
  await expect(at20).toContainText('(thought: 20 tokens)', { timeout: 60_000 });
  await expect(page.getByTestId('recut-20-thinking')).toHaveText('Thinking: 20 tokens · cut at budget');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();

  // A click in the trace (raw view: exact characters) just after the 8th token: a re-cut at 8.
  const thinking = page.getByRole('region', { name: 'Thinking' });
  await thinking.getByRole('button', { name: 'Raw text' }).click();
  const at = thinkingTextFor(script, 8).length;
  const point = await page.getByTestId('thinking-raw').evaluate((pre, offset) => {
    const range = document.createRange();
    range.setStart(pre.firstChild!, offset);
    range.setEnd(pre.firstChild!, offset + 1);
    const r = range.getBoundingClientRect();
    return { x: r.left + 1, y: r.top + r.height / 2 };
  }, at);
  await page.mouse.click(point.x, point.y);
  const at8 = page.getByTestId('recut-8');
  await expect(at8).toContainText('(thought: 8 tokens)', { timeout: 60_000 });
  await expect(page.getByTestId('recut-8-thinking')).toHaveText('Thinking: 8 tokens · cut at budget');
  await thinking.getByRole('button', { name: 'Rendered' }).click();

  // Marked in the trace like a sweep's cuts; lanes side by side: 8, 20, then the original.
  await expect(thinking.getByTestId('cut-marker')).toHaveText(['✂ re-cut at 8 tokens', '✂ re-cut at 20 tokens']);
  await expect(page.getByTestId('recut-original')).toContainText('(thought: 48 tokens)');
  const xs = await Promise.all(['recut-8', 'recut-20', 'recut-original'].map(async (id) => (await page.getByTestId(id).boundingBox())!.x));
  expect(xs[0]).toBeLessThan(xs[1]!);
  expect(xs[1]).toBeLessThan(xs[2]!);
  await page.getByRole('region', { name: 'Re-cuts' }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: info.outputPath('recuts.png') });
  await page.screenshot({ path: info.outputPath('recuts-full.png'), fullPage: true });

  // They export like a comparison.
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('region', { name: 'Re-cuts' }).getByRole('button', { name: 'Export JSON' }).click()]);
  const record = JSON.parse(await readFile((await json.path())!, 'utf8')) as { mode: string; lanes: { settings: { thinking: number }; outcome: { thinkingTokens: number } }[] };
  expect(record.mode).toBe('sweep');
  expect(record.lanes.map((l) => l.outcome.thinkingTokens)).toEqual([8, 20, 49]);
  const recutSolutions = await Promise.all([at8, at20].map((l) => l.locator('.pane-body').last().innerText()));

  // The budget sweep at 8 and 20 with the same seed gives the same lanes.
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Budget sweep: one thinking trace cut at several budgets').check();
  await page.getByLabel('Thinking budgets (2–6, comma-separated)').fill('8, 20');
  await page.getByLabel('Solution budget for every lane').fill('100');
  await page.getByRole('button', { name: 'Run comparison' }).click();
  await expect(page.getByTestId('compare-status')).toHaveText('Comparison finished.', { timeout: 120_000 });
  const sweepSolutions = await Promise.all([1, 2].map((i) => page.getByTestId(`lane-${i}`).locator('.pane-body').last().innerText()));
  expect(sweepSolutions).toEqual(recutSolutions);
});
