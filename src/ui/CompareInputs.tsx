// The compare tab's controls: mode, sweep budgets or independent lanes, run / stop / share.
import { useEffect, useId, useState } from 'react';
import { useStore } from 'zustand';
import { requestComparison, stopComparison, watchMemoryPlan } from '../app/compare.ts';
import { explainPlan } from '../core/row-memory.ts';
import { saveRecord } from '../app/history-actions.ts';
import { presetFor } from '../app/presets.ts';
import { compareUrl } from '../app/url-settings.ts';
import {
  MAX_LANES,
  MIN_LANES,
  compareModeChosen,
  compareSettingsStore,
  compareStore,
  laneAdded,
  laneEdited,
  laneRemoved,
  sweepBudgetsEdited,
  sweepSolutionEdited,
} from '../state/compare-store.ts';
import { knownSize, modelStore } from '../state/model-store.ts';
import { Alert } from './Alert.tsx';
import { formatBytes } from './format.ts';

export function ComparePanel() {
  const mode = useStore(compareSettingsStore, (s) => s.mode);
  const running = useStore(compareStore, (s) => s.comparison?.status === 'running' || s.comparison?.status === 'stopping');
  const [message, setMessage] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Comparison</h2>
      <fieldset className="modes">
        <legend>Mode</legend>
        <label className="check">
          <input type="radio" name={`${id}-mode`} checked={mode === 'sweep'} onChange={() => compareModeChosen('sweep')} />
          Budget sweep: one thinking trace cut at several budgets
        </label>
        <label className="check">
          <input type="radio" name={`${id}-mode`} checked={mode === 'independent'} onChange={() => compareModeChosen('independent')} />
          Independent runs: models, seeds or budgets side by side
        </label>
      </fieldset>
      {mode === 'sweep' ? <SweepInputs /> : <LaneInputs />}
      <MemoryPlanNote />
      <div className="runbar">
        <button type="button" className="primary" disabled={running} onClick={() => setMessage(requestComparison(saveRecord))}>
          Run comparison
        </button>
        <button type="button" disabled={!running} onClick={stopComparison}>
          Stop comparison
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            const url = compareUrl();
            history.replaceState(null, '', url);
            void navigator.clipboard?.writeText(location.href).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          Copy link to these settings
        </button>
        {copied && <span className="muted">Link copied (settings only, not outputs).</span>}
      </div>
      <Alert message={message} />
    </section>
  );
}

/**
 * The memory plan of the comparison the controls describe, before it runs: rows × cache per row
 * against the device's limit, and whether the rows decode together or one at a time, and why.
 */
function MemoryPlanNote() {
  const [key, setKey] = useState<string | null>(null);
  useEffect(() => watchMemoryPlan(setKey), []);
  const shown = useStore(compareStore, (s) => s.memoryPlan);
  if (!shown || key === null || shown.key !== key) return null;
  if (!shown.plan) {
    return (
      <p className="muted memory-plan" data-testid="memory-plan">
        {shown.error}
      </p>
    );
  }
  const { memory, order } = explainPlan(shown.plan);
  return (
    <p className="memory-plan" data-testid="memory-plan">
      <strong>Memory plan</strong> on {shown.modelId}: {memory} {order}
    </p>
  );
}

function SweepInputs() {
  const budgets = useStore(compareSettingsStore, (s) => s.sweepBudgets);
  const solution = useStore(compareSettingsStore, (s) => s.sweepSolution);
  const model = useStore(modelStore, (s) => (s.status === 'ready' ? s.info?.modelId : null));
  return (
    <>
      <label>
        Thinking budgets (2–6, comma-separated)
        <input value={budgets} onChange={(e) => sweepBudgetsEdited(e.target.value)} spellCheck={false} />
      </label>
      <label>
        Solution budget for every lane
        <input className="num" inputMode="numeric" value={solution} onChange={(e) => sweepSolutionEdited(e.target.value)} />
      </label>
      <p className="muted">
        Runs on {model ? <strong>{model}</strong> : 'the loaded model'} with the problem and sampling set above. One trace decodes up to the
        largest budget; each smaller budget forks its own solution from it.
      </p>
    </>
  );
}

function ModelSize({ modelId }: { modelId: string }) {
  const sizes = useStore(modelStore, (s) => s.sizes);
  const bytes = knownSize(sizes, modelId.trim(), undefined);
  const preset = presetFor(modelId);
  return (
    <span className="muted">
      {bytes !== null
        ? `needs about ${formatBytes(bytes)} of memory (its files, as last loaded)`
        : preset?.webReady
          ? 'about 1.1–1.9 GB of memory depending on the weights (q4f16 smallest)'
          : 'memory known after its first load'}
    </span>
  );
}

function LaneInputs() {
  const lanes = useStore(compareSettingsStore, (s) => s.lanes);
  return (
    <div className="lane-inputs">
      {lanes.map((l, i) => (
        <fieldset key={i} className="lane-input">
          <legend>Lane {i + 1}</legend>
          <label className="grow">
            Model
            <input value={l.modelId} spellCheck={false} onChange={(e) => laneEdited(i, { modelId: e.target.value })} aria-label={`Lane ${i + 1} model`} />
          </label>
          <ModelSize modelId={l.modelId} />
          <div className="row">
            <label>
              Thinking
              <input className="num" inputMode="numeric" value={l.thinking} onChange={(e) => laneEdited(i, { thinking: e.target.value })} aria-label={`Lane ${i + 1} thinking budget`} />
            </label>
            <label>
              Solution
              <input className="num" inputMode="numeric" value={l.solution} onChange={(e) => laneEdited(i, { solution: e.target.value })} aria-label={`Lane ${i + 1} solution budget`} />
            </label>
            <label>
              Seed
              <input className="num" inputMode="numeric" value={l.seed} onChange={(e) => laneEdited(i, { seed: e.target.value })} aria-label={`Lane ${i + 1} seed`} />
            </label>
            <button type="button" className="chip" disabled={lanes.length <= MIN_LANES} onClick={() => laneRemoved(i)} aria-label={`Remove lane ${i + 1}`}>
              Remove
            </button>
          </div>
        </fieldset>
      ))}
      <button type="button" className="chip" disabled={lanes.length >= MAX_LANES} onClick={laneAdded}>
        Add lane
      </button>
      <p className="muted">
        Lanes of one model with the same sampling settings decode together (one thinking trace per seed); otherwise they run one after another, and a lane with another model loads
        it first, replacing the one in memory — one model is held at a time, so two models that do not fit together still compare.
      </p>
    </div>
  );
}
