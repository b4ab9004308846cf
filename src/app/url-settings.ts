// Settings in the URL (never outputs), so a link reproduces a run or a comparison.
import { COMPARE_SETTINGS_SPEC, MAX_LANES, compareSettingsStore, type CompareSettings, type IndependentLaneInput } from '../state/compare-store.ts';
import { SETTINGS_SPEC, settingsStore, type SettingsState } from '../state/settings-store.ts';
import { MAX_PROBLEM_CHARS, sanitize, settingsNoticeStore, settingsRepaired } from '../state/settings-validation.ts';
import { hubMirrorChosen } from '../state/convert-store.ts';
import { EXAMPLES, findExample } from './examples.ts';

export type Tab = 'run' | 'compare' | 'evaluate' | 'history';

/**
 * Applies URL parameters to the settings; returns the tab to show. A link is untrusted: each value
 * is checked like saved settings (src/state/settings-validation.ts); what is refused or shortened
 * is named in the settings notice, the rest applies.
 */
export function applyUrl(search: string): Tab {
  // Saved settings repaired on reading are written back at once, so the next visit reads them clean.
  if (settingsNoticeStore.getState().problems.length) {
    settingsStore.setState({});
    compareSettingsStore.setState({});
  }
  const p = new URLSearchParams(search);
  const problems: string[] = [];
  const s: Partial<Record<keyof SettingsState, unknown>> = {};
  const model = p.get('model');
  if (model) s.modelInput = model;
  const device = p.get('device');
  if (device) s.device = device;
  const dtype = p.get('dtype');
  if (dtype) s.dtype = dtype;
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
  if (typeof s.problem === 'string' && s.problem.length > MAX_PROBLEM_CHARS) {
    problems.push(`Link: the problem was cut to ${MAX_PROBLEM_CHARS.toLocaleString('en-US')} characters (it had ${s.problem.length.toLocaleString('en-US')})`);
    s.problem = s.problem.slice(0, MAX_PROBLEM_CHARS);
  }
  if (Object.keys(s).length) {
    const checked = sanitize(s, SETTINGS_SPEC, settingsStore.getState(), 'Link');
    problems.push(...checked.problems);
    settingsStore.setState(checked.value);
  }
  const hub = p.get('hub');
  if (hub) hubMirrorChosen(hub);

  const c: Partial<Record<keyof CompareSettings, unknown>> = {};
  const mode = p.get('mode');
  if (mode === 'sweep' || mode === 'independent') c.mode = mode;
  if (p.has('budgets')) c.sweepBudgets = p.get('budgets')!.replace(/,/g, ', ');
  if (p.has('sweep_s')) c.sweepSolution = p.get('sweep_s')!;
  const lanes = p.getAll('lane').map(parseLane).filter((l): l is IndependentLaneInput => l !== null);
  if (lanes.length > MAX_LANES) problems.push(`Link: ${lanes.length} lanes given, the first ${MAX_LANES} are used`);
  if (lanes.length) c.lanes = lanes.slice(0, MAX_LANES);
  if (Object.keys(c).length) {
    const checked = sanitize(c, COMPARE_SETTINGS_SPEC, compareSettingsStore.getState(), 'Link');
    problems.push(...checked.problems);
    compareSettingsStore.setState(checked.value);
  }
  settingsRepaired(problems);

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
