// The paper's table end to end, on the scripted models: they always answer \boxed{42}, so on a
// 3-problem set whose references are 42, 7 and 1/2 every sample is right on exactly one problem.
// T 0.6 / top-p 0.95 (the defaults) keep only the scripted token (p ≈ 0.966), so every sample of
// a model says the same: exact accuracies and token means.
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const THREE = [
  { id: 'right', problem: 'What is $6 \\times 7$?', answer: '42' },
  { id: 'wrong-1', problem: 'What is $3 + 4$?', answer: '7' },
  { id: 'wrong-2', problem: 'What is half of one?', answer: '\\frac{1}{2}' },
];
const MODELS = ['/models/scripted-think48', '/models/scripted-never-close'] as const;

// Tokens as the paper counts them: thinking (a cut adds the appended </think>) + solution (18
// scripted words + EOS = 19). think48 closes by itself after 48 words (49 tokens with its
// </think>); never-close is cut at every budget. Accuracy: per-problem means 1, 0, 0 → 33.3 %,
// SE sd(1, 0, 0) / √3 = 33.3 %.
const ACC = '33.3% ± 33.3%';
const EXPECTED = [
  [MODELS[0], '16 + 32', ACC, '36', '17', '19', '3 × 2'],
  [MODELS[0], '64 + 32', ACC, '68', '49', '19', '3 × 2'],
  [MODELS[1], '16 + 32', ACC, '36', '17', '19', '3 × 2'],
  [MODELS[1], '64 + 32', ACC, '84', '65', '19', '3 × 2'],
];

test.setTimeout(420_000);

// WASM: the scripted graph is tiny, and ORT's WASM backend runs it far faster than WebGPU on
// SwiftShader (the decode loop, sweep and grading are the same on either device).
const PAGE = '/?tab=evaluate&device=wasm';

async function setUp(page: Page) {
  await page.goto(PAGE);
  await page.getByLabel('Problem set').selectOption('custom');
  await page.getByLabel(/^Problems file/).setInputFiles({ name: 'three.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(THREE)) });
  await page.getByLabel('All of the set').check();
  await page.getByLabel('Samples per problem (k)').fill('2');
  await page.getByLabel('Evaluation seed').fill('7');
  await page.getByLabel(/^Models \(one per line/).fill(MODELS.join('\n'));
  await page.getByLabel(/^Thinking budgets/).fill('16, 64');
  await page.getByLabel('Solution budget', { exact: true }).fill('32');
  await page.getByRole('button', { name: 'Run evaluation' }).click();
}

async function expectTable(page: Page) {
  const rows = page.getByTestId('eval-table').locator('tbody tr');
  await expect(rows).toHaveCount(4);
  for (const [i, cells] of EXPECTED.entries()) await expect(rows.nth(i).locator('th, td')).toHaveText(cells);
}

const finished = (page: Page) => expect(page.getByTestId('eval-status')).toHaveText(/^Finished: 12 of 12 samples/, { timeout: 300_000 });

test('Avg@k table, plot, drill-down, CSV, JSON export and import', async ({ page }, info) => {
  await setUp(page);
  await finished(page);
  await expectTable(page);
  await expect(page.getByTestId('paper-table')).toContainText('E1-Math-1.5B');
  await expect(page.getByTestId('paper-table')).toContainText('3377');

  // The plot: one line per model, the paper's points for reference.
  const plot = page.getByTestId('eval-plot').locator('svg[aria-label="Accuracy against mean tokens"]');
  await expect(plot).toBeVisible();
  await expect(plot.locator('[aria-description="measured points"] circle')).toHaveCount(4);
  await expect(plot.locator('[aria-description="paper points"] circle')).toHaveCount(10);
  await expect(plot.locator('[aria-description="measured points"] circle[aria-label]').first()).toHaveAttribute('aria-label', `${MODELS[0]}, t 16: 33.3% at 36 tokens`);
  await page.screenshot({ path: info.outputPath('evaluate.png'), fullPage: true });

  // Drill-down from a table cell: every sample of think48 at t = 64, with its full texts.
  await page.getByRole('button', { name: `Samples of ${MODELS[0]} at t = 64` }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('details')).toHaveCount(6);
  await dialog.locator('details summary').first().click();
  await expect(dialog.locator('details').first()).toContainText('Thinking (49 tokens, closed by the model)');
  await expect(dialog.locator('details').first()).toContainText('(thought: 48 tokens)');
  await page.screenshot({ path: info.outputPath('drill-down.png') });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // …and from the per-problem grid.
  await page.getByText(/^Per problem/).click();
  await page.getByRole('button', { name: `right, ${MODELS[1]}, t 16: 2 of 2 correct` }).click();
  await expect(dialog.locator('details')).toHaveCount(2);
  await dialog.getByRole('button', { name: 'Close' }).click();

  // CSV: one row per model × budget × problem × sample.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const lines = (await readFile((await csv.path())!, 'utf8')).trimEnd().split('\r\n');
  expect(lines).toHaveLength(1 + 2 * 2 * 3 * 2);
  expect(lines[0]).toBe('model,thinking_budget,solution_budget,problem_id,sample,seed,correct,answer,reference,tokens,thinking_tokens,solution_tokens,thinking_end,solution_end');
  expect(new Set(lines.slice(1).map((l) => l.split(',').slice(0, 5).join(','))).size).toBe(24);
  expect(lines.filter((l) => l.includes(',right,') && l.split(',')[6] === '1')).toHaveLength(8);
  expect(lines.filter((l) => l.split(',')[6] === '1')).toHaveLength(8);

  // JSON: exported, then imported into a fresh page, shows the same table.
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const exported = await readFile((await json.path())!, 'utf8');
  await page.goto(PAGE);
  await page.getByLabel('Import an evaluation (JSON)').setInputFiles({ name: 'evaluation.json', mimeType: 'application/json', buffer: Buffer.from(exported) });
  await expect(page.getByTestId('eval-notice')).toHaveText('Imported from evaluation.json.');
  await expectTable(page);

  // A broken file is refused with a reason, and loses nothing.
  await page.getByLabel('Import an evaluation (JSON)').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(exported.replace('"k":2', '"k":0')) });
  await expect(page.getByRole('alert')).toContainText('broken.json is not a valid evaluation: k: expected at least 1');
  await expectTable(page);

  // Kept in History.
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.getByRole('list', { name: 'Evaluations' }).getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('list', { name: 'Evaluations' })).toContainText('finished · 12 of 12 samples');
});

