// One "busy", one Stop, and what a lost worker does to the stores (no Worker needed: the events
// the worker client raises are called directly).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { compareStore } from '../state/compare-store.ts';
import { evalStore, evaluationRunning } from '../state/eval-store.ts';
import { loadRequested, modelLoaded, modelStore, resetModelStore } from '../state/model-store.ts';
import { runRequested, runStore } from '../state/run-store.ts';
import { defaultSettings, settingsStore } from '../state/settings-store.ts';
import { cancelLoad, requestRun, startRun } from './actions.ts';
import { activity, busyReason, jobStarted, stopEverything } from './busy.ts';
import { throwIfBroken, waitForRunEnd } from './compare.ts';
import { dispatchFromWorker, workerLost } from './dispatch.ts';

const SPEC = { problem: 'p', paperSuffix: true, lanes: [{ thinking: 10, solution: 5 }], sampling: { kind: 'greedy' as const } };

function readyModel() {
  loadRequested('/models/m', 'webgpu', 'q4');
  modelLoaded({ modelId: '/models/m', device: 'webgpu', dtype: 'q4', context: 2048, fromCache: false });
}

beforeEach(() => {
  resetModelStore();
  runStore.setState({ run: null });
  compareStore.setState({ comparison: null });
  evalStore.setState({ evaluation: null });
  settingsStore.setState({ ...defaultSettings, problem: 'What is 1+1?' });
});

describe('one busy', () => {
  it('an evaluation between two runs (grading) still blocks a new run', () => {
    readyModel();
    evaluationRunning(
      {
        id: 'e1',
        createdAt: 0,
        set: { id: 'compact', label: 'Compact' },
        selection: { mode: 'all', count: 0, seed: 0 },
        problems: [{ id: 'a', problem: 'p', answers: ['2'] }],
        models: ['/models/m'],
        budgets: [1, 2],
        solution: 5,
        k: 1,
        seed: 0,
        sampling: { kind: 'greedy' },
        samples: [],
        status: 'running',
        error: null,
        activeMs: 0,
      },
      0,
    );
    expect(activity()).toBe('evaluation');
    expect(requestRun()).toMatch(/evaluation is running/);
    expect(runStore.getState().run).toBeNull();
  });

  it('a load blocks starting, but not the job that loads (a comparison loads its lanes)', () => {
    loadRequested('/models/m', 'webgpu', 'q4');
    expect(busyReason()).toMatch(/model is loading/);
    expect(busyReason('load')).toBeNull();
  });

  it('Stop stops the registered job and the run in flight', () => {
    // The client queues the stop until its (fake) worker says ready.
    vi.stubGlobal('Worker', class {
      postMessage() {}
      terminate() {}
    });
    readyModel();
    let stopped = 0;
    const release = jobStarted(() => stopped++);
    runRequested('r1', SPEC);
    stopEverything();
    expect(stopped).toBe(1);
    expect(runStore.getState().run?.status).toBe('stopping');
    release();
    stopEverything();
    expect(stopped).toBe(1);
  });
});

describe('a lost worker', () => {
  it('interrupts the run keeping its text, frees waiters, and remembers the model for a reload', async () => {
    readyModel();
    runRequested('r1', SPEC);
    dispatchFromWorker({ type: 'tokens', runId: 'r1', batch: { thinking: 'Let me', thinkingTokens: 2, solutions: {}, solutionTokens: {}, ttftMs: 1, decodeMs: 2 } }, 0);
    const ended = waitForRunEnd('r1');
    workerLost('The GPU device was lost.');
    const r = await ended;
    expect(r).toMatchObject({ status: 'interrupted', thinking: 'Let me', thinkingTokens: 2 });
    expect(r.error).toMatch(/^Interrupted: The GPU device was lost\. What had streamed is kept\.$/);
    expect(() => throwIfBroken(r)).toThrow(/GPU device was lost/);
    expect(modelStore.getState()).toMatchObject({ status: 'error', info: null, lost: { message: 'The GPU device was lost.', modelId: '/models/m' } });
    expect(activity()).toBeNull();
  });

  it('ends a load in flight as failed, so a comparison waiting on it moves on', () => {
    loadRequested('/models/m', 'webgpu', 'q4');
    workerLost('The model worker crashed.');
    expect(modelStore.getState()).toMatchObject({ status: 'error', lost: { modelId: '/models/m' } });
  });

  it('a job asking for a run afterwards gets a failed run at once, with the reason', async () => {
    readyModel();
    workerLost('The model worker crashed.');
    const id = startRun(SPEC);
    const r = await waitForRunEnd(id);
    expect(r).toMatchObject({ status: 'failed', error: 'The model worker crashed.' });
  });

  it('a cancelled load ends like a failed one (a comparison waiting on it moves on)', async () => {
    vi.stubGlobal('Worker', class {
      postMessage() {}
      terminate() {}
    });
    loadRequested('/models/m', 'webgpu', 'q4');
    cancelLoad();
    expect(modelStore.getState()).toMatchObject({ status: 'error', error: 'Load cancelled.' });
    expect(activity()).toBeNull();
  });

  it('a wait whose run was replaced rejects instead of hanging', async () => {
    runRequested('r1', SPEC);
    const ended = waitForRunEnd('r1');
    runRequested('r2', SPEC);
    await expect(ended).rejects.toThrow(/replaced/);
  });
});
