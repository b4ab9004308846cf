// Comparisons end to end: budget sweep lanes, model against model, history, export.
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

async function load(page: Page, query: string) {
  await page.goto(`/?${query}`);
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
}

async function problemAndGreedy(page: Page) {
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is $6 \\times 7$?');
  await page.getByLabel(/^Greedy/).check();
}

test('a 3-budget sweep: one trace, three cuts, three solutions, cost max(t) + Σ s tokens in max(t + s) steps', async ({ page }, info) => {
  await load(page, 'model=/models/scripted-never-close&tab=compare');
  await problemAndGreedy(page);
  await page.getByLabel('Budget sweep: one thinking trace cut at several budgets').check();
  await page.getByLabel('Thinking budgets (2–6, comma-separated)').fill('8, 16, 30');
  await page.getByLabel('Solution budget for every lane').fill('100');
  // Before the run: the memory plan, rows × cache per row against the device's limit, batched or not.
  await expect(page.getByTestId('memory-plan')).toHaveText(
    /^Memory plan on \/models\/scripted-never-close: KV cache: 4 rows × [\d.]+ MB \(one row at [\d,]+ positions\) × 3 at the peak = [\d.]+ MB, of [\d.]+ MB this device allows\. Batched: all 4 rows/,
  );
  await page.getByRole('button', { name: 'Run comparison' }).click();
  await expect(page.getByTestId('compare-status')).toHaveText('Comparison finished.', { timeout: 120_000 });

  for (const [i, t] of [8, 16, 30].entries()) {
    const lane = page.getByTestId(`lane-${i + 1}`);
    await expect(lane).toContainText(`(thought: ${t} tokens)`);
    await expect(page.getByTestId(`lane-${i + 1}-thinking`)).toHaveText(`Thinking: ${t} tokens · cut at budget`);
  }
  await expect(page.getByTestId('cut-marker')).toHaveCount(3);
  // Each scripted solution is 19 tokens (18 words + EOS): 30 + 3 × 19 decoded, against
  // (8 + 16 + 30) + 3 × 19 for separate runs. The lanes decode beside the trunk in batched rows:
  // 30 + 19 steps (the longest lane's t + s) instead of the 87 calls of one row at a time.
  await expect(page.getByTestId('sweep-cost')).toContainText(
    /^Decoded 87 tokens in 49 steps \(87 one row at a time\), [\d.]+ m?s; running each budget separately would decode 111/,
  );
  await expect(page.getByTestId('compare-summary')).toContainText('all lanes agree');
  await page.screenshot({ path: info.outputPath('sweep.png'), fullPage: true });

  // Export: the Markdown and the JSON hold every lane.
  const [md] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Markdown' }).click()]);
  const mdText = await readFile((await md.path())!, 'utf8');
  for (const t of [8, 16, 30]) expect(mdText).toContain(`(thought: ${t} tokens)`);
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const record = JSON.parse(await readFile((await json.path())!, 'utf8')) as { lanes: unknown[]; mode: string; sweep: { steps: number; rows: number } };
  expect(record.mode).toBe('sweep');
  expect(record.sweep).toMatchObject({ steps: 49, rows: 87 });
  expect(record.lanes).toHaveLength(3);

  // The history survives a reload and reopens the comparison.
  await page.reload();
  await page.getByRole('tab', { name: 'History' }).click();
  await page.getByRole('button', { name: /sweep/ }).first().click();
  await expect(page.getByTestId('compare-status')).toContainText('Reopened from history');
  await expect(page.getByTestId('lane-3')).toContainText('(thought: 30 tokens)');
});

test('independent runs: two models at the same budgets, loaded in turn', async ({ page }, info) => {
  await load(page, 'model=/models/scripted-think48&tab=compare');
  await problemAndGreedy(page);
  await page.getByLabel('Independent runs: models, seeds or budgets side by side').check();
  await page.getByLabel('Lane 1 model').fill('/models/scripted-think48');
  await page.getByLabel('Lane 2 model').fill('/models/scripted-never-close');
  for (const i of [1, 2]) {
    await page.getByLabel(`Lane ${i} thinking budget`).fill('60');
    await page.getByLabel(`Lane ${i} solution budget`).fill('100');
  }
  await page.getByRole('button', { name: 'Run comparison' }).click();
  await expect(page.getByTestId('compare-status')).toHaveText('Comparison finished.', { timeout: 120_000 });
  await expect(page.getByTestId('lane-1-thinking')).toHaveText('Thinking: 49 tokens · closed by the model');
  await expect(page.getByTestId('lane-1')).toContainText('(thought: 48 tokens)');
  await expect(page.getByTestId('lane-2-thinking')).toHaveText('Thinking: 60 tokens · cut at budget');
  await expect(page.getByTestId('lane-2')).toContainText('(thought: 60 tokens)');
  await expect(page.getByTestId('lane-2')).toContainText('/models/scripted-never-close');
  await page.screenshot({ path: info.outputPath('independent.png'), fullPage: true });
});

