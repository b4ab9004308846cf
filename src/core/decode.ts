// The Elastic decode loop, over an abstract model backend. Pure: the backend owns tensors,
// this loop only holds opaque cache handles and decides when each is released.
//
// One loop serves a single run and a budget sweep. A sweep decodes one thinking trace (the
// trunk) up to the largest thinking budget; each lane is an ElasticPolicy with its own
// budgets fed the same thinking tokens, and the moment a lane's policy leaves the thinking
// phase the lane forks: it feeds its own ids (`x </think>`) on top of the trunk's cache as it
// stands (kept, not copied) and decodes its solution to the end.
// A single run is a sweep with one lane, so both share every line of the algorithm.
// Decoded tokens: max(t) + Σ s for a sweep, not Σ (t + s).
//
// The loop schedules rows, not phases: the trunk and every lane are streams, each with at most
// one pending row (ids to feed on top of a cache). Each step hands up to `maxRows` pending rows
// to the backend in one call — lanes first (earliest fork first), the trunk last. With room for
// every row a sweep costs about max(t + s) steps instead of max(t) + Σ s; with `maxRows` 1 the
// same loop runs today's sequential order (each lane's solution to its end, then the trunk on).
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

/** One row of a model call: `feed` on top of `past` (null: empty cache). */
export interface Row<C> {
  readonly feed: readonly number[];
  readonly past: C | null;
}

/** The model, as the loop sees it. */
export interface DecodeBackend<C> {
  /**
   * Runs every row (in one model call where it can) and returns one result per row, in order.
   * Never consumes or mutates a past; several rows may share one past, and rows may feed
   * different numbers of ids on caches of different lengths.
   */
  forward(rows: readonly Row<C>[]): Promise<readonly ForwardResult<C>[]>;
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
  /** Model calls (steps); a batched sweep runs several rows in one. */
  readonly forwardCalls: number;
  /** Tokens fed to the model, prompt included. */
  readonly tokensFed: number;
  /** Rows run across all calls: the calls a one-row-at-a-time order would make. */
  readonly rows?: number;
  /** From the start of the run to its end. */
  readonly wallMs?: number;
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
  /** Most rows per model call (default: all pending rows); 1 is the sequential order. */
  readonly maxRows?: number;
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
  const maxRows = opts.maxRows ?? Infinity;
  if (!(maxRows >= 1)) throw new DecodeError('At least one row per model call is needed.');
  const now = opts.now ?? Date.now;
  const emit = opts.onEvent ?? (() => {});
  const { ids, sampling } = req;
  const hidden = new Set([ids.thinkOpen, ids.thinkClose, ids.eos]);
  const detok = opts.detokenize;
  const newDecoder = () => (detok ? new IncrementalDecoder(detok, hidden) : null);
  const seed = sampling.kind === 'sample' ? sampling.seed : 0;
  // Stream 0 thinks; every lane's solution draws from stream 1 of its own generator, as its
  // single run would, so lanes never share random numbers whatever order rows run in.
  const rngFor = (stream: number): Rng | null => (sampling.kind === 'sample' ? createRng(deriveSeed(seed, stream)) : null);

  const t0 = now();
  let firstTokenAt: number | null = null;
  let prefillMs = 0;
  let forwardCalls = 0;
  let rowsRun = 0;
  let tokensFed = 0;
  let decoded = 0;

  const checkAbort = () => {
    if (opts.signal?.aborted) throw new Aborted();
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
    rng: Rng | null;
    /** Order of the fork among all lanes (scheduling priority); -1 before it forks. */
    forkedAs: number;
  }
  const laneStates: LaneState[] = req.lanes.map(() => ({ solutionIds: [], decoder: newDecoder(), text: '', finished: false, rng: null, forkedAs: -1 }));
  let forks = 0;

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

  // Every cache handle the loop holds, with the pending rows that still read it. A handle is
  // released when its last reader has run, or at the end whatever happened (abort, error).
  const readers = new Map<C, number>();
  const hold = (c: C | null) => {
    if (c !== null) readers.set(c, (readers.get(c) ?? 0) + 1);
  };
  const drop = (c: C | null) => {
    if (c === null) return;
    const n = (readers.get(c) ?? 0) - 1;
    if (n > 0) readers.set(c, n);
    else {
      readers.delete(c);
      backend.release(c);
    }
  };

