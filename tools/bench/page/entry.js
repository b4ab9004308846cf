// Plain JS (the tools tsconfig has no JSX for src/main.tsx). The app as shipped (src/main.tsx), plus a handle on the run store's event actions, so the
// streaming bench (tools/bench/page.ts) can feed tokens at a set rate without a model.
import '../../../src/main.tsx';
import { runRequested, runStarted, tokensReceived } from '../../../src/state/run-store.ts';
import { renderer } from '../../../src/ui/markdown/lazy.ts';

// The renderer's chunk loads with a model load in the app; the bench has no model, so it loads it first.
window.__bench = { runRequested, runStarted, tokensReceived, loadRenderer: () => renderer.load() };
