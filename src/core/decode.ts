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
// Lanes at different seeds (independent runs of one model and prompt) each get a trace of their
// own seed; the prompt is read once and every trace and lane decodes in the same calls.
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
  /**
   * Sampled runs: each lane's seed (default: `sampling.seed` for every lane). Lanes of one seed
   * share a thinking trace; each seed has its own trace, and all of them decode side by side in
   * the same model calls. Lane i equals the single run with its budgets and seed.
   */
  readonly laneSeeds?: readonly number[];
}

export type DecodeEvent =
  | { readonly type: 'prefill'; readonly promptTokens: number; readonly ms: number }
  /** A token: thinking tokens belong to a trace (lane null), solution tokens to a lane. */
  | {
      readonly type: 'token';
      readonly lane: number | null;
      /** The trace of a thinking token (one per seed; absent or 0 in a run with one trace). */
      readonly trace?: number;
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
      /** Characters of the lane's trace's streamed text at the cut (for markers while streaming). */
      readonly traceChars: number;
      /** The lane's trace (absent or 0 in a run with one trace). */
      readonly trace?: number;
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
  /** The (first) thinking trace's ids (what its longest-thinking lane saw). */
  readonly thinkingIds: readonly number[];
  /** Runs with several seeds: each trace's seed, ids and lanes (absent with one trace). */
  readonly traces?: readonly { readonly seed: number; readonly thinkingIds: readonly number[]; readonly lanes: readonly number[] }[];
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
  if (req.laneSeeds && (req.laneSeeds.length !== req.lanes.length || !req.laneSeeds.every(Number.isSafeInteger))) {
    return `Each lane needs a whole-number seed (${req.laneSeeds.length} given for ${req.lanes.length} lanes).`;
  }
  for (const b of req.lanes) {
    const err = checkContext(req.promptIds.length, b, req.context);
    if (err) return err;
  }
  return null;
}

/**
 * Each lane's trace: lanes of one seed share one (numbered in order of their first lane); every
 * lane of a greedy run shares trace 0.
 */
