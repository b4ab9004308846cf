// The decode loop over a fake backend that checks cache ownership: every handle is released
// exactly once, and no released handle is ever fed again.
import { describe, expect, it } from 'vitest';
import { DecodeError, decode, type DecodeBackend, type DecodeEvent, type DecodeOptions, type DecodeRequest, type Row } from './decode.ts';
import type { SpecialIds } from './policy.ts';

const IDS: SpecialIds = { eos: 2, thinkOpen: 3, thinkClose: 4 };
const V = 128;

interface Handle {
  readonly serial: number;
  readonly history: readonly number[];
}

/** Thinks tokens 10, 11, 12, … and closes after `closeAfter`; the solution is 40 + count seen, then 41…, EOS after 5. */
class FakeBackend implements DecodeBackend<Handle> {
  private serial = 0;
  readonly live = new Set<number>();
  readonly released = new Set<number>();
  readonly feeds: number[][] = [];
  constructor(private readonly closeAfter = Infinity) {}

  /** Rows of every call, in order. */
  readonly calls: number[][][] = [];
  async forward(rows: readonly Row<Handle>[]) {
    this.calls.push(rows.map((r) => [...r.feed]));
    return rows.map(({ feed, past }) => {
      if (past && !this.live.has(past.serial)) throw new Error(`handle ${past.serial} used after release`);
      this.feeds.push([...feed]);
      const history = [...(past?.history ?? []), ...feed];
      const handle = { serial: ++this.serial, history };
      this.live.add(handle.serial);
      // The scripted next token, and a near alternative (never a special id) that sampling can pick.
      const logits = new Float32Array(V).fill(-10);
      const next = this.next(history);
      logits[next] = 1;
      logits[next + 64] = 0.5;
      return { logits, cache: handle };
    });
  }
  release(h: Handle) {
    if (!this.live.delete(h.serial)) throw new Error(`handle ${h.serial} released twice`);
    this.released.add(h.serial);
  }
  private next(history: readonly number[]): number {
    const open = history.indexOf(IDS.thinkOpen);
    const close = history.indexOf(IDS.thinkClose, open);
    if (close < 0) {
      const n = history.length - open - 1;
      return n >= this.closeAfter ? IDS.thinkClose : 10 + (n % 20);
    }
    const seen = close - open - 1;
    const k = history.length - close - 1;
    return k === 0 ? 40 + Math.min(seen, 20) : k < 5 ? 30 + k : IDS.eos;
  }
}

const PROMPT = [1, 7, 8, IDS.thinkOpen];
const req = (lanes: DecodeRequest['lanes'], extra: Partial<DecodeRequest> = {}): DecodeRequest => ({
  promptIds: PROMPT,
  lanes,
  sampling: { kind: 'greedy' },
  ids: IDS,
  context: 1000,
  ...extra,
});

