// The sweep measurement itself, on an engine already loaded: batched rows against the sequential
// order, alternated, with each lane's ids compared. No Node imports: the Node bench
// (tools/bench-sweep.ts, npm run bench) and the Chromium page (tools/bench/sweep-page) share it.
import type { DecodeResult } from '../src/core/decode.ts';
import { describePlan } from '../src/core/row-memory.ts';
import type { Sampling } from '../src/core/sampler.ts';
import type { ElasticEngine } from '../src/worker/engine.ts';
import type { Dtype } from '../src/worker/protocol.ts';

export interface SweepBenchOptions {
  /** Thinking budgets (the paper's grid is 512, 1K, 2K, 3K). */
  readonly budgets?: readonly number[];
  /** Solution budget of every lane (the paper's is 1K). */
  readonly solution?: number;
  readonly dtype?: Dtype;
  /** Sequential/batched pairs to time. */
  readonly pairs?: number;
  readonly problem?: string;
  readonly sampling?: Sampling;
  readonly log?: (line: string) => void;
  /** Process CPU milliseconds so far (Node: process.cpuUsage), for a ratio that load on the machine does not skew. */
  readonly cpuMs?: () => number;
  /**
   * Also decode the sweep greedily in both orders (untimed) and compare every lane: on random
   * weights sampled lanes flip on float-order differences of near-flat rows, greedy ones should not.
   */
  readonly greedyCheck?: boolean;
  /** The machine's 1-minute load average (Node: os.loadavg), logged and kept per pair. */
  readonly loadAverage?: () => number;
}

export interface SweepFigures {
  readonly wallMs: number;
  readonly steps: number;
  readonly rows: number;
  readonly decodedTokens: number;
  /** Process CPU time of the run (all threads), where the host can say. */
  readonly cpuMs?: number;
}

export interface SweepBenchResult {
  readonly model: string;
  readonly dtype: Dtype;
  readonly device: string;
  readonly budgets: readonly number[];
  readonly solution: number;
  readonly plan: string;
  /** Median over the pairs. */
  readonly sequential: SweepFigures;
  readonly batched: SweepFigures;
  /** Batched wall time over sequential, per pair, and their median (goal ≤ 0.65). */
  readonly wallRatios: readonly number[];
  /** 1-minute load average after each pair, where the host can say. */
  readonly loadAverages?: readonly number[];
  readonly wallRatio: number;
  /** Batched CPU time over sequential (median over the pairs), where measured. */
  readonly cpuRatio?: number;
  readonly stepRatio: number;
  /** Lanes whose ids were the same in both orders (float rounding may flip a near tie on real weights). */
  readonly lanesIdentical: number;
  /** With greedyCheck: lanes whose ids and text were the same batched and sequential, and whether the thinking traces were. */
  readonly greedy?: { readonly lanesIdentical: number; readonly thinkingIdentical: boolean; readonly tokens: number };
}

/** Whether two runs' lanes decoded the same solution ids. */
const sameIds = (a: { readonly solutionIds: readonly number[] }, b: { readonly solutionIds: readonly number[] }) => a.solutionIds.join() === b.solutionIds.join();

const PAPER_SAMPLING: Sampling = { kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed: 1 };
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const figures = (r: DecodeResult): SweepFigures => ({
  wallMs: r.stats.wallMs ?? 0,
  steps: r.stats.forwardCalls,
  rows: r.stats.rows ?? r.stats.forwardCalls,
  decodedTokens: r.stats.decodedTokens,
});
const medianFigures = (runs: readonly SweepFigures[]): SweepFigures => ({
  wallMs: median(runs.map((r) => r.wallMs)),
  ...(runs[0]!.cpuMs === undefined ? {} : { cpuMs: median(runs.map((r) => r.cpuMs!)) }),
  steps: runs[0]!.steps,
  rows: runs[0]!.rows,
  decodedTokens: runs[0]!.decodedTokens,
});

/**
 * Times the sweep `opts` describes on `engine` (loaded with batching 'always'): `pairs` times the
 * sequential order then the batched one. The engine stays loaded; the caller disposes of it.
 */
