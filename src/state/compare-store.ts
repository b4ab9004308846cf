// Comparisons: the settings being edited (persisted) and the comparison being shown.
import { createStore } from 'zustand/vanilla';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { RunPlan } from '../core/row-memory.ts';
import { emptyOutcome, type ComparisonRecord, type CompareMode, type LaneOutcome, type LaneSettings } from '../core/comparison.ts';
import { localOrMemoryStorage } from './settings-store.ts';
import { MAX_FIELD_CHARS, MAX_MODEL_CHARS, listOf, oneOf, checkedRehydration, shaped, textUpTo, type Spec } from './settings-validation.ts';

export const MIN_LANES = 2;
export const MAX_LANES = 6;

export interface IndependentLaneInput {
  readonly modelId: string;
  readonly thinking: string;
  readonly solution: string;
  readonly seed: string;
}

export interface CompareSettings {
  readonly mode: Exclude<CompareMode, 'single'>;
  /** Thinking budgets of a sweep, as typed: "512, 1024, 2048". */
  readonly sweepBudgets: string;
  readonly sweepSolution: string;
  readonly lanes: readonly IndependentLaneInput[];
}

export const defaultCompareSettings: CompareSettings = {
  mode: 'sweep',
  sweepBudgets: '512, 1024, 2048',
  sweepSolution: '1024',
  lanes: [
    { modelId: 'onnx-community/DeepScaleR-1.5B-Preview-ONNX', thinking: '1024', solution: '1024', seed: '0' },
    { modelId: 'onnx-community/DeepSeek-R1-Distill-Qwen-1.5B-ONNX', thinking: '1024', solution: '1024', seed: '0' },
  ],
};

const num = textUpTo(MAX_FIELD_CHARS);
export const LANE_SPEC: Spec<IndependentLaneInput> = { modelId: textUpTo(MAX_MODEL_CHARS), thinking: num, solution: num, seed: num };
export const COMPARE_SETTINGS_SPEC: Spec<CompareSettings> = {
  mode: oneOf(['sweep', 'independent']),
  sweepBudgets: textUpTo(200),
  sweepSolution: num,
  lanes: listOf(shaped(LANE_SPEC), MIN_LANES, MAX_LANES),
};

export const COMPARE_SETTINGS_KEY = 'elastic-compare-settings-v1';

export const compareSettingsStore = createStore<CompareSettings>()(
  persist(() => defaultCompareSettings, {
    name: COMPARE_SETTINGS_KEY,
    storage: createJSONStorage(localOrMemoryStorage),
    ...checkedRehydration(COMPARE_SETTINGS_SPEC, 'Saved comparison settings'),
  }),
);

export const compareModeChosen = (mode: CompareSettings['mode']) => compareSettingsStore.setState({ mode });
export const sweepBudgetsEdited = (sweepBudgets: string) => compareSettingsStore.setState({ sweepBudgets });
export const sweepSolutionEdited = (sweepSolution: string) => compareSettingsStore.setState({ sweepSolution });
export const laneEdited = (i: number, patch: Partial<IndependentLaneInput>) =>
  compareSettingsStore.setState((s) => ({ lanes: s.lanes.map((l, j) => (j === i ? { ...l, ...patch } : l)) }));
export const laneAdded = () =>
  compareSettingsStore.setState((s) => (s.lanes.length >= MAX_LANES ? s : { lanes: [...s.lanes, { ...(s.lanes.at(-1) ?? defaultCompareSettings.lanes[0]!) }] }));
export const laneRemoved = (i: number) =>
  compareSettingsStore.setState((s) => (s.lanes.length <= MIN_LANES ? s : { lanes: s.lanes.filter((_, j) => j !== i) }));

export type ComparisonStatus = 'running' | 'stopping' | 'finished' | 'stopped' | 'failed' | 'interrupted';

/** A comparison as shown: the record's fields, with lanes split into settings and outcomes. */
export interface Comparison extends Pick<ComparisonRecord, 'id' | 'createdAt' | 'mode' | 'problem' | 'paperSuffix' | 'reference' | 'sweep'> {
  readonly lanes: readonly LaneSettings[];
  readonly status: ComparisonStatus;
  /** Finished lanes' outcomes (null while pending or running). */
  readonly outcomes: readonly (LaneOutcome | null)[];
  /** Independent mode: the lane running now, and the run that computes it. */
  readonly current: { readonly lane: number; readonly runId: string } | null;
  /** Sweep mode: the single run that computes every lane. */
  readonly sweepRunId: string | null;
  /** A model being loaded for the next lane. */
  readonly loading: string | null;
  readonly error: string | null;
  /** Reopened from history: read-only. */
  readonly reopened: boolean;
}

