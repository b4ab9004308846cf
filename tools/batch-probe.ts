// Run: npx tsx tools/batch-probe.ts --model DIR [--dtype q8] [--budgets 16,32,64,96] [--solution 32] [--greedy] [--pairs 1] [--no-spin]
//      [--greedy-diff]   (greedy sweep in both orders: where each lane first differs, and the top-2 logit margin there)
//      [--save-rows FILE]   (writes up to 16 logits rows of one-row steps, float32, for tools/bench-sampler.ts --rows FILE)
//
// Where a batched sweep's time goes, per step and per row: the model call itself (ONNX Runtime),
// copying each row's logits out of the output, gathering caches at forks and lane ends, and
// everything the decode loop does between calls (sampling a row, policy, events). The same sweep
// runs in the sequential order (one row per call) and batched, alternated, on onnxruntime-node.
// Each row's sampling is then timed again on its own, on rows kept from the run.
import { env } from '@huggingface/transformers';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { createRng, deriveSeed } from '../src/core/rng.ts';
import { PAPER_SAMPLING, sampleToken } from '../src/core/sampler.ts';
import { ElasticEngine, type TransformersBackend } from '../src/worker/engine.ts';
import type { Dtype } from '../src/worker/protocol.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

interface Tally {
  /** Model calls by rows per call: count and total ms of model.forward alone. */
  byRows: Map<number, { calls: number; ms: number }>;
  gatherMs: number;
  gathers: number;
  /** backend.forward minus model.forward minus gathers: inputs, logits rows out, cache groups. */
  restOfForwardMs: number;
  /** All backend.forward calls. */
  backendMs: number;
  rows: number;
}

const kept: Float32Array[] = [];

function instrument(engine: ElasticEngine, backend: TransformersBackend, tally: Tally): void {
  const model = (engine as unknown as { model: { forward(i: Record<string, unknown>): Promise<unknown> } }).model;
  const b = backend as unknown as {
    gather(rows: readonly unknown[]): Promise<unknown>;
    forward(rows: readonly unknown[]): Promise<readonly { logits: Float32Array }[]>;
  };
  const gather = b.gather.bind(b);
  b.gather = async (rows) => {
    const t = performance.now();
    try {
      return await gather(rows);
    } finally {
      tally.gatherMs += performance.now() - t;
      tally.gathers++;
    }
  };
  const forward = b.forward.bind(b);
  let modelMs = 0;
  const modelForward = model.forward.bind(model);
  const patched = async (inputs: Record<string, unknown>) => {
    const t = performance.now();
    try {
      return await modelForward(inputs);
    } finally {
      modelMs = performance.now() - t;
    }
  };
  b.forward = async (rows) => {
    const g0 = tally.gatherMs;
    const t = performance.now();
    model.forward = patched;
    try {
      const out = await forward(rows);
      const all = performance.now() - t;
      const e = tally.byRows.get(rows.length) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += modelMs;
      tally.byRows.set(rows.length, e);
      tally.backendMs += all;
      tally.restOfForwardMs += all - modelMs - (tally.gatherMs - g0);
      tally.rows += rows.length;
      if (kept.length < 16 && rows.length === 1) kept.push(out[0]!.logits.slice());
      return out;
    } finally {
      model.forward = modelForward;
    }
  };
}

/** The two largest logits of a row and the first one's id. */
function top2(row: Float32Array): { id: number; gap: number } {
  let a = -Infinity;
  let b = -Infinity;
  let id = -1;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v > a) {
      b = a;
      a = v;
      id = i;
    } else if (v > b) b = v;
  }
  return { id, gap: a - b };
}

/**
 * Greedy sweep in both orders: for each lane, the first solution token where they differ, and the
 * margin between the two best logits there in each order (a float-tolerance flip has a margin of
 * the size of the orders' float differences). Rows map 1:1 onto token events, in order.
 */
async function greedyDiff(engine: ElasticEngine, req: Parameters<ElasticEngine['run']>[0]) {
  const byOrder: { lane: number | null; id: number; gap: number }[][][] = [];
  for (const maxRows of [1, Infinity]) {
    const backend = engine.backend();
    const b = backend as unknown as { forward(rows: readonly unknown[]): Promise<readonly { logits: Float32Array }[]> };
    const forward = b.forward.bind(b);
    const rows: { id: number; gap: number }[] = [];
    b.forward = async (r) => {
      const out = await forward(r);
      for (const o of out) rows.push(top2(o.logits));
      return out;
    };
    const tokens: { lane: number | null; id: number }[] = [];
    await engine.run(req, { maxRows, onEvent: (e) => e.type === 'token' && tokens.push({ lane: e.lane, id: e.id }) }, backend);
    const lanes: { lane: number | null; id: number; gap: number }[][] = req.lanes.map(() => []);
    tokens.forEach((t, k) => {
      if (rows[k]!.id !== t.id) throw new Error(`row ${k} does not match token event ${k}`);
      if (t.lane !== null) lanes[t.lane]!.push({ ...t, gap: rows[k]!.gap });
    });
    byOrder.push(lanes);
  }
  const [seq, bat] = byOrder as [typeof byOrder[0], typeof byOrder[0]];
  for (const [lane, s] of seq.entries()) {
    const b = bat[lane]!;
    const k = s.findIndex((x, j) => x.id !== b[j]?.id);
    if (k < 0) console.log(`lane ${lane + 1}: ${s.length} solution tokens identical; smallest top-2 margin ${Math.min(...s.map((x) => x.gap)).toExponential(2)}`);
    else console.log(`lane ${lane + 1}: identical for ${k} of ${s.length} solution tokens; at token ${k + 1}: sequential ${s[k]!.id} (top-2 margin ${s[k]!.gap.toExponential(2)}), batched ${b[k]!.id} (margin ${b[k]!.gap.toExponential(2)})`);
  }
}