export async function measureSweep(engine: ElasticEngine, model: string, opts: SweepBenchOptions = {}): Promise<SweepBenchResult> {
  const budgets = opts.budgets ?? [64, 128, 256, 384];
  const solution = opts.solution ?? 128;
  const log = opts.log ?? (() => {});
  const req = {
    problem: opts.problem ?? 'Find the sum of all positive integers $n$ such that $n^2 - 19n + 99$ is a perfect square.',
    paperSuffix: true,
    lanes: budgets.map((t) => ({ thinking: t, solution })),
    sampling: opts.sampling ?? PAPER_SAMPLING,
  };
  const plan = await engine.planRun(req);
  log(describePlan(plan));
  // Warm-up: session allocations and kernels, outside the timing (one row and several).
  await engine.run({ ...req, lanes: [{ thinking: 4, solution: 4 }] });
  await engine.run({ ...req, lanes: [{ thinking: 2, solution: 4 }, { thinking: 4, solution: 4 }] });
  const seq: SweepFigures[] = [];
  const bat: SweepFigures[] = [];
  const ratios: number[] = [];
  const loads: number[] = [];
  let lanesIdentical = budgets.length;
  for (let p = 0; p < (opts.pairs ?? 2); p++) {
    const c0 = opts.cpuMs?.();
    const s = await engine.run(req, { maxRows: 1 });
    const c1 = opts.cpuMs?.();
    const b = await engine.run(req);
    const c2 = opts.cpuMs?.();
    seq.push({ ...figures(s), ...(c0 === undefined ? {} : { cpuMs: c1! - c0 }) });
    bat.push({ ...figures(b), ...(c0 === undefined ? {} : { cpuMs: c2! - c1! }) });
    ratios.push(b.stats.wallMs! / s.stats.wallMs!);
    lanesIdentical = Math.min(lanesIdentical, b.lanes.filter((l, i) => sameIds(l, s.lanes[i]!)).length);
    const load = opts.loadAverage?.();
    if (load !== undefined) loads.push(Number(load.toFixed(1)));
    const cpu = `${c0 === undefined ? '' : `; CPU ${((c2! - c1!) / (c1! - c0)).toFixed(2)}×`}${load === undefined ? '' : `; load average ${load.toFixed(1)}`}`;
    log(`pair ${p + 1}: sequential ${(s.stats.wallMs! / 1000).toFixed(1)} s in ${s.stats.forwardCalls} steps; batched ${(b.stats.wallMs! / 1000).toFixed(1)} s in ${b.stats.forwardCalls} steps (${ratios.at(-1)!.toFixed(2)}×${cpu})`);
  }
  let greedy: SweepBenchResult['greedy'];
  if (opts.greedyCheck) {
    const g = { ...req, sampling: { kind: 'greedy' } as const };
    const s = await engine.run(g, { maxRows: 1 });
    const b = await engine.run(g);
    greedy = {
      lanesIdentical: b.lanes.filter((l, i) => sameIds(l, s.lanes[i]!) && l.solutionText === s.lanes[i]!.solutionText).length,
      thinkingIdentical: b.thinkingIds.join() === s.thinkingIds.join(),
      tokens: b.stats.decodedTokens,
    };
    log(`greedy: ${greedy.lanesIdentical}/${budgets.length} lanes identical batched and sequential (ids and text), thinking trace ${greedy.thinkingIdentical ? 'identical' : 'different'}, ${greedy.tokens} tokens`);
  }
  const sequential = medianFigures(seq);
  const batched = medianFigures(bat);
  return {
    model,
    dtype: engine.info.dtype,
    device: engine.info.device,
    budgets,
    solution,
    plan: describePlan(plan),
    sequential,
    batched,
    wallRatios: ratios,
    wallRatio: median(ratios),
    ...(loads.length > 0 ? { loadAverages: loads } : {}),
    ...(opts.cpuMs ? { cpuRatio: median(bat.map((b, i) => b.cpuMs! / seq[i]!.cpuMs!)) } : {}),
    stepRatio: batched.steps / sequential.steps,
    lanesIdentical,
    ...(greedy ? { greedy } : {}),
  };
}
