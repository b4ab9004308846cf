// The Evaluate form as typed (raw text, validated when an evaluation starts), kept across tabs
// and reloads. A set of one's own is kept only for the page's life (it can be large).
import { createStore } from 'zustand/vanilla';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { EvalSetId } from '../core/eval-sets.ts';
import type { EvalProblem, EvalSelection } from '../core/evaluation.ts';

export interface EvalSettings {
  readonly set: EvalSetId | 'custom';
  readonly selection: EvalSelection['mode'];
  readonly count: string;
  readonly subsetSeed: string;
  readonly k: string;
  readonly seed: string;
  readonly models: string;
  readonly budgets: string;
  readonly solution: string;
  readonly custom: { readonly name: string; readonly problems: readonly EvalProblem[] } | null;
}

/** The quick default: the compact set, one sample, the model card's budgets. */
export const defaultEvalSettings: EvalSettings = {
  set: 'compact',
  selection: 'first',
  count: '10',
  subsetSeed: '0',
  k: '1',
  seed: '0',
  models: '',
  budgets: '512, 1024, 2048, 3072',
  solution: '1024',
  custom: null,
};

/** The model card's AIME 2024 protocol: every problem, Avg@16, t ∈ {512 … 3072, unconstrained}, s = 1024. */
export const PAPER_EVAL_SETTINGS: Partial<EvalSettings> = {
  set: 'aime2024',
  selection: 'all',
  k: '16',
  budgets: '512, 1024, 2048, 3072, max',
  solution: '1024',
};

export const evalSettingsStore = createStore<EvalSettings>()(
  persist(() => defaultEvalSettings, {
    name: 'elastic-eval-settings-v1',
    storage: createJSONStorage(() => localStorage),
    partialize: ({ custom: _, ...rest }) => rest,
  }),
);

export const evalSettingsEdited = (patch: Partial<Omit<EvalSettings, 'custom'>>) => evalSettingsStore.setState(patch);
export const customSetRead = (name: string, problems: readonly EvalProblem[]) => evalSettingsStore.setState({ custom: { name, problems }, set: 'custom' });
export const paperSettingsChosen = () => evalSettingsStore.setState(PAPER_EVAL_SETTINGS);
