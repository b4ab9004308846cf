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
    <section className="panel problem" aria-labelledby={`${id}-h`}>
      <div className="problem-head">
        <h2 id={`${id}-h`}>Problem</h2>
        <select
          aria-label="Example problem"
          value={findExample(problem)?.id ?? ''}
          onChange={(e) => {
            const ex = EXAMPLES.find((x) => x.id === e.target.value);
            if (ex) exampleChosen(ex.problem);
          }}
        >
          <option value="">Pick one of the paper's problems…</option>
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
      </div>
      <label>
        <span className="sr-only">Problem</span>
        <textarea rows={5} value={problem} onChange={(e) => problemEdited(e.target.value)} placeholder="e.g. What is the sum of the first 100 positive integers?" />
      </label>
      <label className="check" title={PAPER_SUFFIX}>
        <input type="checkbox" checked={paperSuffix} onChange={(e) => paperSuffixToggled(e.target.checked)} />
        <span>
          Append the paper&apos;s instruction<span className="suffix">: <q>{PAPER_SUFFIX}</q></span>
        </span>
      </label>
    </section>
  );
}