/** What the worker planned for the comparison the controls describe now (`key` names those controls). */
export interface MemoryPlanShown {
  readonly key: string;
  /** The loaded model the plan is for (null: none loaded). */
  readonly modelId: string | null;
  readonly plan: RunPlan | null;
  /** Why there is no plan: no model yet, or the run would not fit (with the numbers). */
  readonly error: string | null;
}

export interface CompareState {
  readonly comparison: Comparison | null;
  /** The memory plan for the controls' comparison, before it runs. */
  readonly memoryPlan: MemoryPlanShown | null;
}

export const compareStore = createStore<CompareState>(() => ({ comparison: null, memoryPlan: null }));

/** The worker planned the run whose controls had `key`. */
export const memoryPlanned = (plan: MemoryPlanShown) => compareStore.setState({ memoryPlan: plan });

function update(id: string, f: (c: Comparison) => Comparison): void {
  const c = compareStore.getState().comparison;
  if (c?.id === id) compareStore.setState({ comparison: f(c) });
}

export function comparisonStarted(c: Pick<Comparison, 'id' | 'createdAt' | 'mode' | 'problem' | 'paperSuffix' | 'reference' | 'lanes'>): void {
  compareStore.setState({
    comparison: { ...c, status: 'running', outcomes: c.lanes.map(() => null), current: null, sweepRunId: null, sweep: null, loading: null, error: null, reopened: false },
  });
}
export const modelLoadStarted = (id: string, modelId: string) => update(id, (c) => ({ ...c, loading: modelId }));
export const modelLoadEnded = (id: string) => update(id, (c) => ({ ...c, loading: null }));
export const laneStarted = (id: string, lane: number, runId: string) => update(id, (c) => ({ ...c, current: { lane, runId } }));
export const sweepStarted = (id: string, runId: string) => update(id, (c) => ({ ...c, sweepRunId: runId }));
export const laneFinished = (id: string, lane: number, outcome: LaneOutcome) =>
  update(id, (c) => ({ ...c, outcomes: c.outcomes.map((o, i) => (i === lane ? outcome : o)), current: c.current?.lane === lane ? null : c.current }));
export const sweepFinished = (id: string, outcomes: readonly LaneOutcome[], sweep: NonNullable<ComparisonRecord['sweep']>) =>
  update(id, (c) => ({ ...c, outcomes, sweep }));
export const comparisonStopRequested = (id: string) => update(id, (c) => (c.status === 'running' ? { ...c, status: 'stopping' } : c));
export const comparisonEnded = (id: string, status: 'finished' | 'stopped' | 'failed' | 'interrupted', error: string | null = null) =>
  update(id, (c) => ({ ...c, status, error, current: null, loading: null }));

export function comparisonOpened(r: ComparisonRecord): void {
  compareStore.setState({
    comparison: {
      id: r.id,
      createdAt: r.createdAt,
      mode: r.mode,
      problem: r.problem,
      paperSuffix: r.paperSuffix,
      reference: r.reference,
      lanes: r.lanes.map((l) => l.settings),
      status: r.status,
      outcomes: r.lanes.map((l) => l.outcome),
      current: null,
      sweepRunId: null,
      sweep: r.sweep,
      loading: null,
      error: null,
      reopened: true,
    },
  });
}

/** The record to keep and export: finished lanes as they are, unfinished ones marked stopped. */
export function toRecord(c: Comparison): ComparisonRecord {
  return {
    id: c.id,
    createdAt: c.createdAt,
    mode: c.mode,
    problem: c.problem,
    paperSuffix: c.paperSuffix,
    reference: c.reference,
    lanes: c.lanes.map((settings, i) => ({
      settings,
      outcome: c.outcomes[i] ?? emptyOutcome('not run'),
    })),
    sweep: c.sweep,
    status: c.status === 'running' || c.status === 'stopping' ? 'stopped' : c.status,
  };
}