describe('decode', () => {
  it('single run: prompt once, one token per step, two at the cut, every cache released once', async () => {
    const b = new FakeBackend();
    const r = await decode(b, req([{ thinking: 3, solution: 10 }]));
    expect(b.feeds).toEqual([PROMPT, [10], [11], [12, IDS.thinkClose], [43], [31], [32], [33], [34]]);
    expect(r.lanes[0]).toMatchObject({ thinkingTokens: 3, thinkingEnd: 'budget', solutionTokens: 6, solutionEnd: 'eos' });
    expect(r.lanes[0]!.solutionIds[0]).toBe(43); // the solution saw 3 thinking tokens
    expect(b.live.size).toBe(0);
    expect(r.stats).toMatchObject({ forwardCalls: 9, tokensFed: PROMPT.length + 9, decodedTokens: 9 });
  });

  it('abort releases everything at any point', async () => {
    for (let at = 1; at < 25; at++) {
      const b = new FakeBackend();
      const ctrl = new AbortController();
      let n = 0;
      const r = await decode(b, req([{ thinking: 3, solution: 10 }, { thinking: 6, solution: 10 }]), {
        signal: ctrl.signal,
        onEvent: () => {
          if (++n === at) ctrl.abort();
        },
      });
      expect(b.live.size, `abort after event ${at}`).toBe(0);
      if (r.aborted) expect(r.lanes.some((l) => l.solutionEnd === 'aborted')).toBe(true);
    }
  });

  it('abort during forks that leave together (natural close) releases the shared cache', async () => {
    for (let at = 1; at < 30; at++) {
      const b = new FakeBackend(3);
      const ctrl = new AbortController();
      let n = 0;
      await decode(b, req([{ thinking: 8, solution: 10 }, { thinking: 9, solution: 10 }, { thinking: 10, solution: 10 }]), {
        signal: ctrl.signal,
        onEvent: () => {
          if (++n === at) ctrl.abort();
        },
      });
      expect(b.live.size, `abort after event ${at}`).toBe(0);
    }
  });

  it('a backend error still releases what the loop holds', async () => {
    const b = new FakeBackend();
    let calls = 0;
    const fwd = b.forward.bind(b);
    b.forward = async (rows) => {
      if (++calls === 5) throw new Error('device lost');
      return fwd(rows);
    };
    await expect(decode(b, req([{ thinking: 10, solution: 10 }]))).rejects.toThrow('device lost');
    expect(b.live.size).toBe(0);
  });

  it('rejects bad requests before calling the model', async () => {
    const b = new FakeBackend();
    await expect(decode(b, req([{ thinking: 990, solution: 10 }]))).rejects.toThrow(DecodeError);
    await expect(decode(b, req([]))).rejects.toThrow(/no budgets/);
    await expect(decode(b, req([{ thinking: 1, solution: 1 }], { sampling: { kind: 'sample', temperature: 0, topP: 1, topK: 0, seed: 1 } }))).rejects.toThrow(
      DecodeError,
    );
    expect(b.feeds).toHaveLength(0);
  });

  it('reports timing from the injected clock', async () => {
    let t = 0;
    const b = new FakeBackend();
    const fwd = b.forward.bind(b);
    b.forward = async (rows) => {
      t += rows[0]!.feed.length > 1 ? 50 : 10;
      return fwd(rows);
    };
    const r = await decode(b, req([{ thinking: 3, solution: 2 }]), { now: () => t });
    expect(r.stats.prefillMs).toBe(50);
    expect(r.stats.ttftMs).toBe(50);
    // 5 tokens: after the first, calls of 10, 10, 50 (the cut feeds 2), 10 ms.
    expect(r.stats.decodeMs).toBe(80);
    expect(r.stats.tokensPerSecond).toBeCloseTo((4 * 1000) / 80);
  });
});

describe.each([
  ['batched', {}],
  ['sequential (one row per call)', { maxRows: 1 }],
] as [string, DecodeOptions][])('sweep, %s', (_, mode) => {
    it('sweep: one trace, forks at each budget, cost max(t) + Σ s, nothing leaked', async () => {
      const b = new FakeBackend();
      const r = await decode(b, req([{ thinking: 2, solution: 10 }, { thinking: 5, solution: 3 }, { thinking: 9, solution: 10 }]), mode);
      expect(r.lanes.map((l) => l.solutionIds[0])).toEqual([42, 45, 49]);
      expect(r.lanes.map((l) => l.solutionTokens)).toEqual([6, 3, 6]);
      expect(r.stats.decodedTokens).toBe(9 + 6 + 3 + 6);
      expect(r.thinkingIds).toHaveLength(9);
      expect(b.feeds.filter((f) => f.length === PROMPT.length)).toHaveLength(1);
      expect(b.live.size).toBe(0);
    });

    it('sweep lanes equal single runs at the same budgets', async () => {
      const lanes = [{ thinking: 1, solution: 10 }, { thinking: 4, solution: 10 }];
      const sweep = await decode(new FakeBackend(), req(lanes), mode);
      for (const [i, lane] of lanes.entries()) {
        const single = await decode(new FakeBackend(), req([lane]), mode);
        expect(single.lanes[0]!.solutionIds).toEqual(sweep.lanes[i]!.solutionIds);
        expect(single.thinkingIds).toEqual(sweep.thinkingIds.slice(0, lane.thinking));
      }
    });

    it('a natural close before some budgets forks those lanes from the same point', async () => {
      const b = new FakeBackend(3);
      const r = await decode(b, req([{ thinking: 2, solution: 10 }, { thinking: 8, solution: 10 }, { thinking: 9, solution: 10 }]), mode);
      expect(r.lanes.map((l) => l.thinkingEnd)).toEqual(['budget', 'model', 'model']);
      expect(r.lanes.map((l) => l.thinkingTokens)).toEqual([2, 4, 4]);
      expect(r.lanes[1]!.solutionIds).toEqual(r.lanes[2]!.solutionIds);
      expect(b.live.size).toBe(0);
    });

    it('t = 0 lanes fork from the prompt cache when other lanes think', async () => {
      const b = new FakeBackend();
      const r = await decode(b, req([{ thinking: 0, solution: 10 }, { thinking: 2, solution: 10 }]), mode);
      expect(b.feeds[0]).toEqual(PROMPT);
      expect(b.feeds[1]).toEqual([IDS.thinkClose]);
      expect(r.lanes[0]!.solutionIds[0]).toBe(40);
      expect(r.lanes[1]!.solutionIds[0]).toBe(42);
      expect(b.live.size).toBe(0);
    });

    it('with sampling, each lane equals its single run with the same seed', async () => {
      const sampling = { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 11 } as const;
      const lanes = [{ thinking: 3, solution: 8 }, { thinking: 7, solution: 4 }, { thinking: 12, solution: 8 }];
      const b = new FakeBackend();
      const sweep = await decode(b, req(lanes, { sampling }), mode);
      expect(b.live.size).toBe(0);
      // The alternatives are drawn: the streams are random, not the scripted ids.
      expect(sweep.thinkingIds.some((id) => id >= 64)).toBe(true);
      for (const [i, lane] of lanes.entries()) {
        const single = await decode(new FakeBackend(), req([lane], { sampling }));
        expect(single.thinkingIds).toEqual(sweep.thinkingIds.slice(0, lane.thinking));
        expect(sweep.lanes[i]!.solutionIds).toEqual(single.lanes[0]!.solutionIds);
      }
    });
});

