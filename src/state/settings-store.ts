// What the user typed and chose, kept across reloads so nothing typed is lost.
import { createStore } from 'zustand/vanilla';
import { createJSONStorage, persist } from 'zustand/middleware';
import { PAPER_SAMPLING, validateSampling, type Sampling } from '../core/sampler.ts';
import type { Device, Dtype } from '../worker/protocol.ts';
import { MAX_FIELD_CHARS, MAX_MODEL_CHARS, MAX_PROBLEM_CHARS, isBool, oneOf, checkedRehydration, textUpTo, type Spec } from './settings-validation.ts';

export const MAX_BUDGET = 32768;

export interface SettingsState {
  readonly problem: string;
  readonly paperSuffix: boolean;
  /** Raw text of the budget fields: validated, not coerced, so a bad entry is shown, not lost. */
  readonly thinkingBudget: string;
  readonly solutionBudget: string;
  /** Thinking bounded only by the model's context. */
  readonly thinkingUnlimited: boolean;
  readonly greedy: boolean;
  readonly temperature: string;
  readonly topP: string;
  readonly topK: string;
  readonly seed: string;
  readonly modelInput: string;
  readonly device: Device | 'auto';
  readonly dtype: Dtype | 'auto';
  /** The most runs and comparisons History keeps, as typed ('' = all; see parseHistoryKeep). */
  readonly historyKeep: string;
}

export const defaultSettings: SettingsState = {
  problem: '',
  paperSuffix: true,
  thinkingBudget: '1024',
  solutionBudget: '1024',
  thinkingUnlimited: false,
  greedy: false,
  temperature: String(PAPER_SAMPLING.temperature),
  topP: String(PAPER_SAMPLING.topP),
  topK: '0',
  seed: '0',
  // E1 first: the model this app is named for (converted in the browser on first use).
  modelInput: 'Salesforce/E1-Math-1.5B',
  device: 'auto',
  dtype: 'auto',
  historyKeep: '',
};

export const DEVICE_CHOICES = ['auto', 'webgpu', 'wasm'] as const;
export const DTYPE_CHOICES = ['auto', 'q4', 'q4f16', 'q8', 'fp16', 'fp32'] as const;

const num = textUpTo(MAX_FIELD_CHARS);
/** What a saved or linked value must be (raw number fields stay text: they are parsed when used). */
export const SETTINGS_SPEC: Spec<SettingsState> = {
  problem: textUpTo(MAX_PROBLEM_CHARS),
  paperSuffix: isBool,
  thinkingBudget: num,
  solutionBudget: num,
  thinkingUnlimited: isBool,
  greedy: isBool,
  temperature: num,
  topP: num,
  topK: num,
  seed: num,
  modelInput: textUpTo(MAX_MODEL_CHARS),
  device: oneOf(DEVICE_CHOICES),
  dtype: oneOf(DTYPE_CHOICES),
  historyKeep: num,
};

export const SETTINGS_KEY = 'elastic-settings-v1';

export const settingsStore = createStore<SettingsState>()(
  persist(() => defaultSettings, {
    name: SETTINGS_KEY,
    storage: createJSONStorage(localOrMemoryStorage),
    // Whatever was saved is checked field by field; a bad field takes its default and is named.
    ...checkedRehydration(SETTINGS_SPEC, 'Saved settings'),
  }),
);

/** localStorage, or an in-memory stand-in where there is none (Node tests, storage blocked). */
export function localOrMemoryStorage(): Storage {
  return typeof localStorage === 'undefined' ? memoryStorage() : localStorage;
}

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

export const problemEdited = (problem: string) => settingsStore.setState({ problem });
export const exampleChosen = (problem: string) => settingsStore.setState({ problem });
export const paperSuffixToggled = (paperSuffix: boolean) => settingsStore.setState({ paperSuffix });
export const thinkingBudgetEdited = (v: string) => settingsStore.setState({ thinkingBudget: v, thinkingUnlimited: false });
export const solutionBudgetEdited = (v: string) => settingsStore.setState({ solutionBudget: v });
export const thinkingUnlimitedToggled = (on: boolean) => settingsStore.setState({ thinkingUnlimited: on });
export const budgetPresetChosen = (t: number | 'unlimited', s: number) =>
  settingsStore.setState(t === 'unlimited' ? { thinkingUnlimited: true, solutionBudget: String(s) } : { thinkingBudget: String(t), thinkingUnlimited: false, solutionBudget: String(s) });
export const greedyToggled = (greedy: boolean) => settingsStore.setState({ greedy });
export const samplingEdited = (patch: Partial<Pick<SettingsState, 'temperature' | 'topP' | 'topK' | 'seed'>>) => settingsStore.setState(patch);
export const modelInputEdited = (modelInput: string) => settingsStore.setState({ modelInput });
export const deviceChosen = (device: SettingsState['device']) => settingsStore.setState({ device });
export const dtypeChosen = (dtype: SettingsState['dtype']) => settingsStore.setState({ dtype });
export const historyKeepEdited = (historyKeep: string) => settingsStore.setState({ historyKeep });

export const MAX_HISTORY_KEEP = 100_000;

/** The History cap: empty = keep everything, else a whole number from 1 to MAX_HISTORY_KEEP. */
export function parseHistoryKeep(raw: string): { value: number | null } | { error: string } {
  const t = raw.trim();
  if (t === '') return { value: null };
  const v = Number(t);
  if (!/^\d+$/.test(t) || v < 1 || v > MAX_HISTORY_KEEP) {
    return { error: `"Keep at most" must be a whole number from 1 to ${MAX_HISTORY_KEEP.toLocaleString('en-US')}, or empty to keep everything; nothing is dropped until it is.` };
  }
  return { value: v };
}

/** Parses a budget field: a whole number in [0, MAX_BUDGET]. */
export function parseBudget(raw: string, label: string): { value: number } | { error: string } {
  const t = raw.trim();
  if (!/^\d+$/.test(t)) return { error: `${label} must be a whole number of tokens.` };
  const v = Number(t);
  if (v > MAX_BUDGET) return { error: `${label} can be at most ${MAX_BUDGET} tokens.` };
  return { value: v };
}

export function parseSampling(s: SettingsState): { value: Sampling } | { error: string } {
  if (s.greedy) return { value: { kind: 'greedy' } };
  const num = (raw: string) => (raw.trim() === '' ? NaN : Number(raw));
  const sampling: Sampling = { kind: 'sample', temperature: num(s.temperature), topP: num(s.topP), topK: num(s.topK), seed: num(s.seed) };
  const err = validateSampling(sampling);
  return err ? { error: err } : { value: sampling };
}
