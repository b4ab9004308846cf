// A comparison or an evaluation cut by a lost worker (crash, out of memory, lost GPU) ends with its
// own "interrupted" status — not "failed" — keeping finished lanes, graded samples and the partial
// text. The worker client's events are called directly (no Worker: a stub swallows the messages).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EvalProblem, EvalRecord } from '../core/evaluation.ts';
import { compareSettingsStore, compareStore, defaultCompareSettings, toRecord } from '../state/compare-store.ts';
import { evalStore, evaluationOpened, resetEvalStore } from '../state/eval-store.ts';
import { defaultEvalSettings } from '../state/eval-settings-store.ts';
import { loadRequested, modelLoaded, probed, resetModelStore } from '../state/model-store.ts';
import { isActive, runStore } from '../state/run-store.ts';
import { defaultSettings, settingsStore } from '../state/settings-store.ts';
import { requestComparison, waitFor } from './compare.ts';
import { dispatchFromWorker, workerLost } from './dispatch.ts';
import { evalLockName, requestEvaluation, resumeEvaluation, stopEvaluation } from './evaluate.ts';
import { FakeLocks } from '../../test/fake-locks.ts';

function readyModel(modelId = '/models/m') {
  loadRequested(modelId, 'webgpu', 'q4');
  modelLoaded({ modelId, device: 'webgpu', dtype: 'q4', context: 2048, fromCache: false });
}

const batch = (thinking: string, thinkingTokens: number) => ({ thinking, thinkingTokens, solutions: {}, solutionTokens: {}, ttftMs: 1, decodeMs: 2 });
const STATS = { promptTokens: 3, prefillMs: 1, ttftMs: 1, decodeMs: 1, decodedTokens: 4, tokensPerSecond: 2, forwardCalls: 4, tokensFed: 4 };

/** The run in flight once it is not `prev` (a job starts its runs after awaits). */
async function nextRun(prev: string | null = null): Promise<string> {
  const s = await waitFor(runStore, (st) => !!st.run && st.run.runId !== prev && isActive(st.run));
  return s.run!.runId;
}

function finishRun(runId: string, answer: string) {
  dispatchFromWorker({ type: 'runStarted', runId, promptTokens: 3 }, 0);
  dispatchFromWorker(
    {
      type: 'runFinished',
      runId,
      aborted: false,
      lanes: [{ thinkingText: 'ok', solutionText: `\\boxed{${answer}}`, thinkingTokens: 1, thinkingEnd: 'model', solutionTokens: 1, solutionEnd: 'eos' }],
      stats: STATS,
      thinkingIds: [1],
      thinkingEnds: [2],
    },
    0,
  );
}

beforeEach(() => {
  vi.stubGlobal('Worker', class {
    postMessage() {}
    terminate() {}
  });
  resetModelStore();
  probed({ webgpu: true, shaderF16: false, adapter: 'test' });
  runStore.setState({ run: null });
  compareStore.setState({ comparison: null });
  resetEvalStore();
  settingsStore.setState({ ...defaultSettings, problem: 'What is 1+1?', greedy: true });
});
afterEach(() => vi.unstubAllGlobals());

