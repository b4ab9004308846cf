// Item 2.5 in the browser (`chromium-convert`): the app's own converter ("Convert another
// checkpoint", Hub repo source) converts a checkpoint in headless Chromium from the Hub-like server
// (tools/hub-server.ts: resolve/ answers 302 with X-Linked-Size, the CDN serves ranged reads), then
// the page is reloaded and the conversion loaded from Cache Storage on WASM and 16 tokens decoded.
//
// The production CSP lets the page fetch only same-origin and https: the bench server serves the
// production build and forwards /hub/ to the Hub-like server and /cdn/ to its CDN, and the Hub's
// 302 Location is a /cdn/ path; the page is opened with ?hub=/hub (the app's same-origin mirror).
// Peak memory: the sum of VmRSS of every Chromium process, sampled every 100 ms (rssSampler).
// A persistent profile (launchChromium): Cache Storage refuses > 1 GB in an incognito-like context.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { startHubServer } from '../hub-server.ts';
import { ROOT } from '../standin/standin.ts';
import { launchChromium, rssSampler, serveBench } from './chromium-items.ts';
import { round } from './measure.ts';

type Log = (s: string) => void;

const REPO = 'Salesforce/E1-Math-1.5B';
const CONVERTED = `/converted/${REPO}`;
const GiB = (b: number) => round(b / 2 ** 30, 2);

/** Waits for `done` or the page's first error alert; throws with the alert's text. */
async function until(page: Page, done: string | RegExp, timeout: number, what: string) {
  const ok = page.getByText(done).first();
  const failed = page.getByRole('alert').first();
  await Promise.race([ok.waitFor({ timeout }), failed.waitFor({ timeout })]);
  if (!(await ok.isVisible())) throw new Error(`${what} failed: ${await failed.textContent()}`);
}

export async function convertInChromium(opts: { source: string; dtype: 'q8' | 'q4'; tokens: number; port: number; log: Log }) {
  const { log } = opts;
  const dist = join(ROOT, '.cache', 'bench', 'hub-convert-dist');
  log('chromium-convert: building the app (vite build)');
  await build({ root: ROOT, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
  const hub = await startHubServer({ repos: { [REPO]: opts.source }, cdnBase: '/cdn' });
  const server = await serveBench(dist, {}, opts.port, { '/hub/': hub.url, '/cdn/': hub.cdnUrl });
  const origin = `http://localhost:${opts.port}`;
  const browser = await launchChromium();
  const page = browser.page;
  page.on('pageerror', (e) => log(`chromium page error: ${e.message}`));
  try {
    // Converting: the "Convert another checkpoint" panel, the Hub repo through the mirror.
    await page.goto(`${origin}/?hub=/hub&device=wasm`);
    await page.getByText(/^GPU:/).waitFor({ timeout: 120_000 });
    await page.getByText('Convert another checkpoint (Hub repo, URL, files or a folder)').click();
    await page.getByLabel('Source: Hub repo, folder URL or path').fill(REPO);
    for (const d of ['q4f16', 'q4', 'q8', 'fp32'] as const) await page.getByRole('checkbox', { name: new RegExp(`^${d} `) }).setChecked(d === opts.dtype);
    await page.getByRole('button', { name: 'Check source' }).click();
    await until(page, /^Will download/, 300_000, 'checking the source');
    const plan = (await page.getByTestId('convert-plan').textContent())?.replace(/\s+/g, ' ').trim() ?? '';
    log(`chromium-convert: plan: ${plan.slice(0, 300)}`);
    const idle = rssSampler(100);
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = idle.peak;
    idle.stop();
    hub.requests.length = 0;
    hub.bytesServed = 0;
    const convertRss = rssSampler(100);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Convert and store' }).click();
    await until(page, `Converted and stored ${CONVERTED}`, 90 * 60_000, 'converting');
    const convertS = (Date.now() - t0) / 1000;
    convertRss.stop();
    const redirects = hub.requests.filter((r) => r.origin === 'hub' && r.status === 302).length;
    const ranged = hub.requests.filter((r) => r.origin === 'cdn' && r.status === 206).length;
    const bytesRead = hub.bytesServed;
    log(`chromium-convert: converted in ${convertS.toFixed(0)} s, peak browser RSS ${GiB(convertRss.peak)} GiB, ${redirects} redirects, ${ranged} ranged CDN reads, ${GiB(bytesRead)} GiB read`);
    const stored = await page.evaluate(async (id) => {
      const cache = await caches.open('transformers-cache');
      let bytes = 0;
      for (const req of await cache.keys()) if (new URL(req.url).pathname.startsWith(`${id}/`)) bytes += (await (await cache.match(req))!.blob()).size; // disk-backed: not read into memory
      return bytes;
    }, CONVERTED);

    // Loading from Cache Storage after a reload, then 16 tokens on WASM.
    hub.requests.length = 0;
    await page.goto(`${origin}/?device=wasm&dtype=${opts.dtype}&model=${encodeURIComponent(CONVERTED)}`);
    await page.getByText(/^GPU:/).waitFor({ timeout: 120_000 });
    const loadRss = rssSampler(100);
    await page.getByText('Convert another checkpoint (Hub repo, URL, files or a folder)').click();
    const load = page.getByRole('button', { name: `Load ${CONVERTED}` });
    await load.waitFor({ timeout: 60_000 });
    const t1 = Date.now();
    await load.click();
    await until(page, /^Ready:/, 60 * 60_000, 'loading');
    const loadS = (Date.now() - t1) / 1000;
    const ready = (await page.getByText(/^Ready:/).textContent()) ?? '';
    const device = await page.getByTestId('device').textContent();
    const dtype = await page.getByTestId('dtype').textContent();
    log(`chromium-convert: ${ready} (${device} ${dtype}) in ${loadS.toFixed(0)} s`);
    await page.getByRole('textbox', { name: 'Problem', exact: true }).fill('What is 6 times 7?');
    await page.getByLabel('Thinking budget', { exact: true }).fill(String(opts.tokens));
    await page.getByLabel('Solution budget', { exact: true }).fill('0');
    await page.getByLabel(/^Greedy/).check();
    const t2 = Date.now();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByTestId('stats').waitFor({ timeout: 60 * 60_000 });
    const runS = (Date.now() - t2) / 1000;
    loadRss.stop();
    const decoded = (await page.getByTestId('thinking-count').textContent()) ?? '';
    log(`chromium-convert: ran "${decoded}" in ${runS.toFixed(0)} s; peak browser RSS while loading and running ${GiB(loadRss.peak)} GiB`);
    return {
      source: opts.source,
      dtype: opts.dtype,
      plan,
      convert: {
        seconds: Math.round(convertS),
        idleBrowserRssGiB: GiB(idleRss),
        peakBrowserRssGiB: GiB(convertRss.peak),
        redirects,
        rangedCdnReads: ranged,
        bytesReadGiB: GiB(bytesRead),
        storedGiB: GiB(stored),
      },
      loadFromCache: {
        ready,
        device,
        dtype,
        seconds: Math.round(loadS),
        sourceRequests: hub.requests.length,
        peakBrowserRssGiB: GiB(loadRss.peak),
      },
      decode: { thinkingCount: decoded, runSecondsWithPrefill: Math.round(runS) },
    };
  } finally {
    await browser.close();
    server.close();
    await hub.close();
  }
}
