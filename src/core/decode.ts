// The Elastic decode loop, over an abstract model backend. Pure: the backend owns tensors,
// this loop only holds opaque cache handles and decides when each is released.
//
// One loop serves a single run and a budget sweep. A sweep decodes one thinking trace (the
// trunk) up to the largest thinking budget; each lane is an ElasticPolicy with its own
// budgets fed the same thinking tokens, and the moment a lane's policy leaves the thinking
// phase the lane forks: it feeds its own ids (`x </think>`) on top of the trunk's cache as it
// stands (kept, not copied) and decodes its solution to the end, then the trunk goes on.
// A single run is a sweep with one lane, so both share every line of the algorithm.
// Decoded tokens: max(t) + Σ s for a sweep, not Σ (t + s).
import { ElasticPolicy, checkContext, type Budgets, type SolutionEnd, type SpecialIds, type ThinkingEnd } from './policy.ts';
import { createRng, deriveSeed, type Rng } from './rng.ts';
import { sampleToken, validateSampling, type Sampling } from './sampler.ts';
import { IncrementalDecoder, type DecodeFn } from './detokenize.ts';

export interface ForwardResult<C> {
  /** Logits for the last fed position, as float32. */
  readonly logits: Float32Array;
  /** The cache after this call: a new handle the caller now owns. */
  readonly cache: C;
}

/** The model, as the loop sees it. */
export interface DecodeBackend<C> {
  /** Runs `feed` on top of `past` (null: empty cache). Never consumes or mutates `past`. */
  forward(feed: readonly number[], past: C | null): Promise<ForwardResult<C>>;
  /** Frees a cache handle. Called exactly once per handle forward() returned. */
  release(cache: C): void;
}

export interface DecodeRequest {
  /** Prompt ids, chat template applied, ending in `<think>\n`. */
  readonly promptIds: readonly number[];
  /** One entry per lane; a single run has one. */
  readonly lanes: readonly Budgets[];
  readonly sampling: Sampling;
  readonly ids: SpecialIds;
  /** Model context length, in positions. */
  readonly context: number;
}

export type DecodeEvent =
  | { readonly type: 'prefill'; readonly promptTokens: number; readonly ms: number }
  /** A token: thinking tokens belong to the shared trace (lane null), solution tokens to a lane. */
  | {
      readonly type: 'token';
      readonly lane: number | null;
      readonly phase: 'thinking' | 'solution';
      readonly id: number;
      /** Newly final text (may be '' while a multi-byte character is incomplete). */
      readonly text: string;
    }
  | {
      readonly type: 'thinkingEnded';
      readonly lane: number;
      readonly how: ThinkingEnd;
      readonly tokens: number;
      /** Characters of the shared trace's streamed text at the cut (for markers while streaming). */
      readonly traceChars: number;
    }
  | { readonly type: 'solutionEnded'; readonly lane: number; readonly how: SolutionEnd; readonly tokens: number };

export type LaneEnd = SolutionEnd | 'aborted';

export interface LaneResult {
  readonly budgets: Budgets;
  readonly thinkingTokens: number;
  readonly thinkingEnd: ThinkingEnd | 'aborted';
  readonly thinkingText: string;
  readonly solutionTokens: number;
  readonly solutionEnd: LaneEnd;
  readonly solutionIds: readonly number[];
  readonly solutionText: string;
}

export interface DecodeStats {
  readonly promptTokens: number;
  readonly prefillMs: number;
  /** From the start of the run to the first sampled token. */
  readonly ttftMs: number;
  /** From the first sampled token to the end. */
  readonly decodeMs: number;
  /** Tokens sampled, across the trace and every lane. */
  readonly decodedTokens: number;
  /** Sampled tokens after the first, per second of decode time. */
  readonly tokensPerSecond: number;
  readonly forwardCalls: number;
  /** Tokens fed to the model, prompt included. */
  readonly tokensFed: number;
}

export interface DecodeResult {
  readonly aborted: boolean;
  /** The shared thinking trace's ids (what the longest-thinking lane saw). */
  readonly thinkingIds: readonly number[];
  readonly lanes: readonly LaneResult[];
  readonly stats: DecodeStats;
}

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

class Aborted extends Error {}

export interface DecodeOptions {
  /** Checked between model calls (an AbortSignal fits). */
  readonly signal?: { readonly aborted: boolean };
  readonly onEvent?: (e: DecodeEvent) => void;
  /** Detokenizer for streamed text; without it events carry '' text. */
  readonly detokenize?: DecodeFn;
  readonly now?: () => number;
}

