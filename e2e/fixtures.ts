// Shared fixtures for every e2e test. Import `test` and `expect` from here, not from @playwright/test.
//
// - Offline guard (automatic): every request the browser context makes — pages and workers alike —
//   that is not for localhost is aborted and recorded; the test fails at the end if there was any.
//   The app must run entirely from its own origin (self-hosted ORT runtime, same-origin models).
// - Console errors (automatic): console.error and uncaught exceptions from the page and its
//   workers are collected into `consoleErrors`; the test fails at the end if there are any not
//   matched by the `allowedConsoleErrors` option (`test.use({ allowedConsoleErrors: [/…/] })`).
//   A test that expects errors can read and clear the array itself.
import { test as base, expect, type BrowserContext } from '@playwright/test';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for URLs that stay on this machine (or never hit the network at all). */
export function isLocalUrl(raw: string): boolean {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return LOCAL_HOSTS.has(u.hostname);
}

export interface E2EFixtures {
  /** URLs that tried to leave localhost (aborted). Must be empty when the test ends. */
  blockedRequests: string[];
  /** `[page|worker <url>] message` for each console error and uncaught exception. */
  consoleErrors: string[];
}

export interface E2EOptions {
  /** Console errors matching any of these do not fail the test. */
  allowedConsoleErrors: RegExp[];
}

async function guardNetwork(context: BrowserContext, blocked: string[]): Promise<void> {
  // Context-level routes see requests from every page and from dedicated workers (fetch, importScripts).
  await context.route(
    (url) => !isLocalUrl(url.href),
    (route) => {
      blocked.push(`${route.request().method()} ${route.request().url()}`);
      return route.abort('blockedbyclient');
    },
  );
  await context.routeWebSocket(
    (url) => !isLocalUrl(url.href),
    (ws) => {
      blocked.push(`WS ${ws.url()}`);
      return ws.close();
    },
  );
  // Second line of defence: anything that bypassed routing is still recorded.
  context.on('request', (req) => {
    const url = req.url();
    if (!isLocalUrl(url) && !blocked.some((b) => b.endsWith(` ${url}`))) blocked.push(`${req.method()} ${url} (unrouted)`);
  });
}

export const test = base.extend<E2EFixtures & E2EOptions>({
  allowedConsoleErrors: [[], { option: true }],

  blockedRequests: [
    async ({ context }, use) => {
      const blocked: string[] = [];
      await guardNetwork(context, blocked);
      await use(blocked);
      expect(blocked, 'requests that left localhost (all were aborted)').toEqual([]);
    },
    { auto: true },
  ],

  consoleErrors: [
    async ({ context, allowedConsoleErrors }, use, testInfo) => {
      const errors: string[] = [];
      // The context's console event carries the page's and its workers' messages (msg.worker()).
      context.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const where = msg.worker() ? `worker ${msg.worker()!.url()}` : `page ${msg.page()?.url() ?? '?'}`;
        const loc = msg.location();
        errors.push(`[${where}] ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
      });
      // Uncaught exceptions and unhandled rejections in pages.
      context.on('weberror', (err) => {
        errors.push(`[uncaught ${err.page()?.url() ?? '?'}] ${err.error().stack ?? err.error().message}`);
      });
      await use(errors);
      if (errors.length) await testInfo.attach('console-errors.txt', { body: errors.join('\n'), contentType: 'text/plain' });
      const unexpected = errors.filter((e) => !allowedConsoleErrors.some((re) => re.test(e)));
      expect(unexpected, 'console errors from the page or its workers').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
