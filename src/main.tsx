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

const model = new URLSearchParams(location.search).get('model') ?? '';
const showTestModels = import.meta.env.DEV || model.startsWith('/models/') || location.search.includes('testModels');
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App showTestModels={showTestModels} initialTab={initialTab} />
  </StrictMode>,
);
