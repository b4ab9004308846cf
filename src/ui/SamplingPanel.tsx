import { useId } from 'react';
import { useStore } from 'zustand';
import { greedyToggled, parseSampling, samplingEdited, settingsStore } from '../state/settings-store.ts';

export function SamplingPanel() {
  const s = useStore(settingsStore);
  const id = useId();
  const parsed = parseSampling(s);
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Sampling</h2>
      <label className="check">
        <input type="checkbox" checked={s.greedy} onChange={(e) => greedyToggled(e.target.checked)} />
        Greedy (always the most likely token)
      </label>
      <div className="grid4">
        <label>
          Temperature
          <input className="num" inputMode="decimal" value={s.temperature} disabled={s.greedy} onChange={(e) => samplingEdited({ temperature: e.target.value })} />
        </label>
        <label>
          Top-p
          <input className="num" inputMode="decimal" value={s.topP} disabled={s.greedy} onChange={(e) => samplingEdited({ topP: e.target.value })} />
        </label>
        <label>
          Top-k (0 = off)
          <input className="num" inputMode="numeric" value={s.topK} disabled={s.greedy} onChange={(e) => samplingEdited({ topK: e.target.value })} />
        </label>
        <label>
          Seed
          <input className="num" inputMode="numeric" value={s.seed} disabled={s.greedy} onChange={(e) => samplingEdited({ seed: e.target.value })} />
        </label>
      </div>
      {'error' in parsed && <p className="error">{parsed.error}</p>}
      <p className="muted">The paper samples with temperature 0.6 and top-p 0.95.</p>
    </section>
  );
}
