import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { requestProbe } from './app/actions.ts';
import { watchSingleRuns } from './app/history-actions.ts';
import { applyUrl } from './app/url-settings.ts';
import { App } from './ui/App.tsx';
import './ui/app.css';

// Settings can come from the URL (?model=…&device=…&dtype=…&t=…&s=…, or a comparison's link).
const initialTab = applyUrl(location.search);
requestProbe();
watchSingleRuns();

// An evaluation a reload, a crash or a closed tab interrupted resumes; its code loads once the
// page is idle, so it is not part of what loads before the first interaction.
const idle = (f: () => void) => ('requestIdleCallback' in window ? requestIdleCallback(f) : setTimeout(f, 200));
idle(() => void import('./app/evaluate.ts').then((m) => m.restoreEvaluation()));

const model = new URLSearchParams(location.search).get('model') ?? '';
const showTestModels = import.meta.env.DEV || model.startsWith('/models/') || location.search.includes('testModels');
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App showTestModels={showTestModels} initialTab={initialTab} />
  </StrictMode>,
);