async function main() {
  const dir = arg('--model');
  if (!dir) throw new Error('--model DIR');
  const dtype = (arg('--dtype') ?? 'q8') as Dtype;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(resolve(dir))}/`;
  // --no-spin: ONNX Runtime's intra-op threads sleep after a call instead of spinning on a core
  // the decode loop then has to share (2 cores here).
  const sessionOptions = process.argv.includes('--no-spin') ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : undefined;
  const engine = await ElasticEngine.load(basename(resolve(dir)), { device: 'cpu', dtype, batching: 'always', ...(sessionOptions ? { sessionOptions } : {}) });
  const budgets = (arg('--budgets') ?? '16,32,64,96').split(',').map(Number);
  const solution = Number(arg('--solution') ?? 32);
  const sampling = process.argv.includes('--greedy') ? ({ kind: 'greedy' } as const) : { ...PAPER_SAMPLING, seed: 1 };
  const req = {
    problem: 'Find the sum of all positive integers $n$ such that $n^2 - 19n + 99$ is a perfect square.',
    paperSuffix: true,
    lanes: budgets.map((t) => ({ thinking: t, solution })),
    sampling,
  };
  await engine.run({ ...req, lanes: [{ thinking: 2, solution: 2 }, { thinking: 3, solution: 2 }] });
  if (process.argv.includes('--greedy-diff')) {
    await greedyDiff(engine, { ...req, sampling: { kind: 'greedy' } });
    await engine.dispose();
    return;
  }
  for (let pair = 0; pair < Number(arg('--pairs') ?? 1); pair++) {
    for (const order of ['sequential', 'batched'] as const) {
      const tally: Tally = { byRows: new Map(), gatherMs: 0, gathers: 0, restOfForwardMs: 0, backendMs: 0, rows: 0 };
      const backend = engine.backend();
      instrument(engine, backend, tally);
      const cpu0 = process.cpuUsage();
      const r = await engine.run(req, order === 'sequential' ? { maxRows: 1 } : {}, backend);
      const cpu = process.cpuUsage(cpu0);
      const wall = r.stats.wallMs!;
      const modelMs = [...tally.byRows.values()].reduce((s, e) => s + e.ms, 0);
      const loopMs = wall - tally.backendMs;
      console.log(`\n${order}: wall ${wall.toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ${r.stats.forwardCalls} calls, ${tally.rows} rows`);
      console.log(`  model.forward        ${modelMs.toFixed(0)} ms`);
      for (const [rows, e] of [...tally.byRows.entries()].sort((a, b) => a[0] - b[0])) {
        console.log(`    ${rows} row(s): ${e.calls} calls, ${(e.ms / e.calls).toFixed(1)} ms/call (${(e.ms / e.calls / rows).toFixed(1)} ms/row)`);
      }
      console.log(`  gathers              ${tally.gatherMs.toFixed(0)} ms in ${tally.gathers} (${(tally.gatherMs / Math.max(1, tally.gathers)).toFixed(1)} ms each)`);
      console.log(`  rest of forward()    ${tally.restOfForwardMs.toFixed(0)} ms (${(tally.restOfForwardMs / tally.rows).toFixed(2)} ms/row: inputs, logits rows out, outputs)`);
      console.log(`  decode loop          ${loopMs.toFixed(0)} ms (${(loopMs / tally.rows).toFixed(2)} ms/row: sampling, policy, events)`);
      console.log(`  lanes: ${r.lanes.map((l) => l.solutionIds.length).join(', ')} solution ids`);
    }
  }
  // Sampling alone, on rows the model produced.
  const s = { ...PAPER_SAMPLING, seed: 1 };
  const rng = createRng(deriveSeed(1, 0));
  for (let rep = 0; rep < 2; rep++) {
    let t = performance.now();
    for (const row of kept) sampleToken(row, s, rng);
    const sampled = (performance.now() - t) / kept.length;
    t = performance.now();
    for (const row of kept) sampleToken(row, { kind: 'greedy' }, null);
    const greedy = (performance.now() - t) / kept.length;
    t = performance.now();
    for (const row of kept) row.slice();
    const copy = (performance.now() - t) / kept.length;
    console.log(`\nper row (${kept.length} rows of the model's logits): sample T 0.6 / top-p 0.95 ${sampled.toFixed(2)} ms, greedy ${greedy.toFixed(2)} ms, slice() ${copy.toFixed(2)} ms`);
  }
  const save = arg('--save-rows');
  if (save) {
    const all = new Float32Array(kept.length * kept[0]!.length);
    kept.forEach((r, i) => all.set(r, i * r.length));
    await writeFile(save, all);
    console.log(`wrote ${kept.length} rows to ${save}`);
  }
  await engine.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
