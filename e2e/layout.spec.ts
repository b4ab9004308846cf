// The first screen: once a model is loaded, the sliders, Run and both panes' headers are inside
// the viewport without scrolling — on a laptop (1280×800) and on a phone (390×844, where the
// sliders sit directly above the panes) — before and after a run.
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const VIEWPORTS = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function inViewport(page: Page, what: Record<string, Locator>) {
  const vp = page.viewportSize()!;
  expect(await page.evaluate(() => window.scrollY), 'the page is not scrolled').toBe(0);
  for (const [name, loc] of Object.entries(what)) {
    const box = await loc.boundingBox();
    expect(box, `${name} is rendered`).not.toBeNull();
    expect(box!.y, `${name} top`).toBeGreaterThanOrEqual(0);
    expect(box!.x, `${name} left`).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height, `${name} bottom (viewport ${vp.height})`).toBeLessThanOrEqual(vp.height);
    expect(box!.x + box!.width, `${name} right (viewport ${vp.width})`).toBeLessThanOrEqual(vp.width);
  }
}

const controls = (page: Page) => ({
  'thinking slider': page.getByLabel('Thinking budget slider'),
  'solution slider': page.getByLabel('Solution budget slider'),
  'budget presets': page.getByRole('group', { name: 'Budget presets from the paper' }),
  Run: page.getByRole('button', { name: 'Run', exact: true }),
  Stop: page.getByRole('button', { name: 'Stop', exact: true }),
  'thinking header': page.getByRole('heading', { name: 'Thinking', exact: true }),
  'solution header': page.getByRole('heading', { name: 'Solution', exact: true }),
});

async function shot(page: Page, info: TestInfo, name: string) {
  // The viewport, as a user sees it without scrolling.
  await page.screenshot({ path: info.outputPath(`${name}.png`) });
}

for (const vp of VIEWPORTS) {
  test(`${vp.name} ${vp.width}×${vp.height}: sliders, Run and both panes on the first screen, before and after a run`, async ({ page }, info) => {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.goto('/?model=/models/scripted-think48&greedy=1&t=100&s=100&problem=What%20is%20%246%20%5Ctimes%207%24%3F');
    await expect(page.getByText(/^GPU:/)).toBeVisible();
    await page.getByRole('button', { name: 'Load model' }).click();
    await expect(page.getByText(/^Ready:/)).toBeVisible({ timeout: 120_000 });
    // Loaded: the model panel is one line (model · device · weights · change).
    await expect(page.getByRole('region', { name: 'Model' })).toContainText('webgpu');
    await expect(page.getByRole('button', { name: 'Change model' })).toBeVisible();
    await expect(page.getByLabel('Model id or URL')).toHaveCount(0);
    await inViewport(page, controls(page));
    if (vp.name === 'phone') {
      // The sliders sit directly above the panes.
      const slider = (await page.getByLabel('Solution budget slider').boundingBox())!;
      const run = (await page.getByRole('button', { name: 'Run', exact: true }).boundingBox())!;
      const pane = (await page.getByRole('heading', { name: 'Thinking', exact: true }).boundingBox())!;
      expect(slider.y).toBeLessThan(run.y);
      expect(run.y).toBeLessThan(pane.y);
      expect(pane.y - (slider.y + slider.height)).toBeLessThan(200);
    }
    await shot(page, info, `${vp.name}-1-loaded`);

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByTestId('stats')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('thinking-end')).toHaveText('closed by the model');
    await inViewport(page, controls(page));
    // On a laptop the panes show their first lines, not only their headers.
    if (vp.name === 'laptop') await inViewport(page, {
      'thinking text': page.getByTestId('thinking-text').locator('p, .katex').first(),
      'solution text': page.getByTestId('solution-text').locator('p, .katex').first(),
    });
    await shot(page, info, `${vp.name}-2-after-run`);

    // "Change model" unfolds the panel; keeping the loaded model folds it again.
    await page.getByRole('button', { name: 'Change model' }).click();
    await expect(page.getByRole('combobox', { name: 'Preset' })).toBeVisible();
    await page.getByRole('button', { name: 'Keep the loaded model' }).click();
    await expect(page.getByRole('button', { name: 'Change model' })).toBeVisible();
  });
}
