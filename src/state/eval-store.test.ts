import { beforeEach, describe, expect, it } from 'vitest';
import { fixtureEvaluation } from '../core/eval-fixtures.ts';
import { endRequested, evalStore, evaluationEnded, evaluationOpened, evaluationRunning, progressOf, resetEvalStore, sampleGraded } from './eval-store.ts';

beforeEach(resetEvalStore);

describe('eval store', () => {
  it('counts running time only (pauses excluded), for the rate and the time left', () => {
    const full = fixtureEvaluation();
    evaluationRunning({ ...full, samples: [], activeMs: 0, status: 'paused' }, 1000);
    sampleGraded(full.id, full.samples[0]!, 4000);
    sampleGraded(full.id, full.samples[1]!, 7000);
    expect(evalStore.getState().evaluation).toMatchObject({ status: 'running', activeMs: 6000 });
    endRequested(full.id, 'pause');
    expect(evalStore.getState().ending).toBe('pause');
    evaluationEnded(full.id, 'paused', 8000);
    const e = evalStore.getState().evaluation!;
    expect(e).toMatchObject({ status: 'paused', activeMs: 7000 });
    expect(evalStore.getState()).toMatchObject({ ending: null, runningSince: null });
    // an hour later: paused time does not count
    const p = progressOf(e, null, 8000 + 3_600_000);
    expect(p.done).toBe(2);
    expect(p.total).toBe(12);
    expect(p.perMinute).toBeCloseTo((2 * 60_000) / 7000, 9);
    expect(p.minutesLeft).toBeCloseTo(10 / p.perMinute!, 9);
  });

  it('ignores events for another evaluation, and a pause does not undo a stop', () => {
    const e = fixtureEvaluation(false);
    evaluationRunning(e, 0);
    sampleGraded('other', fixtureEvaluation().samples[0]!, 10);
    expect(evalStore.getState().evaluation!.samples).toHaveLength(0);
    endRequested(e.id, 'stop');
    endRequested(e.id, 'pause');
    expect(evalStore.getState().ending).toBe('stop');
    evaluationOpened(fixtureEvaluation(), 'Opened');
    expect(evalStore.getState()).toMatchObject({ notice: 'Opened', runningSince: null, ending: null });
    expect(progressOf(evalStore.getState().evaluation!, null, 0)).toMatchObject({ done: 12, total: 12 });
  });
});
