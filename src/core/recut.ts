// Re-cutting a finished trace: "what would it have answered had it stopped here?"
//
// A re-cut is a run whose thinking is given: the first k tokens of a finished trace, then the
// bare `</think>`, then the solution at budget s. It asks the decode loop for exactly that shape —
// the prompt plus the forced prefix read as the prompt of a t = 0 lane — so `</think>` rides along
// with them in one call (prefill of prompt + k + 1), then one token per step, and the solution
// draws from the same RNG stream as a sweep lane's. With the same seed it equals the budget
// sweep's lane at t = k: that lane saw the same ids, fed in more calls. (The cache of the
// finished run is not kept, hence the one prefill.)
import { decode, DecodeError, type DecodeBackend, type DecodeOptions, type DecodeRequest, type DecodeResult } from './decode.ts';

export interface RecutRequest extends Pick<DecodeRequest, 'promptIds' | 'sampling' | 'ids' | 'context'> {
  /** The trace's first k thinking ids: the thinking to keep. */
  readonly prefix: readonly number[];
  /** Solution budget s. */
  readonly solution: number;
}

/** A user-facing message when the prefix cannot be a cut thinking trace, or null. */
export function validateRecut(r: Pick<RecutRequest, 'prefix' | 'ids'>): string | null {
  for (const id of r.prefix) {
    if (!Number.isInteger(id) || id < 0) return 'The thinking to keep holds an invalid token id.';
    if (id === r.ids.thinkClose || id === r.ids.eos) return 'A re-cut must stop before the thinking ended: choose a point inside the trace.';
  }
  return null;
}

/** The decode request a re-cut is: prompt + prefix as the prompt of one t = 0 lane. */
export function recutDecodeRequest(r: RecutRequest): DecodeRequest {
  return {
    promptIds: [...r.promptIds, ...r.prefix],
    lanes: [{ thinking: 0, solution: r.solution }],
    sampling: r.sampling,
    ids: r.ids,
    context: r.context,
  };
}

/**
 * Runs a re-cut. The result and events read as a run cut at t = k: the lane reports k thinking
 * tokens ended by the budget, its thinking text is the prefix's, and the prefill event counts the
 * original prompt.
 */
export async function recut<C>(backend: DecodeBackend<C>, r: RecutRequest, opts: DecodeOptions = {}): Promise<DecodeResult> {
  const invalid = validateRecut(r);
  if (invalid) throw new DecodeError(invalid);
  const k = r.prefix.length;
  const prefixText = opts.detokenize ? opts.detokenize(r.prefix) : '';
  const onEvent = opts.onEvent;
  const result = await decode(backend, recutDecodeRequest(r), {
    ...opts,
    onEvent: onEvent
      ? (e) => {
          if (e.type === 'prefill') onEvent({ ...e, promptTokens: r.promptIds.length });
          else if (e.type === 'thinkingEnded') onEvent({ ...e, tokens: k, traceChars: prefixText.length });
          else onEvent(e);
        }
      : undefined,
  });
  return {
    ...result,
    thinkingIds: [...r.prefix],
    lanes: result.lanes.map((l) => ({ ...l, budgets: { thinking: k, solution: r.solution }, thinkingTokens: k, thinkingText: prefixText })),
    stats: { ...result.stats, promptTokens: r.promptIds.length },
  };
}