describe('row scheduling', () => {
  const lanes = [{ thinking: 2, solution: 10 }, { thinking: 5, solution: 3 }, { thinking: 9, solution: 10 }];

  it('batched: the trunk and every lane in its solution run in one call; a fork feeds its cut pair beside single ids', async () => {
    const b = new FakeBackend();
    const r = await decode(b, req(lanes));
    // Step 2 samples the 2nd thinking token: lane 0 forks (x, </think>) beside the trunk's x.
    expect(b.calls[2]).toEqual([[11, IDS.thinkClose], [11]]);
    // Lanes fork at steps 2, 5 and 9 and end at different steps; the rows of a call shrink and grow.
    expect(b.calls.map((c) => c.length)).toEqual([1, 1, 2, 2, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]);
    // Steps: the longest lane's t + s (here 9 + 6 = 15), not max(t) + Σ s.
    expect(r.stats.forwardCalls).toBe(15);
    expect(r.stats.rows).toBe(1 + 8 + 6 + 3 + 6);
    expect(r.stats.decodedTokens).toBe(9 + 6 + 3 + 6);
    expect(b.live.size).toBe(0);
  });

  it('sequential: one row per call, each lane to its end before the trunk goes on', async () => {
    const b = new FakeBackend();
    const r = await decode(b, req(lanes), { maxRows: 1 });
    expect(b.calls.every((c) => c.length === 1)).toBe(true);
    expect(r.stats.forwardCalls).toBe(r.stats.rows);
    // prompt, thinking 1, lane 0's fork and 5 more solution rows, then the trunk again.
    expect(b.feeds.slice(0, 4)).toEqual([PROMPT, [10], [11, IDS.thinkClose], [42]]);
    expect(b.feeds[8]).toEqual([11]);
  });

  it('a cap between: never more rows than maxRows, lanes before the trunk, same lanes', async () => {
    const b = new FakeBackend();
    const r = await decode(b, req(lanes), { maxRows: 2 });
    expect(Math.max(...b.calls.map((c) => c.length))).toBe(2);
    const all = await decode(new FakeBackend(), req(lanes));
    expect(r.lanes.map((l) => l.solutionIds)).toEqual(all.lanes.map((l) => l.solutionIds));
    expect(r.stats.forwardCalls).toBeGreaterThan(all.stats.forwardCalls);
    expect(b.live.size).toBe(0);
  });

  it('abort mid-batch releases every cache, whichever row the abort hits', async () => {
    for (let at = 1; at < 40; at++) {
      const b = new FakeBackend();
      const ctrl = new AbortController();
      let n = 0;
      const r = await decode(b, req(lanes), {
        signal: ctrl.signal,
        onEvent: () => {
          if (++n === at) ctrl.abort();
        },
      });
      expect(b.live.size, `abort after event ${at}`).toBe(0);
      expect(b.released.size).toBe(b.feeds.length);
      if (r.aborted) expect(r.lanes.some((l) => l.solutionEnd === 'aborted')).toBe(true);
    }
  });

  it('refuses a cap below one row', async () => {
    await expect(decode(new FakeBackend(), req(lanes), { maxRows: 0 })).rejects.toThrow(DecodeError);
  });
});

