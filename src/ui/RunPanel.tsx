import { useState } from 'react';
import { useStore } from 'zustand';
import { requestRun, requestStop } from '../app/actions.ts';
import { modelStore } from '../state/model-store.ts';
import { isActive, runStore } from '../state/run-store.ts';
import { recutRunning, recutStore } from '../state/recut-store.ts';
import { Alert } from './Alert.tsx';

export function RunPanel() {
  const ready = useStore(modelStore, (s) => s.status === 'ready');
  const active = useStore(runStore, (s) => isActive(s.run));
  const recutting = useStore(recutStore, () => recutRunning());
  const stopping = useStore(runStore, (s) => s.run?.status === 'stopping');
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div className="runbar">
      <button
        type="button"
        className="primary"
        disabled={active || recutting}
        onClick={() => setMessage(requestRun())}
        title={ready ? 'Generate with these settings (Ctrl+Enter)' : 'Load a model first'}
      >
        Run
      </button>
      <button type="button" disabled={!active || stopping} onClick={requestStop}>
        {stopping ? 'Stopping…' : 'Stop'}
      </button>
      <Alert message={message} />
    </div>
  );
}
