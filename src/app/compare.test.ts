import { describe, expect, it } from 'vitest';
import { defaultCompareSettings } from '../state/compare-store.ts';
import { defaultSettings } from '../state/settings-store.ts';
import { memoryPlanRequest, parseSweepBudgets, planComparison } from './compare.ts';

const settings = { ...defaultSettings, problem: 'What is 1+1?', greedy: true };

describe('sweep plan', () => {
  it('reads 2–6 distinct budgets, ascending', () => {
    expect(parseSweepBudgets('2048, 512 1024')).toEqual({ value: [512, 1024, 2048] });
    expect(parseSweepBudgets('512,512,1024')).toEqual({ value: [512, 1024] });
    expect(parseSweepBudgets('512')).toHaveProperty('error', expect.stringMatching(/2 to 6/));
    expect(parseSweepBudgets('1,2,3,4,5,6,7')).toHaveProperty('error', expect.stringMatching(/got 7/));
    expect(parseSweepBudgets('512, lots')).toHaveProperty('error', expect.stringMatching(/"lots"/));
  });

  it('a sweep runs on the loaded model with one lane per budget', () => {
    const plan = planComparison(settings, { ...defaultCompareSettings, mode: 'sweep', sweepBudgets: '30, 10, 20', sweepSolution: '50' }, '/models/m');
    expect(plan).toEqual({
      mode: 'sweep',
      lanes: [10, 20, 30].map((t) => ({ modelId: '/models/m', thinking: t, solution: 50, sampling: { kind: 'greedy' } })),
    });
    expect(planComparison(settings, { ...defaultCompareSettings, mode: 'sweep' }, null)).toHaveProperty('error', expect.stringMatching(/Load a model/));
  });

  it('independent lanes carry their own model, budgets and seed', () => {
    const sampled = { ...settings, greedy: false };
    const plan = planComparison(
      sampled,
      {
        ...defaultCompareSettings,
        mode: 'independent',
        lanes: [
          { modelId: '/models/a', thinking: '10', solution: '20', seed: '1' },
          { modelId: 'org/b', thinking: '30', solution: '40', seed: '2' },
        ],
      },
      null,
    );
    expect(plan).toMatchObject({
      mode: 'independent',
      lanes: [
        { modelId: '/models/a', thinking: 10, solution: 20, sampling: { kind: 'sample', seed: 1, temperature: 0.6, topP: 0.95 } },
        { modelId: 'org/b', thinking: 30, solution: 40, sampling: { seed: 2 } },
      ],
    });
  });

  it('names what is wrong', () => {
    expect(planComparison({ ...settings, problem: ' ' }, defaultCompareSettings, 'm/m')).toHaveProperty('error', expect.stringMatching(/problem/));
    const bad = { ...defaultCompareSettings, mode: 'independent' as const, lanes: [{ modelId: 'nope', thinking: '1', solution: '1', seed: '0' }, defaultCompareSettings.lanes[0]!] };
    expect(planComparison(settings, bad, null)).toHaveProperty('error', expect.stringMatching(/Lane 1/));
  });

  it('asks the worker for the memory plan of the one run that batches, or says why it cannot yet', () => {
    const sweep = { ...defaultCompareSettings, mode: 'sweep' as const, sweepBudgets: '10, 20', sweepSolution: '5' };
    const req = memoryPlanRequest(settings, sweep, '/models/m');
    expect(req).toEqual({
      key: expect.any(String),
      spec: { problem: 'What is 1+1?', paperSuffix: settings.paperSuffix, lanes: [{ thinking: 10, solution: 5 }, { thinking: 20, solution: 5 }], sampling: { kind: 'greedy' } },
    });
    // Another budget is another plan.
    expect(memoryPlanRequest(settings, { ...sweep, sweepBudgets: '10, 30' }, '/models/m')!.key).not.toBe(req!.key);
    // Independent lanes of one model with the same sampling run as one batched run: planned once loaded.
    const same = {
      ...defaultCompareSettings,
      mode: 'independent' as const,
      lanes: [
        { modelId: '/models/a', thinking: '10', solution: '20', seed: '1' },
        { modelId: '/models/a', thinking: '30', solution: '40', seed: '1' },
      ],
    };
    expect(memoryPlanRequest(settings, same, '/models/a')).toHaveProperty('spec.lanes', [{ thinking: 10, solution: 20 }, { thinking: 30, solution: 40 }]);
    expect(memoryPlanRequest(settings, same, null)).toHaveProperty('note', expect.stringMatching(/once \/models\/a is loaded/));
    // Different models run one after another.
    const mixed = { ...same, lanes: [same.lanes[0]!, { ...same.lanes[1]!, modelId: 'org/b' }] };
    expect(memoryPlanRequest(settings, mixed, '/models/a')).toHaveProperty('note', expect.stringMatching(/one after another/));
    // Nothing to plan while the controls are incomplete.
    expect(memoryPlanRequest({ ...settings, problem: '' }, sweep, '/models/m')).toBeNull();
  });

  it('independent lanes of one model at different seeds run as one batched run, one seed per lane', () => {
    const sampled = { ...settings, greedy: false };
    const lanes = [
      { modelId: '/models/a', thinking: '10', solution: '20', seed: '1' },
      { modelId: '/models/a', thinking: '30', solution: '40', seed: '2' },
    ];
    const req = memoryPlanRequest(sampled, { ...defaultCompareSettings, mode: 'independent', lanes }, '/models/a');
    expect(req).toHaveProperty('spec.laneSeeds', [1, 2]);
    expect(req).toHaveProperty('spec.sampling.seed', 1);
    // One seed for all: a plain sweep-like run, no per-lane seeds.
    const same = memoryPlanRequest(sampled, { ...defaultCompareSettings, mode: 'independent', lanes: lanes.map((l) => ({ ...l, seed: '1' })) }, '/models/a');
    expect(same).toHaveProperty('spec');
    expect(same).not.toHaveProperty('spec.laneSeeds');
  });
});
