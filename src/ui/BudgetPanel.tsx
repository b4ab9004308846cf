import { useId } from 'react';
import { useStore } from 'zustand';
import { BUDGET_PRESETS } from '../app/presets.ts';
import {
  budgetPresetChosen,
  parseBudget,
  settingsStore,
  solutionBudgetEdited,
  thinkingBudgetEdited,
  thinkingUnlimitedToggled,
} from '../state/settings-store.ts';

const SLIDER_MAX = 8192;

function BudgetField({ label, raw, onEdit, disabled }: { label: string; raw: string; onEdit: (v: string) => void; disabled?: boolean }) {
  const id = useId();
  const parsed = parseBudget(raw, label);
  const value = 'value' in parsed ? parsed.value : 0;
  return (
    <div className="budget">
      <label htmlFor={`${id}-n`}>{label}</label>
      <input
        type="range"
        aria-label={`${label} slider`}
        min={0}
        max={SLIDER_MAX}
        step={1}
        value={Math.min(value, SLIDER_MAX)}
        disabled={disabled}
        onChange={(e) => onEdit(e.target.value)}
      />
      <input
        id={`${id}-n`}
        className="num"
        inputMode="numeric"
        value={raw}
        disabled={disabled}
        aria-invalid={'error' in parsed}
        aria-describedby={'error' in parsed ? `${id}-e` : undefined}
        onChange={(e) => onEdit(e.target.value)}
      />
      {'error' in parsed && !disabled && (
        <p id={`${id}-e`} className="error">
          {parsed.error}
        </p>
      )}
    </div>
  );
}

export function BudgetPanel() {
  const t = useStore(settingsStore, (s) => s.thinkingBudget);
  const sb = useStore(settingsStore, (s) => s.solutionBudget);
  const unlimited = useStore(settingsStore, (s) => s.thinkingUnlimited);
  const id = useId();
  return (
    <section className="panel budgets" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>
        Budgets <span className="muted">(tokens)</span>
      </h2>
      <BudgetField label="Thinking budget" raw={t} onEdit={thinkingBudgetEdited} disabled={unlimited} />
      <label className="check">
        <input type="checkbox" checked={unlimited} onChange={(e) => thinkingUnlimitedToggled(e.target.checked)} />
        Unlimited thinking (up to the context)
      </label>
      <BudgetField label="Solution budget" raw={sb} onEdit={solutionBudgetEdited} />
      <div className="presets" role="group" aria-label="Budget presets from the paper">
        <span className="muted">Paper t:</span>
        {BUDGET_PRESETS.map((p) => (
          <button key={p.label} type="button" className="chip" aria-label={p.label} onClick={() => budgetPresetChosen(p.t, p.s)}>
            {p.t === 'unlimited' ? '∞' : p.t}
          </button>
        ))}
      </div>
    </section>
  );
}
