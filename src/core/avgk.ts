// The paper's statistics: Avg@k accuracy with its standard error, tokens counted as the paper
// counts them, a seed per sample, and the model card's own AIME 2024 figures. Pure.
import type { EvalLane, EvalRecord } from './evaluation.ts';
import { deriveSeed } from './rng.ts';

/**
 * Avg@k: the mean over problems of each problem's mean over its samples (the paper samples k = 16
 * per problem). Standard error: of that mean over problems, sd(problem means, n − 1) / √n — the
 * spread that comes from which problems were asked, which dominates for 30 AIME problems. The
 * within-problem sampling noise is already averaged into each problem's mean. Problems with no
 * sample yet are left out (a running evaluation); the SE is null below two problems.
 */
export function avgAtK(perProblem: readonly (readonly number[])[]): { mean: number; se: number | null; problems: number; samples: number } {
  const means: number[] = [];
  let samples = 0;
  for (const xs of perProblem) {
    if (xs.length === 0) continue;
    samples += xs.length;
    means.push(xs.reduce((a, x) => a + x, 0) / xs.length);
  }
  const n = means.length;
  if (n === 0) return { mean: 0, se: null, problems: 0, samples: 0 };
  const mean = means.reduce((a, x) => a + x, 0) / n;
  if (n < 2) return { mean, se: null, problems: n, samples };
  const variance = means.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n), problems: n, samples };
}

/**
 * Response tokens as the paper counts them: its rollout (verl vllm_rollout.py, e1_mode) keeps the
 * thinking ids ending in `</think>` — the model's own, or 151649 appended on a cut — then the
 * solution ids up to and including EOS, and counts the whole response. Our decoder counts the
 * model's own `</think>` (or an EOS inside thinking) as a thinking token but not a `</think>` it
 * appends, so a cut at the budget, or an EOS, adds one.
 */
export function paperTokens(l: Pick<EvalLane, 'thinkingTokens' | 'thinkingEnd' | 'solutionTokens'>): { thinking: number; solution: number; total: number } {
  const thinking = l.thinkingTokens + (l.thinkingEnd === 'budget' || l.thinkingEnd === 'eos' ? 1 : 0);
  return { thinking, solution: l.solutionTokens, total: thinking + l.solutionTokens };
}

/** FNV-1a over UTF-16 code units: a stable 32-bit number for a problem id. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The seed of sample `sample` of problem `problemId`: depends on the evaluation's seed, the
 * problem's id (not its position, so a subset or another order samples a problem the same way)
 * and the sample's index — so a rerun with the same seed reproduces every sample.
 */
export function sampleSeed(evalSeed: number, problemId: string, sample: number): number {
  return deriveSeed(deriveSeed(evalSeed, hash32(problemId)), sample);
}

export interface TableRow {
  readonly model: string;
  readonly budget: number | 'max';
  /** Avg@k in [0, 1], and its standard error. */
  readonly accuracy: number;
  readonly se: number | null;
  readonly problems: number;
  readonly samples: number;
  /** Mean response tokens (paper counting), and its split; means over problems of means over samples. */
  readonly tokens: number;
  readonly thinking: number;
  readonly solution: number;
}

/** The model card's table: one row per model and budget, over the samples graded so far. */
export function evaluationTable(r: Pick<EvalRecord, 'models' | 'budgets' | 'problems' | 'samples'>): TableRow[] {
  const rows: TableRow[] = [];
  r.models.forEach((model, m) => {
    r.budgets.forEach((budget, b) => {
      const correct: number[][] = r.problems.map(() => []);
      const total: number[][] = r.problems.map(() => []);
      const thinking: number[][] = r.problems.map(() => []);
      const solution: number[][] = r.problems.map(() => []);
      for (const s of r.samples) {
        const lane = s.lanes[b];
        if (s.model !== m || !lane) continue;
        const t = paperTokens(lane);
        correct[s.problem]!.push(lane.correct ? 1 : 0);
        total[s.problem]!.push(t.total);
        thinking[s.problem]!.push(t.thinking);
        solution[s.problem]!.push(t.solution);
      }
      const acc = avgAtK(correct);
      rows.push({
        model,
        budget,
        accuracy: acc.mean,
        se: acc.se,
        problems: acc.problems,
        samples: acc.samples,
        tokens: avgAtK(total).mean,
        thinking: avgAtK(thinking).mean,
        solution: avgAtK(solution).mean,
      });
    });
  });
  return rows;
}

/** One point of the model card: mean tokens and Avg@16 accuracy (%) at a budget. */
export interface PaperPoint {
  /** t + s, as the card labels it ("1.5K"); "unconstrained" for no budget. */
  readonly label: string;
  /** The thinking budget (s = 1K): 512, 1024, 2048, 3072; null when unconstrained. */
  readonly thinking: number | null;
  readonly tokens: number;
  readonly accuracy: number;
}

/**
 * The model card's AIME 2024 figures (Salesforce/E1-Math-1.5B, Avg@16, T 0.6, top-p 0.95),
 * t + s = 1.5K, 2K, 3K, 4K with s = 1K. These are the paper's numbers, shown for reference.
 */
export const PAPER_AIME2024: readonly { readonly model: string; readonly points: readonly PaperPoint[] }[] = [
  {
    model: 'E1-Math-1.5B',
    points: [
      { label: 'unconstrained', thinking: null, tokens: 6825, accuracy: 35.0 },
      { label: '1.5K', thinking: 512, tokens: 1340, accuracy: 13.5 },
      { label: '2K', thinking: 1024, tokens: 1799, accuracy: 17.5 },
      { label: '3K', thinking: 2048, tokens: 2650, accuracy: 24.8 },
      { label: '4K', thinking: 3072, tokens: 3377, accuracy: 27.9 },
    ],
  },
  {
    model: 'DeepScaleR-1.5B-Preview',
    points: [
      { label: 'unconstrained', thinking: null, tokens: 10050, accuracy: 41.0 },
      { label: '1.5K', thinking: 512, tokens: 1488, accuracy: 5.2 },
      { label: '2K', thinking: 1024, tokens: 1904, accuracy: 9.6 },
      { label: '3K', thinking: 2048, tokens: 2809, accuracy: 15.8 },
      { label: '4K', thinking: 3072, tokens: 3700, accuracy: 22.7 },
    ],
  },
];