describe('lanes at different seeds: one trace per seed, decoded side by side', () => {
  const sampling = { kind: 'sample', temperature: 1, topP: 1, topK: 0, seed: 0 } as const;
  // Lanes 0 and 2 share seed 5 (one trace, a sweep of two budgets); lane 1 has seed 9; lane 3 has t = 0.
  const lanes = [{ thinking: 4, solution: 10 }, { thinking: 7, solution: 10 }, { thinking: 9, solution: 3 }, { thinking: 0, solution: 10 }];
  const seeds = [5, 9, 5, 11];
  const single = (lane: number) => decode(new FakeBackend(), req([lanes[lane]!], { sampling: { ...sampling, seed: seeds[lane]! } }));

  it.each([
    ['batched', {}],
    ['sequential', { maxRows: 1 }],
    ['two rows a call', { maxRows: 2 }],
  ] as const)('%s: each lane equals its single run with that seed; the prompt is read once; every cache released once', async (_label, o) => {
    const b = new FakeBackend();
    const events: DecodeEvent[] = [];
    const r = await decode(b, req(lanes, { sampling, laneSeeds: seeds }), { ...o, onEvent: (e) => events.push(e) });
    for (let i = 0; i < lanes.length; i++) {
      const one = await single(i);
      expect(r.lanes[i]!.solutionIds, `lane ${i}`).toEqual(one.lanes[0]!.solutionIds);
      expect(r.lanes[i]!.thinkingTokens).toBe(one.lanes[0]!.thinkingTokens);
    }
    expect(r.traces?.map((t) => [t.seed, t.lanes])).toEqual([[5, [0, 2]], [9, [1]], [11, [3]]]);
    // The traces differ (else the seeds would not matter), and each is its seed's single trace.
    expect(r.traces![0]!.thinkingIds).toEqual((await single(2)).thinkingIds);
    expect(r.traces![1]!.thinkingIds).toEqual((await single(1)).thinkingIds);
    expect(r.traces![0]!.thinkingIds.slice(0, 7)).not.toEqual(r.traces![1]!.thinkingIds);
    expect(b.feeds.filter((f) => f.length === PROMPT.length && f.every((x, k) => x === PROMPT[k]))).toHaveLength(1);
    // Thinking tokens say their trace.
    expect(new Set(events.flatMap((e) => (e.type === 'token' && e.lane === null ? [e.trace] : [])))).toEqual(new Set([0, 1]));
    expect(b.live.size).toBe(0);
    if (!('maxRows' in o)) {
      // Both traces' trunks and the lanes in their solutions share calls (here up to 4 rows at once).
      expect(Math.max(...b.calls.map((c) => c.length))).toBe(4);
      expect(r.stats.forwardCalls).toBeLessThan(r.stats.rows!);
    }
  });

  it('refuses seeds that do not match the lanes', async () => {
    await expect(decode(new FakeBackend(), req(lanes, { sampling, laneSeeds: [1, 2] }))).rejects.toThrow(/whole-number seed \(2 given for 4 lanes\)/);
  });

  it('abort releases every cache of every trace', async () => {
    for (let at = 1; at < 40; at += 3) {
      const b = new FakeBackend();
      const ctrl = new AbortController();
      let n = 0;
      await decode(b, req(lanes, { sampling, laneSeeds: seeds }), { signal: ctrl.signal, onEvent: () => void (++n === at && ctrl.abort()) });
      expect(b.live.size, `abort after event ${at}`).toBe(0);
    }
  });
});

