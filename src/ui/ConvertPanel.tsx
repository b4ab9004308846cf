// Converts a Qwen2ForCausalLM safetensors checkpoint (Hub repo, folder URL, or picked files) to
// ONNX in the browser and keeps the result in this browser's storage; lists stored conversions
// with Load / Remove. Shown by the model panel for models without a web-ready build (E1).
import { useEffect, useId } from 'react';
import { useStore } from 'zustand';
import { loadConverted, pickedFromFiles, requestCancel, requestConvert, requestPlan, requestRemove, requestStoredList } from '../app/convert-client.ts';
import type { ConvertDtype } from '../worker/convert-protocol.ts';
import {
  convertStore,
  dtypeToggled,
  filesPicked,
  gpuKnown,
  pickedFilesCleared,
  progressSummary,
  revisionEdited,
  sourceTextEdited,
} from '../state/convert-store.ts';
import { modelStore } from '../state/model-store.ts';
import { formatBytes, formatSeconds } from './format.ts';
import { Alert } from './Alert.tsx';

const DTYPES: readonly { readonly dtype: ConvertDtype; readonly label: string }[] = [
  { dtype: 'q4f16', label: 'q4f16 (GPUs with shader-f16; smallest)' },
  { dtype: 'q4', label: 'q4 (every WebGPU GPU, and WASM)' },
  { dtype: 'fp32', label: 'fp32 (4× larger; for checking)' },
];

