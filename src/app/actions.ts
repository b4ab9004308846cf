// User intents: validate, record the event in the stores, message the worker.
import { parseModelSource } from '../core/model-source.ts';
import { compareStore } from '../state/compare-store.ts';
import { loadRejected, loadRequested, modelStore } from '../state/model-store.ts';
import { isActive, runRequested, runStore, stopRequested } from '../state/run-store.ts';
import { parseBudget, parseSampling, settingsStore } from '../state/settings-store.ts';
import type { RunSpec } from '../worker/protocol.ts';
import { chooseRuntime } from './choices.ts';
import { presetFor } from './presets.ts';
import { workerClient } from './worker-client.ts';

let runCounter = 0;

/** Resolves once the GPU probe has answered. */
function whenProbed(): Promise<void> {
  return new Promise((resolve) => {
    if (modelStore.getState().probe) return resolve();
    const unsubscribe = modelStore.subscribe((s) => {
      if (s.probe) {
        unsubscribe();
        resolve();
      }
    });
  });
}

let loadAfterProbe = false;

/** Loads the model in the model field; returns an error message when it cannot start. */
export function requestLoad(): string | null {
  const s = settingsStore.getState();
  if (s.device === 'auto' && !modelStore.getState().probe) {
    // Auto needs to know whether WebGPU exists: load (once) as soon as the probe answers.
    if (!loadAfterProbe) {
      loadAfterProbe = true;
      void whenProbed().then(() => {
        loadAfterProbe = false;
        requestLoad();
      });
    }
    return null;
  }
  const err = startLoad();
  if (err) loadRejected(err);
  return err;
}

function startLoad(): string | null {
  return loadModel(settingsStore.getState().modelInput);
}

/**
 * Starts loading `input` with the chosen device and weights; an error message when it cannot.
 * `forComparison` is the comparison runner's own call: others may not load while it runs.
 */
export function loadModel(input: string, forComparison = false): string | null {
  const s = settingsStore.getState();
  if (modelStore.getState().status === 'loading') return 'A model is loading; wait for it to finish.';
  const cmp = compareStore.getState().comparison;
  if (!forComparison && (cmp?.status === 'running' || cmp?.status === 'stopping')) {
    return 'A comparison is running; stop it before loading another model.';
  }
  const src = parseModelSource(input);
  if ('error' in src) return src.error;
  const preset = presetFor(input);
  if (preset && !preset.webReady) return preset.note;
  if (isActive(runStore.getState().run)) return 'Stop the running generation before loading another model.';
  const rt = chooseRuntime(s.device, s.dtype, modelStore.getState().probe);
  if ('error' in rt) return rt.error;
  const modelId = input.trim();
  loadRequested(modelId, rt.device, rt.dtype, rt.warning);
  workerClient().send({ type: 'load', modelId, device: rt.device, dtype: rt.dtype });
  return null;
}

/** Sends a run; the caller has validated it. Returns the run id. */
export function startRun(spec: RunSpec): string {
  const runId = `run-${Date.now()}-${++runCounter}`;
  runRequested(runId, spec);
  workerClient().send({ type: 'run', runId, spec });
  return runId;
}

/** The run the controls describe, or what is wrong with them. */
export function currentSpec(): { spec: RunSpec } | { error: string } {
  const s = settingsStore.getState();
  if (!s.problem.trim()) return { error: 'Type a problem or pick an example first.' };
  const t = s.thinkingUnlimited ? { value: 'max' as const } : parseBudget(s.thinkingBudget, 'Thinking budget');
  if ('error' in t) return t;
  const sb = parseBudget(s.solutionBudget, 'Solution budget');
  if ('error' in sb) return sb;
  const sampling = parseSampling(s);
  if ('error' in sampling) return sampling;
  return { spec: { problem: s.problem, paperSuffix: s.paperSuffix, lanes: [{ thinking: t.value, solution: sb.value }], sampling: sampling.value } };
}

export function requestRun(): string | null {
  if (modelStore.getState().status !== 'ready') return 'Load a model first.';
  if (isActive(runStore.getState().run)) return 'A generation is already running.';
  const c = currentSpec();
  if ('error' in c) return c.error;
  startRun(c.spec);
  return null;
}

export function requestStop(): void {
  const r = runStore.getState().run;
  if (!r || !isActive(r)) return;
  stopRequested(r.runId);
  workerClient().send({ type: 'stop', runId: r.runId });
}

export function requestProbe(): void {
  workerClient().send({ type: 'probe' });
}

export function requestClearCache(): void {
  workerClient().send({ type: 'clearCache' });
}
