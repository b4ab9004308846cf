// An evaluation as it is kept, exported and reopened: the paper's Avg@k table, one sample at a
// time. Plain data; the statistics over it are in avgk.ts.
import type { LaneEnd } from './decode.ts';
import type { ThinkingEnd } from './policy.ts';
import type { Sampling } from './sampler.ts';

/** A problem with every reference answer the grader accepts (Minerva lists several). */
export interface EvalProblem {
  readonly id: string;
  readonly problem: string;
  readonly answers: readonly string[];
}

/** How the problems were chosen from their set (kept so the choice can be repeated). */
export interface EvalSelection {
  readonly mode: 'all' | 'first' | 'random';
  /** How many, for `first` and `random`. */
  readonly count: number;
  /** The subset's seed, for `random`. */
  readonly seed: number;
}

/** One budget's outcome within a sample (a sample is one sweep: one lane per budget). */
export interface EvalLane {
  /** The last \boxed{} of the solution, or null. */
  readonly answer: string | null;
  readonly correct: boolean;
  /** Thinking tokens as the decoder counts them: the model's own `</think>` included, an appended one not. */
  readonly thinkingTokens: number;
  readonly thinkingEnd: ThinkingEnd | 'aborted' | null;
  /** Solution tokens, EOS included. */
  readonly solutionTokens: number;
  readonly solutionEnd: LaneEnd | null;
  readonly thinkingText: string;
  readonly solutionText: string;
}

export interface EvalSample {
  /** Index into `models`. */
  readonly model: number;
  /** Index into `problems`. */
  readonly problem: number;
  /** 0 … k-1. */
  readonly sample: number;
  /** The seed the sweep sampled with (derived from the evaluation's seed, see sampleSeed). */
  readonly seed: number;
  /** One per budget, in `budgets` order. */
  readonly lanes: readonly EvalLane[];
}

/** `interrupted`: the model worker or its GPU was lost (resumable, like paused). */
export type EvalStatus = 'running' | 'paused' | 'finished' | 'stopped' | 'failed' | 'interrupted';

/** What an evaluation was asked to do: everything needed to run (or resume) it. */
export interface EvalSpec {
  readonly id: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly set: { readonly id: string; readonly label: string };
  readonly selection: EvalSelection;
  readonly problems: readonly EvalProblem[];
  /** Model ids, run in this order, each loaded in turn. */
  readonly models: readonly string[];
  /** Thinking budgets, ascending; 'max' = unconstrained (bounded by the context). */
  readonly budgets: readonly (number | 'max')[];
  readonly solution: number;
  /** Samples per problem (Avg@k). */
  readonly k: number;
  /** The evaluation's seed; each sample's is derived from it. */
  readonly seed: number;
  /** Sampling of every sample; its `seed` field is replaced per sample. */
  readonly sampling: Sampling;
}

export interface EvalRecord extends EvalSpec {
  readonly samples: readonly EvalSample[];
  readonly status: EvalStatus;
  readonly error: string | null;
  /** Time spent running (pauses and reloads excluded), for the rate. */
  readonly activeMs: number;
}

/** A sample's place in the run order: model outermost (each is loaded once), then problem, then sample. */
export function sampleOrdinal(spec: Pick<EvalSpec, 'problems' | 'k'>, s: Pick<EvalSample, 'model' | 'problem' | 'sample'>): number {
  return (s.model * spec.problems.length + s.problem) * spec.k + s.sample;
}

export function totalSamples(spec: Pick<EvalSpec, 'problems' | 'k' | 'models'>): number {
  return spec.models.length * spec.problems.length * spec.k;
}

/** The samples still to run, in run order (a resumed evaluation runs exactly these). */
export function pendingSamples(r: Pick<EvalRecord, 'problems' | 'k' | 'models' | 'samples'>): { model: number; problem: number; sample: number }[] {
  const done = new Set(r.samples.map((s) => sampleOrdinal(r, s)));
  const out: { model: number; problem: number; sample: number }[] = [];
  for (let model = 0; model < r.models.length; model++) {
    for (let problem = 0; problem < r.problems.length; problem++) {
      for (let sample = 0; sample < r.k; sample++) {
        if (!done.has(sampleOrdinal(r, { model, problem, sample }))) out.push({ model, problem, sample });
      }
    }
  }
  return out;
}

/** `budget` as a label: a number of tokens, or "max". */
export function budgetLabel(b: number | 'max'): string {
  return b === 'max' ? 'max' : String(b);
}
