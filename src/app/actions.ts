// User intents: validate, record the event in the stores, message the worker.
import { parseModelSource } from '../core/model-source.ts';
import {
  downloadConsentAsked,
  downloadConsentEnded,
  downloadSizeFound,
  loadCancelled,
  loadRejected,
  loadRequested,
  modelStore,
} from '../state/model-store.ts';
import { runFailed, runRequested } from '../state/run-store.ts';
import { recutRunning } from '../state/recut-store.ts';
import { parseBudget, parseSampling, settingsStore } from '../state/settings-store.ts';
import type { Dtype, RunSpec, TestFault } from '../worker/protocol.ts';
import { activity, busyReason, stopEverything } from './busy.ts';
import { foreignHost, remoteModelSize } from './model-size.ts';
import { chooseRuntime } from './choices.ts';
import { loadableAsIs, presetFor } from './presets.ts';
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
export function loadModel(input: string, inTurn = false): string | null {
  const s = settingsStore.getState();
  if (modelStore.getState().status === 'loading') return 'A model is loading; wait for it to finish.';
  // `inTurn`: a comparison or an evaluation loading its next model is not blocked by itself.
  const job = activity();
  const busy = busyReason(inTurn && (job === 'comparison' || job === 'evaluation') ? job : undefined);
  if (busy) return busy;
  const src = parseModelSource(input);
  if ('error' in src) return src.error;
  if (!loadableAsIs(input)) return presetFor(input)!.note;
  const rt = chooseRuntime(s.device, s.dtype, modelStore.getState().probe);
  if ('error' in rt) return rt.error;
  const modelId = input.trim();
  const host = foreignHost(modelId, typeof location === 'undefined' ? undefined : location.origin);
  if (host && !consented.has(modelId)) {
    if (inTurn) return `${modelId} comes from ${host}: load it once from the model panel (which shows its size and asks first) before comparing.`;
    askConsent(modelId, host, src as Exclude<typeof src, { kind: 'local' }>, rt.dtype);
    return null;
  }
  loadRequested(modelId, rt.device, rt.dtype, rt.warning);
  workerClient().send({ type: 'load', modelId, device: rt.device, dtype: rt.dtype });
  return null;
}

/** Foreign models the user agreed to download in this session. */
const consented = new Set<string>();

function askConsent(modelId: string, host: string, src: Parameters<typeof remoteModelSize>[0], dtype: Dtype): void {
  downloadConsentAsked(modelId, host);
  remoteModelSize(src, dtype, (url, init) => fetch(url, init))
    .then((size) => downloadSizeFound(modelId, size))
    .catch((e: unknown) => downloadSizeFound(modelId, { error: e instanceof Error ? e.message : String(e) }));
}

/** The user said yes to downloading the model in question. */
export function confirmDownload(): string | null {
  const c = modelStore.getState().consent;
  if (!c) return null;
  consented.add(c.modelId);
  downloadConsentEnded();
  const err = loadModel(c.modelId);
  if (err) loadRejected(err);
  return err;
}

export function declineDownload(): void {
  downloadConsentEnded();
}

/**
 * Sends a run; the caller has validated it. Returns the run id. Without a model (the worker was
 * lost between two runs of a job) the run fails at once, with the reason, so no one waits on it.
 */
/** Asks the worker for the memory plan of `spec` on the loaded model (answered by `planned`). */
export function sendPlanRequest(planId: string, spec: RunSpec): void {
  workerClient().send({ type: 'plan', planId, spec });
}

export function startRun(spec: RunSpec): string {
  const runId = `run-${Date.now()}-${++runCounter}`;
  runRequested(runId, spec);
  const m = modelStore.getState();
  if (m.status !== 'ready') runFailed(runId, m.lost?.message ?? m.error ?? 'No model is loaded.');
  else workerClient().send({ type: 'run', runId, spec });
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
  const busy = busyReason();
  if (busy) return busy;
  if (modelStore.getState().status !== 'ready') return 'Load a model first.';
  if (recutRunning()) return 'A re-cut is running; wait for it or cancel it.';
  const c = currentSpec();
  if ('error' in c) return c.error;
  startRun(c.spec);
  return null;
}

/** The one Stop (src/app/busy.ts): a run, a comparison or an evaluation. */
export function requestStop(): void {
  stopEverything();
}

/** Reloads the model the lost worker held (after a crash or a lost GPU). */
export function requestReload(): string | null {
  const lost = modelStore.getState().lost;
  const modelId = lost?.modelId ?? modelStore.getState().requested?.modelId;
  if (!modelId) return requestLoad();
  const err = loadModel(modelId);
  if (err) loadRejected(err);
  return err;
}

/**
 * Cancels a load in progress. transformers.js cannot abort a download, so the worker is replaced:
 * nothing else is lost (a load has already released the previous model).
 */
export function cancelLoad(): void {
  if (modelStore.getState().status !== 'loading') return;
  workerClient().restart();
  loadCancelled();
}

/** Test hook (e2e): a real fault inside the model worker. */
export function injectFault(f: TestFault): void {
  workerClient().fault(f);
}

export function requestProbe(): void {
  workerClient().send({ type: 'probe' });
}

export function requestClearCache(): void {
  workerClient().send({ type: 'clearCache' });
}
