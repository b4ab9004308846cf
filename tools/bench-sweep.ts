// Run: npx tsx tools/bench-sweep.ts [--model DIR] [--tokenizer DIR] [--dtype q4|q8|fp32] [--budgets 64,128,256,384] [--solution 128] [--pairs 2]
//      [--convert q4,q8,fp32] [--q4-accuracy 4] [--convert-only]
//
// A budget sweep decoded in batched rows (the trunk and every lane in its solution in one model
// call) against the same sweep in today's sequential order (one row per call), side by side in
// one process on onnxruntime-node (CPU): wall time, steps, rows, and whether every lane's ids
// agree. Runs alternate (sequential, batched, sequential, …) so that noise from other work on
// the machine falls on both.
//
// Without --model it writes a mid-size random Qwen2 (hidden 1024, 8 layers, 16 heads, 2 KV heads of
// 64, intermediate 2816, the real 151,936 vocabulary, untied) to .cache/bench-sweep-mid and
// converts it to q4 with the project's converter; the tokenizer folder must hold the
// DeepSeek-R1-Distill tokenizer (tokenizer.json, tokenizer_config.json).
//
// `runSweepBench(modelDir, opts)` is the same measurement for other benches to call.
import { env } from '@huggingface/transformers';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertQwen2 } from '../src/convert/convert.ts';
import { memorySource } from '../src/convert/io.ts';
import { onnxFileName, type GraphDtype } from '../src/convert/qwen2-onnx.ts';
import { makeTinyQwen2, type TinyQwen2Spec } from '../src/convert/tiny-checkpoint.ts';
import { ElasticEngine } from '../src/worker/engine.ts';
import type { Dtype } from '../src/worker/protocol.ts';
import { converterKey, ensureConverted, KEY_FILE } from './bench/converted.ts';
import { nodeWriter } from './convert.ts';
import { measureSweep, type SweepBenchOptions, type SweepBenchResult, type SweepFigures } from './sweep-measure.ts';

export type { SweepBenchResult } from './sweep-measure.ts';

export async function runSweepBench(modelDir: string, opts: SweepBenchOptions & { readonly dtype?: Dtype } = {}): Promise<SweepBenchResult> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(resolve(modelDir))}/`;
  // Batched whatever the engine would choose by default: the bench measures what batching gives.
  const engine = await ElasticEngine.load(basename(resolve(modelDir)), { device: 'cpu', dtype: opts.dtype ?? 'q4', batching: 'always' });
  try {
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    return await measureSweep(engine, modelDir, { cpuMs, loadAverage: () => loadavg()[0]!, ...opts });
  } finally {
    await engine.dispose();
  }
}

/** The mid-size random model this bench uses by default. */
export const MID_QWEN2: TinyQwen2Spec = {
  hidden: 1024,
  layers: 8,
  heads: 16,
  kvHeads: 2,
  headDim: 64,
  intermediate: 2816,
  vocab: 151_936,
  tied: false,
  dtype: 'BF16',
  seed: 9,
};

/**
 * Writes and converts the mid-size model once per dtype (kept under .cache/): the checkpoint is
 * random but seeded, so conversions made at different times are of the same weights.
 */
export async function ensureMidModel(dir: string, tokenizerDir: string, dtypes: readonly Dtype[] = ['q4'], options: { q4Accuracy?: 0 | 4 } = {}): Promise<string> {
  const missing = [];
  for (const d of dtypes) if (!(await stat(join(dir, 'onnx', onnxFileName(d as GraphDtype))).catch(() => null))) missing.push(d);
  // Converted again when a dtype is missing or the converter changed since (tools/bench/converted.ts).
  if (missing.length) await rm(join(dir, KEY_FILE), { force: true });
  const key = await converterKey({ model: MID_QWEN2, ...options });
  return ensureConverted(dir, key, (out) => convertMid(out, tokenizerDir, dtypes, options), (s) => console.error(s));
}

async function convertMid(dir: string, tokenizerDir: string, dtypes: readonly Dtype[], options: { q4Accuracy?: 0 | 4 }) {
  const ck = makeTinyQwen2(MID_QWEN2);
  const files = new Map(ck.files);
  // The R1-Distill ids: BOS 151646, EOS 151643, a context long enough for the paper's grid.
  files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...ck.rawConfig, bos_token_id: 151646, eos_token_id: 151643, max_position_embeddings: 131072 })));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) files.set(f, new Uint8Array(await readFile(join(tokenizerDir, f))));
  // Every dtype at once: config.json lists the external data of each, and is rewritten by each conversion.
  await mkdir(dir, { recursive: true });
  await convertQwen2(memorySource(files), nodeWriter(dir), { dtypes: [...new Set([...dtypes])], ...options });
}

function arg(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: readonly string[]) {
  let model = arg(argv, '--model');
  if (!model) {
    const tokenizer = arg(argv, '--tokenizer');
    if (!tokenizer) throw new Error('Give --model DIR (a converted model), or --tokenizer DIR (the R1-Distill tokenizer) to build the mid-size random model.');
    console.log('Writing and converting the mid-size random Qwen2 (once) …');
    const dtypes = (arg(argv, '--convert') ?? arg(argv, '--dtype') ?? 'q4').split(',') as Dtype[];
    const acc = arg(argv, '--q4-accuracy') === '4';
    model = await ensureMidModel(resolve(acc ? '.cache/bench-sweep-mid-acc4' : '.cache/bench-sweep-mid'), tokenizer, dtypes, acc ? { q4Accuracy: 4 } : {});
  }
  if (argv.includes('--convert-only')) return;
  const budgets = arg(argv, '--budgets')?.split(',').map(Number);
  const solution = arg(argv, '--solution');
  const pairs = arg(argv, '--pairs');
  const r = await runSweepBench(model, {
    dtype: (arg(argv, '--dtype') as Dtype | undefined) ?? 'q4',
    budgets,
    solution: solution ? Number(solution) : undefined,
    pairs: pairs ? Number(pairs) : undefined,
    log: (l) => console.log(l),
  });
  const row = (name: string, f: SweepFigures) =>
    `${name.padEnd(11)} ${(f.wallMs / 1000).toFixed(1).padStart(7)} s ${String(f.steps).padStart(6)} steps ${String(f.rows).padStart(6)} rows ${String(f.decodedTokens).padStart(6)} tokens`;
  console.log(`\nSweep t = ${r.budgets.join(', ')}, s = ${r.solution} on ${r.model}`);
  console.log(row('sequential', r.sequential));
  console.log(row('batched', r.batched));
  console.log(`wall-time ratio batched/sequential ${r.wallRatio.toFixed(2)}× (CPU time ${r.cpuRatio?.toFixed(2)}×) (pairs: ${r.wallRatios.map((x) => x.toFixed(2)).join(', ')}; goal ≤ 0.65×); steps ${r.stepRatio.toFixed(2)}×; lanes with identical ids ${r.lanesIdentical}/${r.budgets.length}`);
  console.log(JSON.stringify(r));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