export function traceOfLanes(req: { readonly lanes: readonly unknown[]; readonly sampling: Sampling; readonly laneSeeds?: readonly number[] }): number[] {
  const seeds: number[] = [];
  return req.lanes.map((_, lane) => {
    const seed = req.sampling.kind === 'sample' ? (req.laneSeeds?.[lane] ?? req.sampling.seed) : 0;
    const t = seeds.indexOf(seed);
    return t >= 0 ? t : seeds.push(seed) - 1;
  });
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
  // One trace per seed (greedy lanes all share one). Per trace, stream 0 thinks; every lane's
  // solution draws from stream 1 of its own generator, as its single run would, so lanes never
  // share random numbers whatever order rows run in.
  const seedOf = (lane: number) => (sampling.kind === 'sample' ? (req.laneSeeds?.[lane] ?? sampling.seed) : 0);
  const rngFor = (seed: number, stream: number): Rng | null => (sampling.kind === 'sample' ? createRng(deriveSeed(seed, stream)) : null);

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
  /** A thinking trace: its seed's lanes, the ids it sampled, the lanes still thinking on it. */
  interface Trace {
    readonly seed: number;
    readonly lanes: number[];
    readonly ids: number[];
    readonly decoder: IncrementalDecoder | null;
    readonly thinking: Set<number>;
    rng: Rng | null;
    /** Lanes that leave thinking before its first token and fork from the prompt's cache. */
    atStart: number[];
  }
  const laneTrace = traceOfLanes(req);
  const traces: Trace[] = [];
  for (const [lane, t] of laneTrace.entries()) {
    traces[t] ??= { seed: seedOf(lane), lanes: [], ids: [], decoder: newDecoder(), thinking: new Set(), rng: null, atStart: [] };
    traces[t].lanes.push(lane);
  }
  const many = traces.length > 1;
  const traceTag = (t: number) => (many ? { trace: t } : {});
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
    const t = laneTrace[lane]!;
    emit({ type: 'thinkingEnded', lane, how: st.thinkingEnd!, tokens: st.thinkingTokens, traceChars: traces[t]!.decoder?.text.length ?? 0, ...traceTag(t) });
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

  /** The prompt (read by every trace), a trace's trunk, or a lane. */
  type Stream = { readonly kind: 'prompt' } | { readonly kind: 'trunk'; readonly trace: number } | { readonly kind: 'lane'; readonly lane: number };
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
    ls.rng = rngFor(seedOf(lane), 1);
    enqueue({ kind: 'lane', lane }, feed, past);
  };
  // Lanes in their solution first, earliest fork first; the trunks (or the prompt) last, in trace order (the sort is stable).
  const priority = (p: Pending) => (p.stream.kind === 'lane' ? laneStates[p.stream.lane]!.forkedAs : Infinity);

  const startFeeds = policies.map((p) => p.start());

  /** A trace's step: a thinking token, the lanes that leave with it, the trunk's next row. */
  const onTrunk = (t: number, cache: C, logits: Float32Array, fromPrompt: boolean) => {
    const tr = traces[t]!;
    if (fromPrompt) for (const lane of tr.atStart) fork(lane, startFeeds[lane]!, cache);
    if (tr.thinking.size === 0) return;
    const x = sample(logits, tr.rng);
    tr.ids.push(x);
    const text = tr.decoder ? tr.decoder.push(x) : '';
    emit({ type: 'token', lane: null, phase: 'thinking', id: x, text, ...traceTag(t) });
    const leaving: { lane: number; feed: readonly number[] }[] = [];
    for (const lane of tr.thinking) {
      const step = policies[lane]!.onToken(x);
      if (step.thinkingEnded) leaving.push({ lane, feed: step.feed });
    }
    for (const { lane } of leaving) {
      tr.thinking.delete(lane);
      endThinking(lane);
      if (policies[lane]!.state().phase === 'done') endSolution(lane);
    }
    for (const { lane, feed } of leaving) if (feed.length > 0) fork(lane, feed, cache);
    if (tr.thinking.size > 0) enqueue({ kind: 'trunk', trace: t }, [x], cache);
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
    else enqueue({ kind: 'lane', lane }, step.feed, cache);
  };

  let aborted = false;
  try {
    // Lanes with t = 0 leave thinking before the first token.
    for (let i = 0; i < policies.length; i++) if (policies[i]!.state().phase === 'thinking') traces[laneTrace[i]!]!.thinking.add(i);
    for (let i = 0; i < policies.length; i++) if (policies[i]!.state().phase !== 'thinking') endThinking(i);
    for (let i = 0; i < policies.length; i++) if (policies[i]!.state().phase === 'done') endSolution(i);
    for (const tr of traces) {
      tr.atStart = tr.lanes.filter((i) => policies[i]!.state().phase !== 'thinking' && startFeeds[i]!.length > 0);
      tr.rng = rngFor(tr.seed, 0);
    }
    const only = traces[0]!;
    if (!many && only.thinking.size === 0 && only.atStart.length === 1) {
      // A single t = 0 lane: `</think>` rides along with the prompt in one call.
      const lane = only.atStart[0]!;
      only.atStart = [];
      fork(lane, [...req.promptIds, ...startFeeds[lane]!], null);
    } else if (traces.some((tr) => tr.thinking.size > 0 || tr.atStart.length > 0)) {
      enqueue({ kind: 'prompt' }, req.promptIds, null);
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
          const st = row.stream;
          if (st.kind === 'lane') onLane(st.lane, cache, logits);
          else if (st.kind === 'trunk') onTrunk(st.trace, cache, logits, false);
          // The prompt's logits start every trace: each samples its first token with its own generator.
          else for (let t = 0; t < traces.length; t++) onTrunk(t, cache, logits, true);
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
  const traceTexts = traces.map((tr) => (tr.decoder ? tr.decoder.text + tr.decoder.flush() : ''));
  const lanes: LaneResult[] = policies.map((p, i) => {
    const st = p.state();
    const ls = laneStates[i]!;
    const t = laneTrace[i]!;
    const trunkIds = traces[t]!.ids;
    const cut = Math.min(st.thinkingTokens, trunkIds.length);
    const thinkingText = !detok
      ? ''
      : cut === trunkIds.length
        ? traceTexts[t]!
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
    thinkingIds: traces[0]!.ids,
    ...(many ? { traces: traces.map((tr) => ({ seed: tr.seed, thinkingIds: tr.ids, lanes: tr.lanes })) } : {}),
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
