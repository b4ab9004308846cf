// What the model panel says about faults: a lost worker or GPU (with a reload), and the way out of
// a load (cancel).
import { useStore } from 'zustand';
import { cancelLoad, requestReload } from '../app/actions.ts';
import { modelStore } from '../state/model-store.ts';

export function ModelNotices() {
  const lost = useStore(modelStore, (s) => s.lost);
  const loading = useStore(modelStore, (s) => s.status === 'loading');
  return (
    <>
      {loading && (
        <button type="button" className="secondary" onClick={cancelLoad}>
          Cancel load
        </button>
      )}
      {lost && !loading && (
        <div className="warning" role="alert" data-testid="worker-lost">
          <p>
            {lost.message} The app started a fresh model worker; anything that was running is marked interrupted and keeps what it
            had produced.
          </p>
          {lost.modelId && (
            <button type="button" className="primary" onClick={() => requestReload()}>
              Reload {lost.modelId}
            </button>
          )}
        </div>
      )}
    </>
  );
}
