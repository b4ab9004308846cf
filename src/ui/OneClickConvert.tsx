// A preset without a web build (E1), in one button: Load when this browser holds its conversion;
// otherwise "Get" shows the plan (download, stored size, time at the measured rate, free quota)
// and, once confirmed, converts with progress and loads — no other step.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { loadConverted, requestCancel, requestOneClickConvert, requestOneClickPlan, requestStoredList } from '../app/convert-client.ts';
import type { ModelPreset } from '../app/presets.ts';
import { convertStore, gpuKnown, planDismissed } from '../state/convert-store.ts';
import { modelStore } from '../state/model-store.ts';
import { ProgressView } from './ConvertPanel.tsx';
import { formatBytes, formatSeconds } from './format.ts';
import { Alert } from './Alert.tsx';

export function OneClickConvert({ preset }: { preset: ModelPreset & { convertedId: string } }) {
  const stored = useStore(convertStore, (s) => s.stored?.find((m) => m.modelId === preset.convertedId) ?? null);
  const listed = useStore(convertStore, (s) => s.stored !== null);
  const status = useStore(convertStore, (s) => s.status);
  const plan = useStore(convertStore, (s) => (s.plan?.modelId === preset.convertedId ? s.plan : null));
  // Only this preset's errors: the detailed converter below shares the store and shows its own.
  const error = useStore(convertStore, (s) => (!s.picked && s.sourceText.trim() === preset.modelId ? s.error : null));
  const probe = useStore(modelStore, (s) => s.probe);
  const loading = useStore(modelStore, (s) => s.status === 'loading');
  const name = preset.label.replace(/ \(.*\)$/, '');

  useEffect(() => {
    requestStoredList();
  }, []);
  useEffect(() => {
    if (probe) gpuKnown(probe.shaderF16);
  }, [probe]);

  const busy = status === 'converting' || status === 'cancelling';
  if (stored && stored.problems.length === 0 && !busy) {
    return (
      <div className="oneclick" data-testid="oneclick">
        <p className="note">
          {name} is stored in this browser ({stored.dtypes.join(', ')} · {formatBytes(stored.bytes)}): it loads offline.
        </p>
        <button type="button" className="primary" disabled={loading} onClick={() => loadConverted(preset.convertedId)}>
          {loading ? 'Loading…' : `Load ${name}`}
        </button>
      </div>
    );
  }
  return (
    <div className="oneclick" data-testid="oneclick">
      <p className="note">{preset.note}</p>
      {status === 'planned' && plan ? (
        <div role="status" aria-live="polite" data-testid="oneclick-plan">
          <p>
            Download <strong>{formatBytes(plan.downloadBytes)}</strong> from {plan.sourceLabel}, keep about <strong>{formatBytes(plan.storeBytes)}</strong> (
            {plan.dtypes.join(', ')}) in this browser
            {plan.bytesPerSecond ? (
              <>
                {' '}
                — about <strong>{formatSeconds(plan.downloadBytes / plan.bytesPerSecond)}</strong> to download at the measured {formatBytes(plan.bytesPerSecond)}/s, plus
                the quantizing
              </>
            ) : null}
            .
          </p>
          <p className="muted">
            {plan.quota
              ? `Free for this site: ${formatBytes(Math.max(0, plan.quota.quota - plan.quota.usage))} of ${formatBytes(plan.quota.quota)}; converting needs about ${formatBytes(plan.neededBytes)}.`
              : `The browser does not report its storage quota; converting needs about ${formatBytes(plan.neededBytes)}.`}
          </p>
          <Alert message={plan.problem} />
          <div className="row">
            <button type="button" className="primary" disabled={!!plan.problem} onClick={() => requestOneClickConvert()}>
              Convert and load
            </button>
            <button type="button" onClick={planDismissed}>
              Not now
            </button>
          </div>
        </div>
      ) : busy ? (
        <>
          <ProgressView />
          <button type="button" disabled={status === 'cancelling'} onClick={requestCancel}>
            {status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
          </button>
        </>
      ) : (
        <button type="button" className="primary" disabled={!listed || status === 'planning' || loading} onClick={() => requestOneClickPlan(preset.modelId)}>
          {status === 'planning' ? 'Checking the source…' : `Get ${name}`}
        </button>
      )}
      {status !== 'planned' && <Alert message={error} />}
    </div>
  );
}
