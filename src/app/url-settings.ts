// Settings in the URL (never outputs), so a link reproduces a run or a comparison.
import { compareSettingsStore, type CompareSettings, type IndependentLaneInput } from '../state/compare-store.ts';
import { hubMirrorChosen } from '../state/convert-store.ts';
import { settingsStore, type SettingsState } from '../state/settings-store.ts';
import type { Device, Dtype } from '../worker/protocol.ts';
import { EXAMPLES, findExample } from './examples.ts';

export type Tab = 'run' | 'compare' | 'evaluate' | 'history';

const DEVICES = ['auto', 'webgpu', 'wasm'] as const;
const DTYPES = ['auto', 'q4', 'q4f16', 'fp16', 'fp32'] as const;

/** Applies URL parameters to the settings; returns the tab to show. */
export function applyUrl(search: string): Tab {
  const p = new URLSearchParams(search);
  const s: Partial<Record<keyof SettingsState, unknown>> = {};
  const model = p.get('model');
  if (model) s.modelInput = model;
  const device = p.get('device');
  if (device && (DEVICES as readonly string[]).includes(device)) s.device = device as Device | 'auto';
  const dtype = p.get('dtype');
  if (dtype && (DTYPES as readonly string[]).includes(dtype)) s.dtype = dtype as Dtype | 'auto';
  const problemId = p.get('problem_id');
  const example = problemId ? EXAMPLES.find((e) => e.id === problemId) : undefined;
  if (example) s.problem = example.problem;
  else if (p.has('problem')) s.problem = p.get('problem') ?? '';
  if (p.has('suffix')) s.paperSuffix = p.get('suffix') !== '0';
  if (p.has('t')) {
    const t = p.get('t')!;
    if (t === 'max') s.thinkingUnlimited = true;
    else {
      s.thinkingBudget = t;
      s.thinkingUnlimited = false;
    }
  }
  if (p.has('s')) s.solutionBudget = p.get('s')!;
  if (p.has('greedy')) s.greedy = p.get('greedy') === '1';
  for (const [param, key] of [
    ['temp', 'temperature'],
    ['top_p', 'topP'],
    ['top_k', 'topK'],
    ['seed', 'seed'],
  ] as const) {
    if (p.has(param)) s[key] = p.get(param)!;
  }
  if (Object.keys(s).length) settingsStore.setState(s as Partial<SettingsState>);
  const hub = p.get('hub');
  if (hub) hubMirrorChosen(hub);

  const c: Partial<Record<keyof CompareSettings, unknown>> = {};
  const mode = p.get('mode');
  if (mode === 'sweep' || mode === 'independent') c.mode = mode;
  if (p.has('budgets')) c.sweepBudgets = p.get('budgets')!.replace(/,/g, ', ');
  if (p.has('sweep_s')) c.sweepSolution = p.get('sweep_s')!;
  const lanes = p.getAll('lane').map(parseLane).filter((l): l is IndependentLaneInput => l !== null);
  if (lanes.length) c.lanes = lanes;
  if (Object.keys(c).length) compareSettingsStore.setState(c as Partial<CompareSettings>);

  const tab = p.get('tab');
  return tab === 'compare' || tab === 'history' || tab === 'evaluate' ? tab : mode ? 'compare' : 'run';
}

/** lane=<model>|<t>|<s>|<seed> */
function parseLane(raw: string): IndependentLaneInput | null {
  const [modelId, thinking, solution, seed] = raw.split('|');
  if (!modelId || !thinking || !solution) return null;
  return { modelId, thinking, solution, seed: seed ?? '0' };
}

function commonParams(s: SettingsState): URLSearchParams {
  const p = new URLSearchParams();
  p.set('model', s.modelInput.trim());
  if (s.device !== 'auto') p.set('device', s.device);
  if (s.dtype !== 'auto') p.set('dtype', s.dtype);
  const ex = findExample(s.problem);
  if (ex) p.set('problem_id', ex.id);
  else if (s.problem.trim()) p.set('problem', s.problem);
  p.set('suffix', s.paperSuffix ? '1' : '0');
  if (s.greedy) p.set('greedy', '1');
  else {
    p.set('temp', s.temperature);
    p.set('top_p', s.topP);
    if (s.topK.trim() !== '0') p.set('top_k', s.topK);
    p.set('seed', s.seed);
  }
  return p;
}

export function compareUrl(): string {
  const s = settingsStore.getState();
  const c = compareSettingsStore.getState();
  const p = commonParams(s);
  p.set('tab', 'compare');
  p.set('mode', c.mode);
  if (c.mode === 'sweep') {
    p.set('budgets', c.sweepBudgets.replace(/\s+/g, ''));
    p.set('sweep_s', c.sweepSolution);
  } else {
    for (const l of c.lanes) p.append('lane', [l.modelId, l.thinking, l.solution, l.seed].join('|'));
  }
  return `${location.pathname}?${p.toString()}`;
}