/** Validates a request before any model call; returns a user-facing message or null. */
export function validateRequest(req: DecodeRequest): string | null {
  if (req.lanes.length === 0) return 'Nothing to run: no budgets given.';
  const s = validateSampling(req.sampling);
  if (s) return s;
  if (req.promptIds.length === 0) return 'The prompt is empty.';
  for (const b of req.lanes) {
    const err = checkContext(req.promptIds.length, b, req.context);
    if (err) return err;
  }
  return null;
}

export async function decode<C>(backend: DecodeBackend<C>, req: DecodeRequest, opts: DecodeOptions = {}): Promise<DecodeResult> {
  const invalid = validateRequest(req);
  if (invalid) throw new DecodeError(invalid);
  const now = opts.now ?? Date.now;
  const emit = opts.onEvent ?? (() => {});
  const { ids, sampling } = req;
  const hidden = new Set([ids.thinkOpen, ids.thinkClose, ids.eos]);
  const detok = opts.detokenize;
  const newDecoder = () => (detok ? new IncrementalDecoder(detok, hidden) : null);
  const seed = sampling.kind === 'sample' ? sampling.seed : 0;
  const rngFor = (stream: number): Rng | null => (sampling.kind === 'sample' ? createRng(deriveSeed(seed, stream)) : null);

  const t0 = now();
  let firstTokenAt: number | null = null;
  let prefillMs = 0;
  let forwardCalls = 0;
  let tokensFed = 0;
  let decoded = 0;

  const checkAbort = () => {
    if (opts.signal?.aborted) throw new Aborted();
  };
  const forward = async (feed: readonly number[], past: C | null) => {
    checkAbort();
    forwardCalls++;
    tokensFed += feed.length;
    if (forwardCalls > 1) return backend.forward(feed, past);
    // The first call reads the prompt: that is the prefill.
    const start = now();
    const out = await backend.forward(feed, past);
    prefillMs = now() - start;
    emit({ type: 'prefill', promptTokens: req.promptIds.length, ms: prefillMs });
    return out;
  };
  const sample = (logits: Float32Array, rng: Rng | null) => {
    checkAbort();
    const id = sampleToken(logits, sampling, rng);
    decoded++;
    firstTokenAt ??= now();
    return id;
  };

  const policies = req.lanes.map((b) => new ElasticPolicy(b, ids));
  const trunkIds: number[] = [];
  const trunkDecoder = newDecoder();
  interface LaneState {
    solutionIds: number[];
    decoder: IncrementalDecoder | null;
    text: string;
    finished: boolean;
  }
  const laneStates: LaneState[] = req.lanes.map(() => ({ solutionIds: [], decoder: newDecoder(), text: '', finished: false }));

  const endThinking = (lane: number) => {
    const st = policies[lane]!.state();
    emit({ type: 'thinkingEnded', lane, how: st.thinkingEnd!, tokens: st.thinkingTokens, traceChars: trunkDecoder?.text.length ?? 0 });
  };
  const endSolution = (lane: number) => {
    const st = policies[lane]!.state();
    const ls = laneStates[lane]!;
    if (ls.decoder) ls.text += ls.decoder.flush();
    ls.finished = true;
    emit({ type: 'solutionEnded', lane, how: st.solutionEnd!, tokens: st.solutionTokens });
  };

  /**
   * Decodes one lane's solution. `base` is the cache to feed on top of; when `owned`, the lane
   * takes it over and frees it as soon as its first call returns.
   */
  const runSolution = async (lane: number, base: C | null, owned: boolean, feed: readonly number[]) => {
    const policy = policies[lane]!;
    const ls = laneStates[lane]!;
    const rng = rngFor(1);
    let cur: C | null = null;
    let baseHeld = owned && base !== null;
    try {
      const first = await forward(feed, base);
      cur = first.cache;
      if (baseHeld) {
        backend.release(base!);
        baseHeld = false;
      }
      let logits = first.logits;
      for (;;) {
        const id = sample(logits, rng);
        const step = policy.onToken(id);
        ls.solutionIds.push(id);
        const text = ls.decoder ? ls.decoder.push(id) : '';
        ls.text += text;
        emit({ type: 'token', lane, phase: 'solution', id, text });
        if (step.solutionEnded) {
          endSolution(lane);
          return;
        }
        const next: ForwardResult<C> = await forward(step.feed, cur);
        backend.release(cur);
        cur = next.cache;
        logits = next.logits;
      }
    } finally {
      if (cur !== null) backend.release(cur);
      if (baseHeld) backend.release(base!);
    }
  };

  let aborted = false;
  let trunk: C | null = null;
  try {
    // Lanes with t = 0 leave thinking before the first token.
    const startFeeds = policies.map((p) => p.start());
    const thinking = new Set(policies.map((_, i) => i).filter((i) => policies[i]!.state().phase === 'thinking'));
    for (let i = 0; i < policies.length; i++) if (!thinking.has(i)) endThinking(i);
    for (let i = 0; i < policies.length; i++) if (policies[i]!.state().phase === 'done') endSolution(i);

    const atStart = policies.map((_, i) => i).filter((i) => startFeeds[i]!.length > 0);
    if (thinking.size === 0 && atStart.length === 1) {
      // A single t = 0 lane: `</think>` rides along with the prompt in one call.
      const lane = atStart[0]!;
      await runSolution(lane, null, false, [...req.promptIds, ...startFeeds[lane]!]);
    } else if (thinking.size > 0 || atStart.length > 0) {
      const pre = await forward(req.promptIds, null);
      trunk = pre.cache;
      let logits = pre.logits;
      for (const lane of atStart) await runSolution(lane, trunk, false, startFeeds[lane]!);
      const thinkRng = rngFor(0);
      while (thinking.size > 0) {
        const x = sample(logits, thinkRng);
        trunkIds.push(x);
        const text = trunkDecoder ? trunkDecoder.push(x) : '';
        emit({ type: 'token', lane: null, phase: 'thinking', id: x, text });
        const leaving: { lane: number; feed: readonly number[] }[] = [];
        for (const lane of thinking) {
          const step = policies[lane]!.onToken(x);
          if (step.thinkingEnded) leaving.push({ lane, feed: step.feed });
        }
        for (const { lane } of leaving) {
          thinking.delete(lane);
          endThinking(lane);
          if (policies[lane]!.state().phase === 'done') endSolution(lane);
        }
        const forks = leaving.filter((l) => l.feed.length > 0);
        if (thinking.size === 0) {
          // The trunk ends here: the last fork inherits its cache instead of sharing it.
          const handoff = trunk;
          trunk = null;
          let handedOver = false;
          try {
            for (let k = 0; k < forks.length; k++) {
              const last = k === forks.length - 1;
              handedOver = last;
              await runSolution(forks[k]!.lane, handoff, last, forks[k]!.feed);
            }
          } finally {
            // An abort or error in an earlier fork never reached the one that takes it over.
            if (!handedOver && handoff !== null) backend.release(handoff);
          }
          break;
        }
        for (const f of forks) await runSolution(f.lane, trunk, false, f.feed);
        const next: ForwardResult<C> = await forward([x], trunk);
        backend.release(trunk!);
        trunk = next.cache;
        logits = next.logits;
      }
    }
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
    aborted = true;
  } finally {
    if (trunk !== null) backend.release(trunk);
  }

  const end = now();
  const trunkText = trunkDecoder ? trunkDecoder.text + trunkDecoder.flush() : '';
  const lanes: LaneResult[] = policies.map((p, i) => {
    const st = p.state();
    const ls = laneStates[i]!;
    const cut = Math.min(st.thinkingTokens, trunkIds.length);
    const thinkingText = !detok
      ? ''
      : cut === trunkIds.length
        ? trunkText
        : detok(trunkIds.slice(0, cut).filter((id) => !hidden.has(id)));
    if (ls.decoder && !ls.finished) ls.text += ls.decoder.flush();
    return {
      budgets: req.lanes[i]!,
      thinkingTokens: st.thinkingTokens,
      thinkingEnd: st.thinkingEnd ?? 'aborted',
      thinkingText,
      solutionTokens: st.solutionTokens,
      solutionEnd: st.solutionEnd ?? 'aborted',
      solutionIds: ls.solutionIds,
      solutionText: ls.text,
    };
  });
  const decodeMs = firstTokenAt === null ? 0 : end - firstTokenAt;
  return {
    aborted,
    thinkingIds: trunkIds,
    lanes,
    stats: {
      promptTokens: req.promptIds.length,
      prefillMs,
      ttftMs: firstTokenAt === null ? 0 : firstTokenAt - t0,
      decodeMs,
      decodedTokens: decoded,
      tokensPerSecond: decoded > 1 && decodeMs > 0 ? ((decoded - 1) * 1000) / decodeMs : 0,
      forwardCalls,
      tokensFed,
    },
  };
}
