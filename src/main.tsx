import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { injectFault, requestProbe } from './app/actions.ts';
import { injectConvertFault } from './app/convert-client.ts';
import { guardUnload, recoverInterrupted, watchSingleRuns } from './app/history-actions.ts';
import { applyUrl } from './app/url-settings.ts';
import { modelStore } from './state/model-store.ts';
import { App } from './ui/App.tsx';
import { ErrorBoundary } from './ui/ErrorBoundary.tsx';
import { preloadRenderer } from './ui/markdown/lazy.ts';
import { breakRendering, RenderFault } from './ui/RenderFault.tsx';
import { SettingsNotice } from './ui/SettingsNotice.tsx';
import './ui/app.css';

// Settings can come from the URL (?model=…&device=…&dtype=…&t=…&s=…, or a comparison's link).
const initialTab = applyUrl(location.search);
requestProbe();
watchSingleRuns();
// A warning before closing mid-run; what had streamed is kept and enters the history next visit.
guardUnload();
void recoverInterrupted();

// An evaluation a reload, a crash or a closed tab interrupted resumes; its code loads once the
// page is idle, so it is not part of what loads before the first interaction.
const idle = (f: () => void) => ('requestIdleCallback' in window ? requestIdleCallback(f) : setTimeout(f, 200));
idle(() => void import('./app/evaluate.ts').then((m) => m.restoreEvaluation()));

// The Markdown + KaTeX renderer is not part of the first paint: it loads with the first model load
// (output follows it), or with the first view that shows stored output (History, an evaluation).
const stopWatching = modelStore.subscribe((s) => {
  if (s.status === 'idle') return;
  stopWatching();
  preloadRenderer();
});

const model = new URLSearchParams(location.search).get('model') ?? '';
const showTestModels = import.meta.env.DEV || model.startsWith('/models/') || location.search.includes('testModels');
// e2e tests provoke real faults (a crashed worker, a lost GPU) through this handle.
if (showTestModels) {
  (window as Window & { __elasticTest?: unknown }).__elasticTest = {
    injectFault,
    injectConvertFault,
    breakRendering,
  };
}
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      {showTestModels && <RenderFault />}
      <SettingsNotice />
      <App showTestModels={showTestModels} initialTab={initialTab} />
    </ErrorBoundary>
  </StrictMode>,
);
