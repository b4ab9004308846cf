// What the model panel says about faults: a lost worker or GPU (with a reload), and the way out of
// a load (cancel).
import { useStore } from 'zustand';
import { cancelLoad, confirmDownload, declineDownload, requestReload } from '../app/actions.ts';
import { modelStore } from '../state/model-store.ts';
import { formatBytes } from './format.ts';

export function ModelNotices() {
  const lost = useStore(modelStore, (s) => s.lost);
  const loading = useStore(modelStore, (s) => s.status === 'loading');
  const consent = useStore(modelStore, (s) => s.consent);
  return (
    <>
      {consent && (
        <div className="warning" role="alertdialog" aria-label="Download from another site?" data-testid="download-consent">
          <p>
            <strong>{consent.modelId}</strong> would be downloaded from <strong data-testid="consent-host">{consent.host}</strong>, a site
            this app does not vouch for.{' '}
            <span data-testid="consent-size">
              {consent.size === null
                ? 'Checking its size…'
                : 'error' in consent.size
                  ? `Its size could not be checked (${consent.size.error}).`
                  : `${formatBytes(consent.size.bytes)} in ${consent.size.files} files.`}
            </span>
          </p>
          <button type="button" className="primary" onClick={() => confirmDownload()}>
            Download
          </button>{' '}
          <button type="button" className="secondary" onClick={declineDownload}>
            Cancel
          </button>
        </div>
      )}
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
