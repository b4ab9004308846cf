import { useEffect, useId, useState } from 'react';
import { useStore } from 'zustand';
import { requestClearCache, requestLoad } from '../app/actions.ts';
import { modelNotKept } from '../core/storage.ts';
import { E1_REPO, MODEL_PRESETS, TEST_MODEL_IDS, presetFor } from '../app/presets.ts';
import { downloadSummary, modelStore } from '../state/model-store.ts';
import { deviceChosen, dtypeChosen, modelInputEdited, settingsStore } from '../state/settings-store.ts';
import type { Device, Dtype } from '../worker/protocol.ts';
import { ConvertPanel } from './ConvertPanel.tsx';
import { OneClickConvert } from './OneClickConvert.tsx';
import { formatBytes, formatSeconds } from './format.ts';
import { Alert } from './Alert.tsx';
import { ModelNotices } from './ModelNotices.tsx';
import { MemoryNotice } from './MemoryNotice.tsx';

export function ModelPanel({ showTestModels }: { showTestModels: boolean }) {
  const status = useStore(modelStore, (s) => s.status);
  const [changing, setChanging] = useState(false);
  // A new load folds the panel again once it is ready.
  useEffect(() => {
    if (status === 'loading') setChanging(false);
  }, [status]);
  if (status === 'ready' && !changing) return <ModelLine onChange={() => setChanging(true)} />;
  return <ModelChooser showTestModels={showTestModels} onDone={status === 'ready' ? () => setChanging(false) : null} />;
}

/** The loaded model in one line: model · device · weights · change. */
function ModelLine({ onChange }: { onChange: () => void }) {
  const info = useStore(modelStore, (s) => s.info);
  const warning = useStore(modelStore, (s) => s.warning);
  const cacheMessage = useStore(modelStore, (s) => s.cacheMessage);
  if (!info) return null;
  return (
    <section className="panel model-line" aria-label="Model">
      <p role="status" className="ready" data-weights={info.weightsFromCache ? 'cached-files' : 'in-memory'}>
        Ready: <strong className="model-name">{info.modelId}</strong>
        <span>
          {' '}
          · <strong data-testid="device">{info.device}</strong> · <strong data-testid="dtype">{info.dtype}</strong>
        </span>
        <span className="muted context">
          {' '}
          · context {info.context.toLocaleString()}
          {info.fromCache ? ' · loaded from cache' : ''}
        </span>
      </p>
      <button type="button" className="chip" aria-label="Change model" onClick={onChange}>
        Change
      </button>
      {warning && <p className="warning">{warning}</p>}
      {info.notCached && (
        <div className="warning" role="alert" data-testid="not-cached">
          <p>{modelNotKept(info.notCached)}</p>
          <button type="button" className="secondary" onClick={requestClearCache}>
            Clear model cache
          </button>
          {cacheMessage && <p className="muted">{cacheMessage}</p>}
        </div>
      )}
      {info.contextNote && (
        <p className="muted" data-testid="context-note">
          {info.contextNote}
        </p>
      )}
    </section>
  );
}