test('Stop ends the whole comparison and keeps finished lanes', async ({ page }) => {
  await load(page, 'model=/models/scripted-never-close&tab=compare');
  await problemAndGreedy(page);
  await page.getByLabel('Independent runs: models, seeds or budgets side by side').check();
  await page.getByLabel('Lane 1 model').fill('/models/scripted-never-close');
  await page.getByLabel('Lane 1 thinking budget').fill('5');
  await page.getByLabel('Lane 1 solution budget').fill('100');
  await page.getByLabel('Lane 2 model').fill('/models/scripted-never-close');
  await page.getByLabel('Lane 2 thinking budget').fill('1500');
  await page.getByLabel('Lane 2 solution budget').fill('100');
  await page.getByRole('button', { name: 'Run comparison' }).click();
  // One model, one sampling: the two lanes decode together in batched rows, as a sweep's lanes do.
  await expect(page.getByTestId('compare-status')).toHaveText('Running 2 lanes together…', { timeout: 60_000 });
  await expect(page.getByTestId('lane-1')).toContainText('(thought: 5 tokens)', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop comparison' }).click();
  await expect(page.getByTestId('compare-status')).toHaveText('Comparison stopped; finished lanes are kept.', { timeout: 30_000 });
  await expect(page.getByTestId('lane-1')).toContainText('(thought: 5 tokens)');
});

test('independent runs at two seeds of one model decode together: the same lanes as one run per seed, in fewer steps', async ({ page }) => {
  interface Lane {
    outcome: { thinkingText: string; solutionText: string; stats: { forwardCalls: number; rows: number } | null };
  }
  /** Runs an independent comparison of lanes (model, seed) and returns its exported lanes. */
  const compare = async (lanes: readonly (readonly [string, number])[]): Promise<Lane[]> => {
    await page.getByLabel('Independent runs: models, seeds or budgets side by side').check();
    for (const [i, [model, seed]] of lanes.entries()) {
      await page.getByLabel(`Lane ${i + 1} model`).fill(model);
      await page.getByLabel(`Lane ${i + 1} thinking budget`).fill('12');
      await page.getByLabel(`Lane ${i + 1} solution budget`).fill('20');
      await page.getByLabel(`Lane ${i + 1} seed`).fill(String(seed));
    }
    await page.getByRole('button', { name: 'Run comparison' }).click();
    await expect(page.getByTestId('compare-status')).toHaveText('Comparison finished.', { timeout: 120_000 });
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    return (JSON.parse(await readFile((await json.path())!, 'utf8')) as { lanes: Lane[] }).lanes;
  };
  await load(page, 'model=/models/scripted-never-close&tab=compare');
  await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is $6 \\times 7$?');
  // Sampled, hot enough that the scripted model's alternative words come up: the seeds matter.
  await page.getByLabel('Temperature').fill('1.5');
  const M = '/models/scripted-never-close';
  const together = await compare([
    [M, 1],
    [M, 2],
  ]);
  // One run for both seeds: every lane carries its stats, fewer model calls than rows.
  for (const l of together) expect(l.outcome.stats!.forwardCalls).toBeLessThan(l.outcome.stats!.rows);
  expect(together[0]!.outcome.thinkingText).not.toBe(together[1]!.outcome.thinkingText);
  // Each seed alone: lane 1 beside another model runs by itself (no batching across models).
  for (const [i, seed] of [1, 2].entries()) {
    const [alone] = await compare([
      [M, seed],
      ['/models/scripted-think48', seed],
    ]);
    expect(alone!.outcome.stats!.forwardCalls).toBe(alone!.outcome.stats!.rows);
    expect({ thinking: alone!.outcome.thinkingText, solution: alone!.outcome.solutionText }).toEqual({
      thinking: together[i]!.outcome.thinkingText,
      solution: together[i]!.outcome.solutionText,
    });
  }
});

test('a link carries the comparison settings, not the outputs', async ({ page }) => {
  await page.goto('/?tab=compare&mode=sweep&budgets=4,9&sweep_s=33&model=/models/scripted-think48&greedy=1');
  await expect(page.getByLabel('Thinking budgets (2–6, comma-separated)')).toHaveValue('4, 9');
  await expect(page.getByLabel('Solution budget for every lane')).toHaveValue('33');
  await expect(page.getByLabel(/^Greedy/)).toBeChecked();
  await expect(page.getByText('Set up a comparison and press Run comparison.', { exact: false })).toBeVisible();
});
