// E1 in one click, against a Hub-like server: the page opens on the E1 preset; "Get" shows the
// plan (download, stored size, time at the measured rate, free quota); confirming converts with
// progress and loads; Run works; a second visit loads from this browser with no source request.
//
// The Hub here is a minimal stand-in inside this spec (Playwright routes on this origin's /hub/,
// opened with ?hub=/hub): the tree API lists test-models/tiny-qwen2-src under E1's repo name,
// `resolve/` answers 302 with X-Linked-Size like the Hub, to a CDN path (the app's test-model
// folder, which answers Range with the whole file: the converter reads such a file once).
// (A fuller Hub-like server for benchmarks is being written in tools/ on another branch.)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Route } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const REPO = 'Salesforce/E1-Math-1.5B';
const CHECKPOINT = join(process.cwd(), 'test-models/tiny-qwen2-src');
const CDN = '/models/tiny-qwen2-src';

function hubLike() {
  const files = readdirSync(CHECKPOINT).filter((f) => statSync(join(CHECKPOINT, f)).isFile());
  return async (route: Route) => {
    const url = new URL(route.request().url());
    if (url.pathname === `/hub/api/models/${REPO}/tree/main`) {
      const list = files.map((f) => {
        const size = statSync(join(CHECKPOINT, f)).size;
        return f.endsWith('.safetensors') ? { type: 'file', path: f, size: 134, lfs: { size, oid: 'x', pointerSize: 134 } } : { type: 'file', path: f, size };
      });
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(list) });
    }
    const resolve = url.pathname.match(new RegExp(`^/hub/${REPO}/resolve/main/(.+)$`));
    if (resolve && files.includes(decodeURIComponent(resolve[1]!))) {
      // Like the Hub: LFS files redirect to a CDN (here the app's own test-model folder, a real server).
      const name = decodeURIComponent(resolve[1]!);
      return route.fulfill({
        status: 302,
        headers: { location: `${CDN}/${encodeURIComponent(name)}`, 'x-linked-size': String(statSync(join(CHECKPOINT, name)).size) },
      });
    }
    return route.fulfill({ status: 404, body: 'not found' });
  };
}

test('E1 in one click on a Hub-like server: plan, confirm, convert, loaded, Run; a second visit loads with no source request', async ({ page }, info) => {
  // Every request for the source, the Hub stand-in's and its CDN's alike.
  // Converting and loading the tiny checkpoint twice on SwiftShader (a CPU WebGPU) takes minutes.
  test.setTimeout(600_000);
  const hits: string[] = [];
  page.context().on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/hub/') || path.startsWith(`${CDN}/`)) hits.push(`${r.method()} ${path}`);
  });
  await page.context().route(/\/hub\//, hubLike());
  await page.setViewportSize({ width: 1280, height: 800 });
  // A short prompt: the tiny q4 graph prefills slowly on SwiftShader.
  await page.goto('/?hub=/hub&t=1&s=1&greedy=1&suffix=0&problem=2%2B2');
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Preset' })).toHaveValue('e1');

  // One click: the plan, before anything large is downloaded.
  await page.getByRole('button', { name: 'Get E1-Math-1.5B' }).click();
  const plan = page.getByTestId('oneclick-plan');
  await expect(plan).toContainText(/Download 12\.\d MB from Salesforce\/E1-Math-1\.5B \(Hub mirror \/hub\), keep about [\d.]+ MB \(q4\) in this browser/);
  await expect(plan).toContainText(/about \d+ s to download at the measured [\d.]+ [kMG]?B\/s/);
  await expect(plan).toContainText(/Free for this site: [\d.]+ [kMG]?B of [\d.]+ [kMG]?B; converting needs about [\d.]+ MB/);
  expect(hits).toContain(`GET /hub/api/models/${REPO}/tree/main`);
  expect(hits.some((h) => h.startsWith(`GET ${CDN}/`))).toBe(true); // redirected like the Hub
  await page.screenshot({ path: info.outputPath('1-plan.png') });

  // Confirm: converts with progress, then loads — no other step.
  await page.getByRole('button', { name: 'Convert and load' }).click();
  await expect(page.getByTestId('convert-progress').first()).toBeVisible();
  await expect(page.getByText(/^Ready:/)).toContainText(`/converted/${REPO}`, { timeout: 120_000 });
  await expect(page.getByTestId('dtype')).toHaveText('q4');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('stats')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('thinking-count')).toHaveText('1 / 1 tokens');
  await page.screenshot({ path: info.outputPath('2-loaded-and-run.png') });

  // A second visit: "Load" from this browser, and nothing is asked of the source.
  hits.length = 0;
  await page.reload();
  await expect(page.getByText(/^GPU:/)).toBeVisible();
  await expect(page.getByTestId('oneclick')).toContainText('E1-Math-1.5B is stored in this browser (q4');
  await page.screenshot({ path: info.outputPath('3-second-visit.png') });
  await page.getByRole('button', { name: 'Load E1-Math-1.5B' }).click();
  await expect(page.getByText(/^Ready:/)).toContainText('loaded from cache', { timeout: 150_000 });
  expect(hits).toEqual([]);
});