test('a reload in the middle resumes where it stopped and ends with the same table', async ({ page }, info) => {
  await setUp(page);
  const status = page.getByTestId('eval-status');
  await expect(status).toHaveText(/: [3-8] of 12 samples/, { timeout: 300_000 });
  await page.reload();
  await expect(page.getByTestId('eval-notice')).toContainText('Resumed after the page was reloaded', { timeout: 60_000 });
  await finished(page);
  await expectTable(page);
  await page.screenshot({ path: info.outputPath('resumed.png'), fullPage: true });
  // Every sample once: the CSV has exactly the rows of an uninterrupted run.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect((await readFile((await csv.path())!, 'utf8')).trimEnd().split('\r\n')).toHaveLength(25);
});

test('Pause, Resume and Stop', async ({ page }) => {
  await setUp(page);
  const status = page.getByTestId('eval-status');
  await expect(status).toHaveText(/: [1-9]\d* of 12 samples/, { timeout: 300_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(status).toHaveText(/^Paused: \d+ of 12 samples/);
  const paused = Number((await status.textContent())!.match(/(\d+) of 12/)![1]);
  expect(paused).toBeGreaterThan(0);
  expect(paused).toBeLessThan(12);
  await page.getByRole('button', { name: 'Resume' }).click();
  // It goes on from where it paused. The k samples of a problem are decoded together (batched
  // lanes), so the count may step by k: wait for any sample past the pause (waiting for exactly
  // paused + 1 missed it on a fast machine and waited out the finished run).
  const doneNow = async () => Number((await status.textContent())!.match(/(\d+) of 12/)![1]);
  await expect.poll(doneNow, { timeout: 300_000, intervals: [50] }).toBeGreaterThan(paused);
  await page.getByRole('button', { name: 'Stop evaluation' }).click();
  await expect(status).toHaveText(/^Stopped: \d+ of 12 samples/);
  // Samples run model by model, problem by problem: the first row covers what is graded so far
  // (problem "right" only: 100 %; then "wrong-1": 50 % ± 50 %; then all three).
  const done = Number((await status.textContent())!.match(/(\d+) of 12/)![1]);
  const first = done <= 2 ? '100.0%' : done <= 4 ? '50.0% ± 50.0%' : ACC;
  await expect(page.getByTestId('eval-table').locator('tbody tr').first().locator('td').nth(1)).toHaveText(first);
});

test('a second tab never runs the same evaluation: it shows it running there, and takes over once that tab is gone', async ({ page, context }, info) => {
  await setUp(page);
  await expect(page.getByTestId('eval-status')).toHaveText(/: [1-8] of 12 samples/, { timeout: 300_000 });
  // A second tab of the app finds the evaluation kept as running: the first tab holds its Web Lock.
  const second = await context.newPage();
  await second.goto(PAGE);
  const status = second.getByTestId('eval-status');
  await expect(status).toHaveText(/^Running in another tab: \d+ of 12 samples/, { timeout: 60_000 });
  await expect(second.getByTestId('eval-notice')).toContainText('running in another tab of this app');
  await expect(second.getByRole('button', { name: 'Stop evaluation' })).toBeDisabled();
  await second.getByRole('button', { name: 'Resume' }).click();
  await expect(status).toHaveText(/^Running in another tab/);
  await expect(page.getByTestId('eval-status')).toHaveText(/^Running/);
  await second.screenshot({ path: info.outputPath('running-elsewhere.png'), fullPage: true });

  // The first tab closes mid-evaluation (its lock goes with it): the second takes over from what the
  // first kept (not from the copy it showed), every sample once.
  const count = async (p: Page) => Number((await p.getByTestId('eval-status').textContent())!.match(/(\d+) of 12/)![1]);
  const shownHere = await count(second);
  await expect.poll(() => count(page), { timeout: 300_000 }).toBeGreaterThan(shownHere);
  const doneThere = await count(page);
  expect(doneThere).toBeLessThan(12);
  await page.close();
  // The browser frees the closed tab's lock a moment later: until then Resume says it runs elsewhere.
  await expect(async () => {
    await second.getByRole('button', { name: 'Resume' }).click();
    await expect(second.getByTestId('eval-notice')).toHaveText(/^Taken over from another tab: (\d+) of 12 samples were done there\.$/, { timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  const takenOver = Number((await second.getByTestId('eval-notice').textContent())!.match(/(\d+) of 12/)![1]);
  expect(takenOver).toBeGreaterThanOrEqual(doneThere);
  await finished(second);
  await expectTable(second);
  const [csv] = await Promise.all([second.waitForEvent('download'), second.getByRole('button', { name: 'Export CSV' }).click()]);
  expect((await readFile((await csv.path())!, 'utf8')).trimEnd().split('\r\n')).toHaveLength(25);
});
