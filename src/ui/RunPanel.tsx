import { useState } from 'react';
import { useStore } from 'zustand';
import { requestRun, requestStop } from '../app/actions.ts';
import { modelStore } from '../state/model-store.ts';
import { runStore } from '../state/run-store.ts';
import { recutRunning, recutStore } from '../state/recut-store.ts';
import { Alert } from './Alert.tsx';
import { useActivity } from './useActivity.ts';

export function RunPanel() {
  const ready = useStore(modelStore, (s) => s.status === 'ready');
  const busy = useActivity();
  const recutting = useStore(recutStore, () => recutRunning());
  const stopping = useStore(runStore, (s) => s.run?.status === 'stopping');
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div className="runbar">
      <button
        type="button"
        className="primary"
        disabled={busy !== null || recutting}
        onClick={() => setMessage(requestRun())}
        title={ready ? 'Generate with these settings (Ctrl+Enter)' : 'Load a model first'}
      >
        Run
      </button>
      {/* The one Stop: whatever runs (a run, a comparison, an evaluation). */}
      <button type="button" disabled={busy === null || busy === 'load' || stopping} onClick={requestStop}>
        {stopping ? 'Stopping…' : 'Stop'}
      </button>
      <Alert message={message} />
    </div>
  );
}
