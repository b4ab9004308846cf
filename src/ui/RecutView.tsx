// Re-cuts of the finished run, beside it: "what would it have answered had it stopped here?".
// Moving the thinking slider below the thinking the run used (or clicking in its trace) re-cuts
// it; each re-cut is a lane (the Compare view's), and the set exports like a comparison.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { findExample } from '../app/examples.ts';
import { recuttable, requestRecut, stopRecut } from '../app/recut.ts';
import { laneOutcome } from '../state/lane-outcome.ts';
import { modelStore } from '../state/model-store.ts';
import { recutRecord, recutRunning, recutStore } from '../state/recut-store.ts';
import { runStore, type Run } from '../state/run-store.ts';
import { parseBudget, settingsStore } from '../state/settings-store.ts';
import { Alert } from './Alert.tsx';
import { LaneCard, LanesSummary, type LaneDisplay } from './CompareResults.tsx';
import { ExportButtons } from './ExportButtons.tsx';

/** How long the thinking slider rests before it re-cuts (a drag passes through many values). */
const SLIDER_REST_MS = 400;

/** Re-cuts when the thinking budget comes to rest below the thinking the shown run used. */
function useRecutOnSlider(onMessage: (m: string | null) => void) {
  useEffect(() => {
    let last = settingsStore.getState().thinkingBudget;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = settingsStore.subscribe((s) => {
      if (s.thinkingBudget === last) return;
      last = s.thinkingBudget;
      clearTimeout(timer);
      const shown = runStore.getState().run;
      timer = setTimeout(() => {
        // Only while the same run is shown and nothing runs: setting up the next run is not a re-cut.
        const run = runStore.getState().run;
        const t = parseBudget(last, 'Thinking budget');
        if (run !== shown || recutRunning() || !('value' in t) || t.value >= recuttable(run)) return;
        onMessage(requestRecut(t.value));
      }, SLIDER_REST_MS);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [onMessage]);
}

export function RecutView({ run, message, onMessage }: { run: Run; message: string | null; onMessage: (m: string | null) => void }) {
  useRecutOnSlider(onMessage);
  const recuts = useStore(recutStore, (s) => (s.recuts?.sourceRunId === run.runId ? s.recuts : null));
  const modelId = useStore(modelStore, (s) => s.info?.modelId ?? '');
  const max = recuttable(run);
  if (max === 0) return null;
  if (!recuts || recuts.lanes.length === 0) {
    return (
      <>
        <p className="muted recut-hint">
          What if it had stopped earlier? Move the thinking slider below {max} or click a point in the thinking: the same trace up to there, then{' '}
          <code>&lt;/think&gt;</code> and the solution.
        </p>
        <Alert message={message} />
      </>
    );
  }
  const ex = findExample(run.spec.problem);
  const record = recutRecord(run, recuts, modelId, ex ? { id: ex.id, source: ex.source, answer: ex.answer } : null);
  const lanes = [...recuts.lanes].sort((a, b) => a.at - b.at);
  const displays: LaneDisplay[] = lanes.map((l) => ({ ...l.outcome, streaming: l.status === 'running' || l.status === 'stopping', pending: false }));
  const original: LaneDisplay = { ...laneOutcome(run, 0, run.stats), streaming: false, pending: false };
  const done = recuts.lanes.every((l) => l.status !== 'running' && l.status !== 'stopping');
  return (
    <section className="recuts" aria-label="Re-cuts">
      <h2>Had it stopped earlier</h2>
      <Alert message={message} />
      <LanesSummary c={{ id: record.id, reference: record.reference }} lanes={[...displays, original]} />
      <div className="lanes" style={{ gridTemplateColumns: `repeat(${lanes.length + 1}, minmax(14rem, 1fr))` }}>
        {lanes.map((l, i) => (
          <LaneCard
            key={l.runId}
            index={i}
            settings={l.settings}
            d={displays[i]!}
            outcome={l.outcome}
            sweep
            title={`Re-cut at ${l.at} tokens`}
            testId={`recut-${l.at}`}
            actions={
              l.status === 'running' ? (
                <button type="button" className="chip" onClick={() => stopRecut(l.runId)}>
                  Cancel re-cut
                </button>
              ) : null
            }
          />
        ))}
        <LaneCard index={lanes.length} settings={record.lanes.at(-1)!.settings} d={original} outcome={null} sweep title="Original" testId="recut-original" />
      </div>
      {done && <ExportButtons record={record} />}
    </section>
  );
}
