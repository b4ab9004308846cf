// A comparison (or a single run) as it is kept, exported and reopened. Plain data.
import type { DecodeStats, LaneEnd } from './decode.ts';
import type { ThinkingEnd } from './policy.ts';
import type { Sampling } from './sampler.ts';

/** `single`: one run; `sweep`: one trace cut at several budgets; `independent`: separate runs. */
export type CompareMode = 'single' | 'sweep' | 'independent';

export interface LaneSettings {
  readonly modelId: string;
  /** As asked: a number of tokens, or 'max' (bounded by the context). */
  readonly thinking: number | 'max';
  readonly solution: number;
  readonly sampling: Sampling;
}

export interface LaneOutcome {
  readonly thinkingText: string;
  readonly thinkingTokens: number;
  readonly thinkingEnd: ThinkingEnd | 'aborted' | null;
  readonly solutionText: string;
  readonly solutionTokens: number;
  readonly solutionEnd: LaneEnd | null;
  /** The last \boxed{} of the solution, or null. */
  readonly answer: string | null;
  /** Per-lane timing (independent runs; a sweep has one set of stats for all lanes). */
  readonly stats: DecodeStats | null;
  readonly error: string | null;
}

/** The bundled problem this run answered, when it came from the paper's sets. */
export interface ReferenceProblem {
  readonly id: string;
  readonly source: string;
  readonly answer: string;
}

export interface ComparisonRecord {
  readonly id: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly mode: CompareMode;
  readonly problem: string;
  readonly paperSuffix: boolean;
  readonly reference: ReferenceProblem | null;
  readonly lanes: readonly { readonly settings: LaneSettings; readonly outcome: LaneOutcome }[];
  /** Sweep only: the shared trace and what it cost against separate runs. */
  readonly sweep: {
    readonly traceText: string;
    readonly decodedTokens: number;
    readonly separateTokens: number;
    /** Model calls, rows run (the calls one row at a time would take) and wall time; absent in older records. */
    readonly steps?: number;
    readonly rows?: number;
    readonly wallMs?: number;
  } | null;
  /** `interrupted`: the model worker or its GPU was lost; finished lanes and the partial one are kept. */
  readonly status: 'finished' | 'stopped' | 'failed' | 'interrupted';
}

/** The outcome of a lane that produced nothing (not started yet, or never run: `error` says which). */
export function emptyOutcome(error: string | null): LaneOutcome {
  return { thinkingText: '', thinkingTokens: 0, thinkingEnd: null, solutionText: '', solutionTokens: 0, solutionEnd: null, answer: null, stats: null, error };
}
