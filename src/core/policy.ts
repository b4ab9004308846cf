// The Elastic Reasoning budget policy (arXiv 2505.05315), as a pure state machine.
//
// Phase 1 (thinking) ends when the model emits `</think>`, or emits EOS, or has produced t
// tokens. On a budget cut the bare `</think>` token is appended — nothing else, as the
// reference rollout appends token 151649 only. Phase 2 (solution) ends at EOS or s tokens.
// Token accounting follows the reference (vLLM `max_tokens`): every token the model produces
// counts towards its phase's budget, including the `</think>` or EOS that ends the phase; the
// appended `</think>` does not.
//
// The policy never touches tensors: it says which tokens the engine must feed next.

export interface SpecialIds {
  readonly eos: number;
  readonly thinkOpen: number;
  readonly thinkClose: number;
}

export interface Budgets {
  /** Thinking budget t, in tokens (0 = go straight to `</think>`). */
  readonly thinking: number;
  /** Solution budget s, in tokens (0 = no solution). */
  readonly solution: number;
}

/**
 * How thinking ended: `model` closed `</think>` itself; `budget` hit t and `</think>` was
 * appended; `eos` the model emitted EOS inside thinking (the reference then appends `</think>`
 * after the EOS and still runs the solution phase, and so do we).
 */
export type ThinkingEnd = 'model' | 'budget' | 'eos';
/** How the solution ended: `eos` the model finished; `budget` hit s. */
export type SolutionEnd = 'eos' | 'budget';

export type Phase = 'thinking' | 'solution' | 'done';

export interface PhaseState {
  readonly phase: Phase;
  readonly thinkingTokens: number;
  readonly solutionTokens: number;
  readonly thinkingEnd: ThinkingEnd | null;
  readonly solutionEnd: SolutionEnd | null;
}

/** What the engine does after a token: feed these ids next (empty when done). */
export interface Step {
  /** The phase the token belongs to. */
  readonly phase: 'thinking' | 'solution';
  /** Ids to feed in the next forward call; empty means the run is over. */
  readonly feed: readonly number[];
  /** Set when this token ended the thinking phase. */
  readonly thinkingEnded: ThinkingEnd | null;
  /** Set when this token ended the solution phase. */
  readonly solutionEnded: SolutionEnd | null;
}

/** Budgets as asked: the thinking budget may be "as much as the context allows". */
export interface LaneBudget {
  readonly thinking: number | 'max';
  readonly solution: number;
}

/** Turns 'max' into the largest thinking budget that fits beside the prompt and solution. */
export function resolveBudget(b: LaneBudget, promptTokens: number, context: number): Budgets {
  if (b.thinking !== 'max') return { thinking: b.thinking, solution: b.solution };
  return { thinking: Math.max(0, context - promptTokens - 1 - b.solution), solution: b.solution };
}

export function validateBudgets(b: Budgets): string | null {
  for (const [name, v] of [
    ['Thinking budget', b.thinking],
    ['Solution budget', b.solution],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) return `${name} must be a whole number of tokens, 0 or more (got ${String(v)}).`;
  }
  return null;
}

/**
 * Positions a run may need: prompt, t thinking tokens, the appended `</think>`, s solution
 * tokens. Returns an error naming the largest thinking budget that fits, or null.
 */
export function checkContext(promptTokens: number, b: Budgets, context: number): string | null {
  const need = promptTokens + b.thinking + 1 + b.solution;
  if (need <= context) return null;
  const room = context - promptTokens - 1 - b.solution;
  const hint =
    room >= 0
      ? ` With this solution budget the thinking budget can be at most ${room}.`
      : promptTokens >= context
        ? ' The prompt alone does not fit.'
        : ` Lower the solution budget to at most ${context - promptTokens - 1}.`;
  return `The prompt (${promptTokens} tokens), thinking budget (${b.thinking}), </think> and solution budget (${b.solution}) need ${need} positions, but the model's context is ${context}.${hint}`;
}

export class ElasticPolicy {
  private phase: Phase = 'thinking';
  private thinkingTokens = 0;
  private solutionTokens = 0;
  private thinkingEnd: ThinkingEnd | null = null;
  private solutionEnd: SolutionEnd | null = null;

  constructor(
    private readonly budgets: Budgets,
    private readonly ids: SpecialIds,
  ) {
    const err = validateBudgets(budgets);
    if (err) throw new RangeError(err);
  }

  /**
   * Called once before the first forward. With t = 0 thinking is over before it starts:
   * `</think>` follows the prompt directly. Returns the ids to feed after the prompt.
   */
  start(): readonly number[] {
    if (this.budgets.thinking > 0) return [];
    this.endThinking('budget');
    return this.phase === 'done' ? [] : [this.ids.thinkClose];
  }

  state(): PhaseState {
    return {
      phase: this.phase,
      thinkingTokens: this.thinkingTokens,
      solutionTokens: this.solutionTokens,
      thinkingEnd: this.thinkingEnd,
      solutionEnd: this.solutionEnd,
    };
  }

  /** Takes the token the sampler chose and decides what to feed next. */
  onToken(id: number): Step {
    if (this.phase === 'thinking') return this.onThinkingToken(id);
    if (this.phase === 'solution') return this.onSolutionToken(id);
    throw new Error('onToken after the run ended');
  }

  private onThinkingToken(id: number): Step {
    this.thinkingTokens++;
    const { thinkClose, eos } = this.ids;
    let ended: ThinkingEnd | null = null;
    let feed: number[];
    if (id === thinkClose) {
      ended = 'model';
      feed = [id];
    } else if (id === eos) {
      // As the reference: EOS stays in the context and `</think>` follows it.
      ended = 'eos';
      feed = [id, thinkClose];
    } else if (this.thinkingTokens >= this.budgets.thinking) {
      ended = 'budget';
      // bare </think> token: the reference appends id 151649 and nothing else
      feed = [id, thinkClose];
    } else {
      feed = [id];
    }
    if (ended) this.endThinking(ended);
    return {
      phase: 'thinking',
      feed: this.phase === 'done' ? [] : feed,
      thinkingEnded: ended,
      solutionEnded: ended && this.phase === 'done' ? this.solutionEnd : null,
    };
  }

  private onSolutionToken(id: number): Step {
    this.solutionTokens++;
    let ended: SolutionEnd | null = null;
    if (id === this.ids.eos) ended = 'eos';
    else if (this.solutionTokens >= this.budgets.solution) ended = 'budget';
    if (ended) {
      this.solutionEnd = ended;
      this.phase = 'done';
    }
    return {
      phase: 'solution',
      feed: ended ? [] : [id],
      thinkingEnded: null,
      solutionEnded: ended,
    };
  }

  private endThinking(how: ThinkingEnd): void {
    this.thinkingEnd = how;
    if (this.budgets.solution === 0) {
      this.solutionEnd = 'budget';
      this.phase = 'done';
    } else {
      this.phase = 'solution';
    }
  }
}
