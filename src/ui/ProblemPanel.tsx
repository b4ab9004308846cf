import { useId } from 'react';
import { useStore } from 'zustand';
import { EXAMPLES, exampleGroups, findExample } from '../app/examples.ts';
import { PAPER_SUFFIX } from '../core/prompt.ts';
import { exampleChosen, paperSuffixToggled, problemEdited, settingsStore } from '../state/settings-store.ts';

const GROUPS = exampleGroups();
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function ProblemPanel() {
  const problem = useStore(settingsStore, (s) => s.problem);
  const paperSuffix = useStore(settingsStore, (s) => s.paperSuffix);
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Problem</h2>
      <label>
        Example problem
        <select
          value={findExample(problem)?.id ?? ''}
          onChange={(e) => {
            const ex = EXAMPLES.find((x) => x.id === e.target.value);
            if (ex) exampleChosen(ex.problem);
          }}
        >
          <option value="">Choose one of the paper's problems…</option>
          {GROUPS.map((g) => (
            <optgroup key={g.label} label={g.label}>
              {g.items.map((x) => (
                <option key={x.id} value={x.id}>
                  {clip(x.problem.replace(/\s+/g, ' '), 90)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label>
        Problem
        <textarea rows={5} value={problem} onChange={(e) => problemEdited(e.target.value)} placeholder="e.g. What is the sum of the first 100 positive integers?" />
      </label>
      <label className="check">
        <input type="checkbox" checked={paperSuffix} onChange={(e) => paperSuffixToggled(e.target.checked)} />
        Append the paper's instruction: <q>{PAPER_SUFFIX}</q>
      </label>
    </section>
  );
}
