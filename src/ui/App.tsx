import { useEffect } from 'react';
import { requestRun, requestStop } from '../app/actions.ts';
import { BudgetPanel } from './BudgetPanel.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { OutputView } from './OutputView.tsx';
import { ProblemPanel } from './ProblemPanel.tsx';
import { RunPanel } from './RunPanel.tsx';
import { SamplingPanel } from './SamplingPanel.tsx';

export function App({ showTestModels }: { showTestModels: boolean }) {
  useEffect(() => {
    // Ctrl/Cmd+Enter runs, Escape stops.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        requestRun();
      } else if (e.key === 'Escape') {
        requestStop();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="app">
      <header className="top">
        <h1>Elastic Reasoning</h1>
        <p className="muted">
          Budgeted thinking for E1-Math-1.5B, in your browser on WebGPU. Thinking stops at <code>&lt;/think&gt;</code> or the
          thinking budget; the solution gets its own budget.
        </p>
      </header>
      <main>
        <div className="controls">
          <ModelPanel showTestModels={showTestModels} />
          <ProblemPanel />
          <BudgetPanel />
          <SamplingPanel />
        </div>
        <div className="results">
          <RunPanel />
          <OutputView />
        </div>
      </main>
    </div>
  );
}