describe('a lost worker interrupts a job, which keeps what it had', () => {
  it('a sweep comparison: status interrupted, the reason as said, every lane keeps the partial trace', async () => {
    readyModel();
    compareSettingsStore.setState({ ...defaultCompareSettings, mode: 'sweep', sweepBudgets: '4, 8', sweepSolution: '5' });
    expect(requestComparison()).toBeNull();
    const runId = compareStore.getState().comparison!.sweepRunId!;
    dispatchFromWorker({ type: 'runStarted', runId, promptTokens: 3 }, 0);
    dispatchFromWorker({ type: 'tokens', runId, batch: batch('Let me think', 3) }, 0);
    workerLost('The model worker crashed (boom).');
    const c = (await waitFor(compareStore, (s) => s.comparison?.status !== 'running')).comparison!;
    expect(c.status).toBe('interrupted');
    expect(c.error).toBe('The model worker crashed (boom).');
    expect(c.outcomes.map((o) => o?.thinkingText)).toEqual(['Let me think', 'Let me think']);
    expect(toRecord(c).status).toBe('interrupted');
  });

  it('independent lanes: the finished lane is kept, a lane whose model load the loss cut ends it interrupted', async () => {
    readyModel('/models/a');
    compareSettingsStore.setState({
      ...defaultCompareSettings,
      mode: 'independent',
      lanes: [
        { modelId: '/models/a', thinking: '4', solution: '5', seed: '0' },
        { modelId: '/models/b', thinking: '4', solution: '5', seed: '0' },
      ],
    });
    expect(requestComparison()).toBeNull();
    finishRun(await nextRun(), '2');
    await waitFor(compareStore, (s) => s.comparison?.loading === '/models/b');
    workerLost('The GPU device was lost.');
    const c = (await waitFor(compareStore, (s) => s.comparison?.status !== 'running')).comparison!;
    expect(c).toMatchObject({ status: 'interrupted', error: 'The GPU device was lost.' });
    expect(c.outcomes[0]).toMatchObject({ answer: '2', solutionEnd: 'eos' });
    expect(c.outcomes[1]).toBeNull();
  });

  it('an evaluation: status interrupted (resumable), graded samples kept', async () => {
    readyModel();
    const problems: EvalProblem[] = [
      { id: 'a', problem: '1+1', answers: ['2'] },
      { id: 'b', problem: '2+2', answers: ['4'] },
    ];
    const err = await requestEvaluation({ ...defaultEvalSettings, set: 'custom', selection: 'all', custom: { name: 'mine.json', problems }, budgets: '4', solution: '5' });
    expect(err).toBeNull();
    const first = await nextRun();
    finishRun(first, '2');
    const second = await nextRun(first);
    dispatchFromWorker({ type: 'runStarted', runId: second, promptTokens: 3 }, 0);
    workerLost('The model worker stopped unexpectedly.');
    const e = (await waitFor(evalStore, (s) => s.evaluation?.status !== 'running')).evaluation!;
    expect(e.status).toBe('interrupted');
    expect(e.error).toMatch(/^The model worker stopped unexpectedly\. Graded samples are kept; Resume goes on/);
    expect(e.samples).toHaveLength(1);
    expect(e.samples[0]!.lanes[0]).toMatchObject({ answer: '2', correct: true });
  });
});

describe('two tabs never run one evaluation (a Web Lock per evaluation)', () => {
  const paused: EvalRecord = {
    id: 'eval-1',
    createdAt: 0,
    set: { id: 'custom', label: 'mine.json' },
    selection: { mode: 'all', count: 0, seed: 0 },
    problems: [{ id: 'a', problem: '1+1', answers: ['2'] }],
    models: ['/models/m'],
    budgets: [4],
    solution: 5,
    k: 1,
    seed: 0,
    sampling: { kind: 'greedy' },
    samples: [],
    status: 'paused',
    error: null,
    activeMs: 0,
  };

  it('Resume while another tab holds the evaluation shows it running there and runs nothing; once released it runs here', async () => {
    const locks = new FakeLocks();
    vi.stubGlobal('navigator', { locks });
    readyModel();
    const otherTab = locks.hold(evalLockName('eval-1'));
    evaluationOpened(paused, null);
    expect(resumeEvaluation()).toBeNull();
    const shown = await waitFor(evalStore, (s) => s.elsewhere);
    expect(shown.evaluation?.status).toBe('paused');
    expect(shown.notice).toMatch(/running in another tab of this app \(0 of 1 samples/);
    expect(runStore.getState().run).toBeNull();
    // Stop here would overwrite the other tab's status: refused while it runs there.
    stopEvaluation();
    await Promise.resolve();
    expect(evalStore.getState().evaluation?.status).toBe('paused');

    otherTab();
    expect(resumeEvaluation()).toBeNull();
    await nextRun();
    expect(evalStore.getState()).toMatchObject({ elsewhere: false, evaluation: { status: 'running' } });
    // This tab now holds it: a second tab would be refused.
    expect(() => locks.hold(evalLockName('eval-1'))).toThrow(/already held/);
  });
});