function ModelChooser({ showTestModels, onDone }: { showTestModels: boolean; onDone: (() => void) | null }) {
  const modelInput = useStore(settingsStore, (s) => s.modelInput);
  const device = useStore(settingsStore, (s) => s.device);
  const dtype = useStore(settingsStore, (s) => s.dtype);
  const status = useStore(modelStore, (s) => s.status);
  const error = useStore(modelStore, (s) => s.error);
  const id = useId();
  const preset = presetFor(modelInput);
  const oneClick = preset?.convertedId ? { ...preset, convertedId: preset.convertedId } : null;

  const onPreset = (key: string) => {
    const p = MODEL_PRESETS.find((x) => x.key === key);
    // Custom starts from an empty field (a preset's id would keep the preset chosen).
    modelInputEdited(p ? p.modelId : key);
  };
  const presetValue = preset?.key ?? (TEST_MODEL_IDS.includes(modelInput.trim() as never) ? modelInput.trim() : '');

  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <div className="row">
        <h2 id={`${id}-h`} className="grow">
          Model
        </h2>
        {onDone && (
          <button type="button" className="chip" onClick={onDone}>
            Keep the loaded model
          </button>
        )}
      </div>
      <div className="row">
        <label>
          Preset
          <select value={presetValue} onChange={(e) => onPreset(e.target.value)}>
            <option value="">Custom (Hub id or URL)</option>
            {MODEL_PRESETS.map((p) => (
              <option key={p.key} value={p.key}>
                {p.label}
              </option>
            ))}
            {showTestModels && (
              <optgroup label="Generated test models">
                {TEST_MODEL_IDS.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        {!oneClick && (
          <label className="grow">
            Model id or URL
            <input value={modelInput} spellCheck={false} onChange={(e) => modelInputEdited(e.target.value)} />
          </label>
        )}
      </div>
      {oneClick && <OneClickConvert preset={oneClick} />}
      <div className="row">
        <label>
          Device
          <select value={device} onChange={(e) => deviceChosen(e.target.value as Device | 'auto')}>
            <option value="auto">Auto (WebGPU if available)</option>
            <option value="webgpu">WebGPU</option>
            <option value="wasm">WASM (CPU, slow)</option>
          </select>
        </label>
        <label>
          Weights
          <select value={dtype} onChange={(e) => dtypeChosen(e.target.value as Dtype | 'auto')}>
            <option value="auto">Auto (WebGPU: q4f16 with shader-f16, else q4; WASM: q8)</option>
            <option value="q4f16">q4f16</option>
            <option value="q4">q4</option>
            <option value="q8">q8</option>
            <option value="fp16">fp16</option>
            <option value="fp32">fp32</option>
          </select>
        </label>
        {!oneClick && (
          <button
            type="button"
            disabled={status === 'loading'}
            onClick={() => {
              void navigator.storage?.persist?.();
              requestLoad();
            }}
          >
            {status === 'loading' ? 'Loading…' : 'Load model'}
          </button>
        )}
        <button type="button" className="secondary" onClick={requestClearCache}>
          Clear model cache
        </button>
      </div>
      {preset && !oneClick && <p className="note">{preset.note}</p>}
      {status !== 'loading' && <MemoryNotice input={oneClick ? oneClick.convertedId : modelInput} />}
      <LoadStatus />
      <ModelNotices />
      <Alert message={error} />
      <details className="other-sources" open={!oneClick && modelInput.trim().startsWith('/converted/')}>
        <summary>Convert another checkpoint (Hub repo, URL, files or a folder)</summary>
        <ConvertPanel defaultSource={E1_REPO} />
      </details>
    </section>
  );
}

function LoadStatus() {
  const status = useStore(modelStore, (s) => s.status);
  const files = useStore(modelStore, (s) => s.files);
  const firstSample = useStore(modelStore, (s) => s.firstSample);
  const lastSample = useStore(modelStore, (s) => s.lastSample);
  const probe = useStore(modelStore, (s) => s.probe);
  const cacheMessage = useStore(modelStore, (s) => s.cacheMessage);
  const warning = useStore(modelStore, (s) => s.warning);
  const sum = downloadSummary({ files, firstSample, lastSample });
  return (
    <div className="load-status">
      {probe && (
        <p className="muted">
          GPU: {probe.webgpu ? `WebGPU · ${probe.adapter}${probe.shaderF16 ? ' · shader-f16' : ' · no shader-f16'}` : probe.adapter}
        </p>
      )}
      {status === 'loading' && (
        <div role="status" aria-live="polite">
          <p>
            Loading… {formatBytes(sum.loaded)}
            {sum.total > 0 && ` of ${formatBytes(sum.total)}`}
            {sum.rate > 0 && ` · ${formatBytes(sum.rate)}/s`}
            {sum.secondsLeft !== null && ` · ${formatSeconds(sum.secondsLeft)} left`}
          </p>
          <ul className="files">
            {files.map((f) => (
              <li key={f.file}>
                <span className="file">{f.file}</span>
                <progress aria-label={`Download of ${f.file}`} max={f.total || 1} value={f.done ? f.total || 1 : f.loaded} />
                <span className="muted">{f.total ? `${formatBytes(f.loaded)} / ${formatBytes(f.total)}` : formatBytes(f.loaded)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {warning && status !== 'idle' && <p className="warning">{warning}</p>}
      {cacheMessage && <p className="muted">{cacheMessage}</p>}
    </div>
  );
}
