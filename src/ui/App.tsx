import { lazy, Suspense, useEffect, useState } from 'react';
import { requestRun, requestStop } from '../app/actions.ts';
import type { Tab } from '../app/url-settings.ts';
import { activity } from '../app/busy.ts';
import { BudgetPanel } from './BudgetPanel.tsx';
import { ComparePanel } from './CompareInputs.tsx';
import { CompareResults } from './CompareResults.tsx';
import { HistoryView } from './HistoryView.tsx';
import { preloadRenderer } from './markdown/lazy.ts';
import { ModelPanel } from './ModelPanel.tsx';
import { OutputView } from './OutputView.tsx';
import { ProblemPanel } from './ProblemPanel.tsx';
import { RunPanel } from './RunPanel.tsx';
import { SamplingPanel } from './SamplingPanel.tsx';

// The Evaluate tab's code (and through it the data sets and the chart library) loads on demand.
const EvaluatePanel = lazy(() => import('./EvaluateView.tsx').then((m) => ({ default: m.EvaluatePanel })));
const EvaluateResults = lazy(() => import('./EvaluateView.tsx').then((m) => ({ default: m.EvaluateResults })));
const loading = <p className="muted">Loading…</p>;

const TABS: readonly { id: Tab; label: string }[] = [
  { id: 'run', label: 'Run' },
  { id: 'compare', label: 'Compare' },
  { id: 'evaluate', label: 'Evaluate' },
  { id: 'history', label: 'History' },
];

export function App({ showTestModels, initialTab }: { showTestModels: boolean; initialTab: Tab }) {
  const [tab, setTab] = useState<Tab>(initialTab);
  // The other tabs show kept output (History opens records in Compare): the renderer's chunk
  // starts loading when one is chosen, so an opened record does not show its plain text first.
  useEffect(() => {
    if (tab !== 'run') preloadRenderer();
  }, [tab]);
  useEffect(() => {
    // Ctrl/Cmd+Enter runs, Escape stops — single runs only, never a comparison's or evaluation's.
    const onKey = (e: KeyboardEvent) => {
      const busy = activity();
      if (tab !== 'run' || busy === 'comparison' || busy === 'evaluation') return;
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        requestRun();
      } else if (e.key === 'Escape') {
        requestStop();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [tab]);
  return (
    <div className="app">
      <header className="top">
        <h1>Elastic Reasoning</h1>
        <p className="muted tagline">
          Budgeted thinking for E1-Math-1.5B, in your browser on WebGPU. Thinking stops at <code>&lt;/think&gt;</code> or the
          thinking budget; the solution gets its own budget.
        </p>
        <nav className="tabs" role="tablist" aria-label="Views">
          {TABS.map((t) => (
            <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'tab active' : 'tab'} onClick={() => setTab(t.id)}>
              {t.label}
            </button>
          ))}
        </nav>
      </header>
      <ModelPanel showTestModels={showTestModels} />
      {tab === 'run' ? (
        // Problem, budgets and Run beside the split view on a wide screen; on a phone the sliders
        // sit directly above the panes, sampling below them.
        <main className="run-layout">
          <div className="area-problem">
            <ProblemPanel />
          </div>
          <div className="area-budgets">
            <BudgetPanel />
            <RunPanel />
          </div>
          <div className="area-output results" role="tabpanel" aria-label="Run">
            <OutputView />
          </div>
          <div className="area-sampling">
            <SamplingPanel />
          </div>
        </main>
      ) : (
        <main>
          <div className="controls">
            {tab === 'compare' && <ProblemPanel />}
            {tab === 'compare' && <ComparePanel />}
            {tab === 'evaluate' && (
              <Suspense fallback={loading}>
                <EvaluatePanel />
              </Suspense>
            )}
            {tab !== 'history' && <SamplingPanel />}
          </div>
          <div className="results" role="tabpanel" aria-label={TABS.find((t) => t.id === tab)!.label}>
            {tab === 'compare' && <CompareResults />}
            {tab === 'evaluate' && (
              <Suspense fallback={loading}>
                <EvaluateResults />
              </Suspense>
            )}
            {tab === 'history' && <HistoryView onOpen={() => setTab('compare')} onOpenEvaluation={() => setTab('evaluate')} />}
          </div>
        </main>
      )}
    </div>
  );
}
