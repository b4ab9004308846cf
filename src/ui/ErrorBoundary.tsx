// The last line of defence: a render error shows what failed and a way out (reset the settings —
// the usual culprit — keeping the history), never a blank page.
import { Component, type ReactNode } from 'react';
import { COMPARE_SETTINGS_KEY } from '../state/compare-store.ts';
import { SETTINGS_KEY } from '../state/settings-store.ts';

interface State {
  readonly error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown): void {
    console.error('The app failed to render:', error);
  }

  private resetSettings = () => {
    // Settings only: the history lives in IndexedDB and is kept; converted models stay cached.
    for (const key of [SETTINGS_KEY, COMPARE_SETTINGS_KEY]) localStorage.removeItem(key);
    location.assign(location.pathname);
  };

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="app">
        <section className="panel" role="alert" aria-label="Something went wrong">
          <h2>Something went wrong</h2>
          <p>The page could not be drawn: {error.message}</p>
          <p className="muted">
            Resetting the settings (problem text, budgets, model choice) usually fixes this. Your history and downloaded models are
            kept.
          </p>
          <div className="row">
            <button type="button" className="primary" onClick={this.resetSettings}>
              Reset settings and reload
            </button>
            <button type="button" className="secondary" onClick={() => location.reload()}>
              Reload
            </button>
          </div>
        </section>
      </div>
    );
  }
}