export function ConvertPanel({ defaultSource }: { defaultSource: string }) {
  const id = useId();
  const sourceText = useStore(convertStore, (s) => s.sourceText);
  const revision = useStore(convertStore, (s) => s.revision);
  const picked = useStore(convertStore, (s) => s.picked);
  const dtypes = useStore(convertStore, (s) => s.dtypes);
  const status = useStore(convertStore, (s) => s.status);
  const error = useStore(convertStore, (s) => s.error);
  const message = useStore(convertStore, (s) => s.message);
  const probe = useStore(modelStore, (s) => s.probe);
  const busy = status === 'converting' || status === 'cancelling';

  useEffect(() => {
    if (!convertStore.getState().sourceText && !convertStore.getState().picked) sourceTextEdited(defaultSource);
    requestStoredList();
  }, [defaultSource]);
  useEffect(() => {
    if (probe) gpuKnown(probe.shaderF16);
  }, [probe]);

  const isHub = !picked && !/^(https?:\/\/|\/)/i.test(sourceText.trim());

  return (
    <section className="panel convert" aria-labelledby={`${id}-h`} style={{ marginTop: '0.5rem' }}>
      <h3 id={`${id}-h`} style={{ fontSize: '0.95rem', margin: '0 0 0.5rem' }}>
        Convert in this browser
      </h3>
      <p className="muted" style={{ marginTop: 0 }}>
        Downloads the safetensors checkpoint once, quantizes it to 4 bits here, and keeps the ONNX result in this
        browser&apos;s storage; later visits load it directly, offline. Any Qwen2ForCausalLM model works: a Hub repo, a
        folder URL, or files from your disk (config.json, model.safetensors or the index and its shards, tokenizer.json,
        tokenizer_config.json).
      </p>
      <StoredList />
      <div className="row">
        <label className="grow">
          Source: Hub repo, folder URL or path
          <input value={picked ? '' : sourceText} placeholder={picked ? `${picked.files.length} picked files` : defaultSource} spellCheck={false} disabled={busy} onChange={(e) => sourceTextEdited(e.target.value)} />
        </label>
        {isHub && (
          <label>
            Revision
            <input value={revision} size={8} spellCheck={false} disabled={busy} onChange={(e) => revisionEdited(e.target.value)} />
          </label>
        )}
      </div>
      <div className="row">
        <label>
          Or pick files
          <input
            type="file"
            multiple
            disabled={busy}
            onChange={(e) => {
              const p = pickedFromFiles(e.target.files ?? []);
              filesPicked(p.name, p.files);
            }}
          />
        </label>
        <label>
          Or a folder
          <input
            type="file"
            disabled={busy}
            {...{ webkitdirectory: '' }}
            onChange={(e) => {
              const p = pickedFromFiles(e.target.files ?? []);
              filesPicked(p.name, p.files);
            }}
          />
        </label>
        {picked && (
          <button type="button" className="secondary" disabled={busy} onClick={pickedFilesCleared}>
            Use the source field instead
          </button>
        )}
      </div>
      <fieldset disabled={busy} style={{ border: 'none', padding: 0, margin: '0.5rem 0' }}>
        <legend className="muted">Weights to produce</legend>
        <div className="row">
          {DTYPES.map((d) => (
            <label key={d.dtype} style={{ flexDirection: 'row', display: 'flex', gap: '0.3rem', alignItems: 'center' }}>
              <input type="checkbox" checked={dtypes.includes(d.dtype)} onChange={(e) => dtypeToggled(d.dtype, e.target.checked)} />
              {d.label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="row">
        <button type="button" className="secondary" disabled={busy || status === 'planning'} onClick={() => requestPlan()}>
          {status === 'planning' ? 'Checking…' : 'Check source'}
        </button>
        <button type="button" disabled={status !== 'planned'} onClick={() => requestConvert()}>
          Convert and store
        </button>
        {busy && (
          <button type="button" className="secondary" disabled={status === 'cancelling'} onClick={requestCancel}>
            {status === 'cancelling' ? 'Cancelling…' : 'Cancel conversion'}
          </button>
        )}
      </div>
      <PlanView />
      <ProgressView />
      <DoneView />
      <Alert message={error} />
      {message && <p className="muted">{message}</p>}
    </section>
  );
}

function PlanView() {
  const plan = useStore(convertStore, (s) => s.plan);
  const status = useStore(convertStore, (s) => s.status);
  if (!plan || status !== 'planned') return null;
  return (
    <div role="status" aria-live="polite" data-testid="convert-plan">
      <p>
        Will download <strong>{formatBytes(plan.downloadBytes)}</strong> ({plan.inputs.length} files,{' '}
        {(plan.parameters / 1e9 >= 0.1 ? `${(plan.parameters / 1e9).toFixed(2)} B` : `${(plan.parameters / 1e6).toFixed(1)} M`)} parameters) from{' '}
        {plan.sourceLabel} and store about <strong>{formatBytes(plan.storeBytes)}</strong> ({plan.dtypes.join(', ')}) as{' '}
        <code>{plan.modelId}</code>; converting needs about {formatBytes(plan.neededBytes)} free.
      </p>
      <p className="muted">
        {plan.quota
          ? `This site uses ${formatBytes(plan.quota.usage)} of the ${formatBytes(plan.quota.quota)} the browser allows it.`
          : 'The browser does not report its storage quota.'}
        {plan.alreadyStored && ' A conversion is already stored under this name: converting again replaces it.'}
      </p>
      <Alert message={plan.problem} />
      <details>
        <summary>Files to download</summary>
        <ul className="files">
          {plan.inputs.map((f) => (
            <li key={f.name} style={{ gridTemplateColumns: '1fr auto' }}>
              <span className="file">{f.name}</span>
              <span className="muted">{formatBytes(f.bytes)}</span>
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

function ProgressView() {
  const progress = useStore(convertStore, (s) => s.progress);
  const status = useStore(convertStore, (s) => s.status);
  if (status !== 'converting' && status !== 'cancelling') return null;
  const sum = progress ? progressSummary(progress) : { label: 'Starting…', value: 0, max: 1 };
  return (
    <div role="status" aria-live="polite" data-testid="convert-progress">
      <p>{status === 'cancelling' ? 'Cancelling…' : sum.label}</p>
      <progress aria-label="Conversion progress" max={sum.max} value={sum.value} style={{ width: '100%' }} />
      {progress && (
        <p className="muted">
          Downloaded {formatBytes(progress.downloadedBytes)}
          {progress.downloadBytes > 0 && ` of ${formatBytes(progress.downloadBytes)}`} · quantized {formatBytes(progress.quantizedBytes)}
          {progress.quantizeBytes > 0 && ` of ${formatBytes(progress.quantizeBytes)}`} · stored {formatBytes(progress.storedBytes)}
          {progress.storeBytes > 0 && ` of about ${formatBytes(progress.storeBytes)}`}
        </p>
      )}
    </div>
  );
}

function DoneView() {
  const last = useStore(convertStore, (s) => s.lastConverted);
  const status = useStore(convertStore, (s) => s.status);
  if (!last || status !== 'done') return null;
  return (
    <div role="status" className="ready">
      <p>
        Converted and stored <code>{last.modelId}</code> in {formatSeconds(last.seconds)}.{' '}
        <button type="button" onClick={() => loadConverted(last.modelId)}>
          Load converted model
        </button>
      </p>
    </div>
  );
}

function StoredList() {
  const stored = useStore(convertStore, (s) => s.stored);
  const status = useStore(convertStore, (s) => s.status);
  if (!stored || stored.length === 0) return null;
  return (
    <div>
      <p className="muted" style={{ margin: '0 0 0.25rem' }}>
        Converted models in this browser:
      </p>
      <ul className="files" aria-label="Converted models in this browser">
        {stored.map((m) => (
          <li key={m.modelId} style={{ gridTemplateColumns: '1fr auto auto' }} data-testid="stored-model">
            <span className="file">
              <code>{m.modelId}</code> · {m.dtypes.join(', ')} · {formatBytes(m.bytes)}
              {m.problems.length > 0 && <span className="error"> · incomplete: {m.problems[0]}</span>}
            </span>
            <button type="button" disabled={m.problems.length > 0} aria-label={`Load ${m.modelId}`} onClick={() => loadConverted(m.modelId)}>
              Load
            </button>
            <button
              type="button"
              className="secondary"
              disabled={status === 'converting' || status === 'cancelling'}
              aria-label={`Remove ${m.modelId}`}
              onClick={() => requestRemove(m.modelId)}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
