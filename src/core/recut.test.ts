// Re-cuts over a fake model whose logits are spread, so sampling (and its RNG streams) matters:
// a re-cut costs one call of prompt + prefix + </think>, then one token per step, and equals the
// budget sweep's lane at the same budget with the same seed.
import { describe, expect, it } from 'vitest';
import { decode, DecodeError, type DecodeBackend, type DecodeEvent, type DecodeRequest, type Row } from './decode.ts';
import type { SpecialIds } from './policy.ts';
import { recut } from './recut.ts';
import type { Sampling } from './sampler.ts';

const IDS: SpecialIds = { eos: 2, thinkOpen: 3, thinkClose: 4 };
const V = 64;
const PROMPT = [1, 7, 8, IDS.thinkOpen, 5];
const CLOSE_AT = 48;

/** A small hash of the history, for logits that depend on every token fed so far. */
function mix(history: readonly number[], v: number): number {
  let h = 2166136261 ^ v;
  for (const x of history) h = Math.imul(h ^ x, 16777619);
  return ((h >>> 0) % 1000) / 1000;
}

interface Handle {
  readonly serial: number;
  readonly history: readonly number[];
}

/**
 * Thinks over ids 10–29 with spread logits and closes `</think>` after 48 tokens; the solution's
 * first token is 40 + (thinking tokens seen), then spread over 30–39, EOS after 6 tokens.
 */
class SpreadBackend implements DecodeBackend<Handle> {
  private serial = 0;
  readonly live = new Set<number>();
  readonly feeds: number[][] = [];

  async forward(rows: readonly Row<Handle>[]) {
    return rows.map(({ feed, past }) => {
      if (past && !this.live.has(past.serial)) throw new Error(`handle ${past.serial} used after release`);
      this.feeds.push([...feed]);
      const history = [...(past?.history ?? []), ...feed];
      const handle = { serial: ++this.serial, history };
      this.live.add(handle.serial);
      return { logits: this.logits(history), cache: handle };
    });
  }
  release(h: Handle) {
    if (!this.live.delete(h.serial)) throw new Error(`handle ${h.serial} released twice`);
  }
  private logits(history: readonly number[]): Float32Array {
    const out = new Float32Array(V).fill(-1e9);
    const open = history.indexOf(IDS.thinkOpen);
    const close = history.indexOf(IDS.thinkClose, open);
    if (close < 0) {
      const n = history.length - open - 2; // after `<think>` and the newline (5)
      if (n >= CLOSE_AT) out[IDS.thinkClose] = 10;
      else for (let v = 10; v < 30; v++) out[v] = 2 * mix(history, v);
      return out;
    }
    const seen = close - open - 2;
    const k = history.length - close - 1;
    if (k === 0) out[Math.min(40 + seen, V - 1)] = 10;
    else if (k >= 6) out[IDS.eos] = 10;
    else for (let v = 30; v < 40; v++) out[v] = 2 * mix(history, v);
    return out;
  }
}

const sampling = (seed: number): Sampling => ({ kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed });
const req = (lanes: DecodeRequest['lanes'], s: Sampling): DecodeRequest => ({ promptIds: PROMPT, lanes, sampling: s, ids: IDS, context: 4096 });
const S = 20;

async function original(seed: number) {
  const r = await decode(new SpreadBackend(), req([{ thinking: 100, solution: S }], sampling(seed)));
  expect(r.lanes[0]!.thinkingEnd).toBe('model');
  expect(r.lanes[0]!.thinkingTokens).toBe(CLOSE_AT + 1);
  return r;
}

describe('recut', () => {
  it('feeds prompt + prefix + </think> in one call, then one token per step, and reads as a cut at k', async () => {
    const run = await original(7);
    for (const k of [20, 8]) {
      const b = new SpreadBackend();
      const events: DecodeEvent[] = [];
      const r = await recut(b, { promptIds: PROMPT, prefix: run.thinkingIds.slice(0, k), solution: S, sampling: sampling(7), ids: IDS, context: 4096 }, {
        onEvent: (e) => events.push(e),
      });
      const lane = r.lanes[0]!;
      expect(b.feeds[0]).toEqual([...PROMPT, ...run.thinkingIds.slice(0, k), IDS.thinkClose]);
      expect(b.feeds.slice(1).map((f) => f.length)).toEqual(Array(lane.solutionTokens - 1).fill(1));
      expect(r.stats.tokensFed).toBe(PROMPT.length + k + 1 + lane.solutionTokens - 1);
      expect(r.stats.promptTokens).toBe(PROMPT.length);
      expect(lane).toMatchObject({ thinkingTokens: k, thinkingEnd: 'budget', budgets: { thinking: k, solution: S } });
      expect(lane.solutionIds[0]).toBe(40 + k); // the solution saw exactly k thinking tokens
      expect(events.find((e) => e.type === 'thinkingEnded')).toMatchObject({ tokens: k, how: 'budget' });
      expect(events.find((e) => e.type === 'prefill')).toMatchObject({ promptTokens: PROMPT.length });
      expect(b.live.size).toBe(0);
    }
  });

  it('equals the budget sweep lanes at the same budgets with the same seed', async () => {
    const seed = 7;
    const run = await original(seed);
    const sweep = await decode(new SpreadBackend(), req([{ thinking: 8, solution: S }, { thinking: 20, solution: S }, { thinking: 100, solution: S }], sampling(seed)));
    // The sweep's trunk is the original trace (the thinking stream does not depend on the lanes).
    expect(sweep.thinkingIds).toEqual(run.thinkingIds);
    for (const [i, k] of [8, 20].entries()) {
      const r = await recut(new SpreadBackend(), { promptIds: PROMPT, prefix: run.thinkingIds.slice(0, k), solution: S, sampling: sampling(seed), ids: IDS, context: 4096 });
      expect(r.lanes[0]!.solutionIds).toEqual(sweep.lanes[i]!.solutionIds);
      expect(r.lanes[0]!.solutionEnd).toBe(sweep.lanes[i]!.solutionEnd);
    }
    // The equality is not trivial: another seed samples another solution.
    const other = await recut(new SpreadBackend(), { promptIds: PROMPT, prefix: run.thinkingIds.slice(0, 20), solution: S, sampling: sampling(seed + 1), ids: IDS, context: 4096 });
    expect(other.lanes[0]!.solutionIds).not.toEqual(sweep.lanes[1]!.solutionIds);
  });

  it('refuses a prefix that already holds </think> or EOS', async () => {
    const bad = { promptIds: PROMPT, solution: S, sampling: sampling(0), ids: IDS, context: 4096 };
    await expect(recut(new SpreadBackend(), { ...bad, prefix: [10, IDS.thinkClose] })).rejects.toThrow(DecodeError);
    await expect(recut(new SpreadBackend(), { ...bad, prefix: [IDS.eos] })).rejects.toThrow(/before the thinking ended/);
  });
});
