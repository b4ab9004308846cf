// Shared fixtures for every e2e test. Import `test` and `expect` from here, not from @playwright/test.
//
// - Offline guard (automatic): every request the browser context makes — pages and workers alike —
//   that is not for localhost is aborted and recorded; the test fails at the end if there was any.
//   The app must run entirely from its own origin (self-hosted ORT runtime, same-origin models).
// - Console errors (automatic): console.error and uncaught exceptions from the page and its
//   workers are collected into `consoleErrors`; the test fails at the end if there are any not
//   matched by the `allowedConsoleErrors` option (`test.use({ allowedConsoleErrors: [/…/] })`).
//   A test that expects errors can read and clear the array itself.
// - Content-Security-Policy (automatic): `vite preview` serves the production headers
//   (public/_headers); every violation — a securitypolicyviolation event in a page, or the
//   browser's "Refused to …" report from a page or a worker — fails the test, whatever the test
//   allows in `allowedConsoleErrors`.
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
  /** Content-Security-Policy violations. Must be empty when the test ends. */
  cspViolations: string[];
}

export interface E2EOptions {
  /** Console errors matching any of these do not fail the test. */
  allowedConsoleErrors: RegExp[];
  /**
   * Foreign https hosts the test stands in for: their requests are answered from this server
   * (same path, CORS allowed) instead of being blocked — e.g. a link to a model on another site.
   */
  standInHosts: string[];
}

/** Aborts and records every request that would leave localhost; returns a check for the end of the test. */
async function guardNetwork(context: BrowserContext, blocked: string[], standIns: readonly string[], baseURL: string): Promise<() => string[]> {
  // Context-level routes see requests from every page and from dedicated workers (fetch, importScripts).
  const routed = new Set<string>(); // never cleared: a test may empty `blocked` to accept its entries
  await context.route(
    (url) => !isLocalUrl(url.href),
    async (route) => {
      const entry = `${route.request().method()} ${route.request().url()}`;
      routed.add(entry);
      const u = new URL(route.request().url());
      if (u.protocol === 'https:' && standIns.includes(u.host)) {
        const response = await route.fetch({ url: new URL(u.pathname + u.search, baseURL).href });
        return route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
      }
      blocked.push(entry);
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
  // Second line of defence: non-local requests the routes did not see (the 'request' event fires
  // before the route handler, so compare at the end).
  const seen: string[] = [];
  context.on('request', (req) => {
    if (!isLocalUrl(req.url())) seen.push(`${req.method()} ${req.url()}`);
  });
  return () => seen.filter((r) => !routed.has(r)).map((r) => `${r} (not routed)`);
}

export const test = base.extend<E2EFixtures & E2EOptions>({
  allowedConsoleErrors: [[], { option: true }],
  standInHosts: [[], { option: true }],

  blockedRequests: [
    async ({ context, standInHosts, baseURL }, use) => {
      const blocked: string[] = [];
      const unrouted = await guardNetwork(context, blocked, standInHosts, baseURL!);
      await use(blocked);
      expect([...blocked, ...unrouted()], 'requests that tried to leave localhost').toEqual([]);
    },
    { auto: true },
  ],

  cspViolations: [
    async ({ context }, use) => {
      const violations: string[] = [];
      await context.exposeBinding('__e2eCspViolation', (_source, report: string) => void violations.push(report));
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          const report = (window as unknown as { __e2eCspViolation: (r: string) => void }).__e2eCspViolation;
          report(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
        });
      });
      // Workers have no init scripts: their violations reach the console.
      context.on('console', (msg) => {
        if (/Content Security Policy|Refused to (load|execute|connect|create|evaluate|compile|apply)/i.test(msg.text())) {
          violations.push(`[console${msg.worker() ? ` worker ${msg.worker()!.url()}` : ''}] ${msg.text()}`);
        }
      });
      await use(violations);
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
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
      // Uncaught exceptions and unhandled rejections in pages and in their workers (both are
      // reported with the page's URL).
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
