// A small evaluation record for tests (unit and state): 2 models × 3 problems × k 2 × 2 budgets.
import type { EvalLane, EvalRecord, EvalSample } from './evaluation.ts';

export function fixtureLane(correct: boolean, thinkingTokens: number, thinkingEnd: EvalLane['thinkingEnd'] = 'budget'): EvalLane {
  return {
    answer: correct ? '42' : '=HYPERLINK("x")',
    correct,
    thinkingTokens,
    thinkingEnd,
    solutionTokens: 19,
    solutionEnd: 'eos',
    thinkingText: 'Let me think, "carefully"',
    solutionText: 'So the answer is $\\boxed{42}$.\nDone, really',
  };
}

export function fixtureEvaluation(samples = true): EvalRecord {
  const list: EvalSample[] = [];
  if (samples) {
    for (let model = 0; model < 2; model++)
      for (let problem = 0; problem < 3; problem++)
        for (let sample = 0; sample < 2; sample++)
          list.push({ model, problem, sample, seed: 100 + sample, lanes: [fixtureLane(problem === 0, 16), fixtureLane(problem === 0, 49, 'model')] });
  }
  return {
    id: 'eval-1',
    createdAt: Date.UTC(2026, 11, 2, 8, 0, 0),
    set: { id: 'custom', label: 'three.json' },
    selection: { mode: 'all', count: 0, seed: 0 },
    problems: [
      { id: 'p-right', problem: 'What is 6 × 7?', answers: ['42'] },
      { id: 'p-wrong-1', problem: 'What is 1 + 1?', answers: ['2'] },
      { id: 'p-wrong-2', problem: 'Name, "quoted"', answers: ['3', '三'] },
    ],
    models: ['/models/a', '/models/b'],
    budgets: [16, 64],
    solution: 32,
    k: 2,
    seed: 0,
    sampling: { kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed: 0 },
    samples: list,
    status: 'finished',
    error: null,
    activeMs: 1234,
  };
}