  type Stream = 'prompt' | 'trunk' | number;
  interface Pending {
    readonly stream: Stream;
    readonly feed: readonly number[];
    readonly past: C | null;
  }
  const pending: Pending[] = [];
  const enqueue = (stream: Stream, feed: readonly number[], past: C | null) => {
    hold(past);
    pending.push({ stream, feed, past });
  };
  const fork = (lane: number, feed: readonly number[], past: C | null) => {
    const ls = laneStates[lane]!;
    ls.forkedAs = forks++;
    ls.rng = rngFor(1);
    enqueue(lane, feed, past);
  };
  // Lanes in their solution first, earliest fork first; the trunk (or prompt) last.
  const priority = (p: Pending) => (typeof p.stream === 'number' ? laneStates[p.stream]!.forkedAs : Infinity);

  const thinking = new Set<number>();
  let thinkRng: Rng | null = null;
  let atStart: number[] = [];
  const startFeeds = policies.map((p) => p.start());

  /** The trunk's step: a thinking token, the lanes that leave with it, the trunk's next row. */
  const onTrunk = (cache: C, logits: Float32Array, fromPrompt: boolean) => {
    if (fromPrompt) for (const lane of atStart) fork(lane, startFeeds[lane]!, cache);
    if (thinking.size === 0) return;
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
    for (const { lane, feed } of leaving) if (feed.length > 0) fork(lane, feed, cache);
    if (thinking.size > 0) enqueue('trunk', [x], cache);
  };

  /** A lane's step: a solution token, then its next row unless the lane is done. */
  const onLane = (lane: number, cache: C, logits: Float32Array) => {
    const ls = laneStates[lane]!;
    const id = sample(logits, ls.rng);
    const step = policies[lane]!.onToken(id);
    ls.solutionIds.push(id);
    const text = ls.decoder ? ls.decoder.push(id) : '';
    ls.text += text;
    emit({ type: 'token', lane, phase: 'solution', id, text });
    if (step.solutionEnded) endSolution(lane);
    else enqueue(lane, step.feed, cache);
  };

  let aborted = false;
  try {
    // Lanes with t = 0 leave thinking before the first token.
    for (let i = 0; i < policies.length; i++) if (policies[i]!.state().phase === 'thinking') thinking.add(i);
    for (let i = 0; i < policies.length; i++) if (!thinking.has(i)) endThinking(i);
    for (let i = 0; i < policies.length; i++) if (policies[i]!.state().phase === 'done') endSolution(i);
    atStart = policies.map((_, i) => i).filter((i) => startFeeds[i]!.length > 0);
    thinkRng = rngFor(0);
    if (thinking.size === 0 && atStart.length === 1) {
      // A single t = 0 lane: `</think>` rides along with the prompt in one call.
      const lane = atStart[0]!;
      atStart = [];
      fork(lane, [...req.promptIds, ...startFeeds[lane]!], null);
    } else if (thinking.size > 0 || atStart.length > 0) {
      enqueue('prompt', req.promptIds, null);
    }

    while (pending.length > 0) {
      checkAbort();
      pending.sort((a, b) => priority(a) - priority(b));
      const batch = pending.splice(0, Math.min(maxRows, pending.length));
      forwardCalls++;
      rowsRun += batch.length;
      for (const r of batch) tokensFed += r.feed.length;
      const start = now();
      let results: readonly ForwardResult<C>[];
      try {
        results = await backend.forward(batch.map(({ feed, past }) => ({ feed, past })));
      } finally {
        // The rows have run (or failed): their pasts lose a reader each.
        for (const r of batch) drop(r.past);
      }
      // The new caches are the loop's now: each is read by the rows its stream enqueues.
      for (const r of results) hold(r.cache);
      if (results.length !== batch.length) throw new Error(`The backend returned ${results.length} results for ${batch.length} rows.`);
      if (forwardCalls === 1) {
        // The first call reads the prompt: that is the prefill.
        prefillMs = now() - start;
        emit({ type: 'prefill', promptTokens: req.promptIds.length, ms: prefillMs });
      }
      try {
        for (const [k, row] of batch.entries()) {
          const { cache, logits } = results[k]!;
          if (typeof row.stream === 'number') onLane(row.stream, cache, logits);
          else onTrunk(cache, logits, row.stream === 'prompt');
        }
      } finally {
        for (const r of results) drop(r.cache);
      }
    }
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
    aborted = true;
  } finally {
    for (const c of readers.keys()) backend.release(c);
    readers.clear();
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
      rows: rowsRun,
      wallMs: end - t0,
    },
  };
}
