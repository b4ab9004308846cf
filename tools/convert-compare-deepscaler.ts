// End-to-end check of the converter against an independent export, for machines WITH internet
// (it cannot run in the offline dev/test environment).
//
// agentica-org/DeepScaleR-1.5B-Preview is a Qwen2ForCausalLM with the same shape as
// Salesforce/E1-Math-1.5B (both are DeepSeek-R1-Distill-Qwen-1.5B fine-tunes), and
// onnx-community/DeepScaleR-1.5B-Preview-ONNX is an ONNX export of it made with the Python
// toolchain. This script
//   1. converts agentica-org/DeepScaleR-1.5B-Preview with src/convert (HTTP range reads from
//      the Hub; nothing but the output folder is written to disk),
//   2. loads both folders with transformers.js (CPU, onnxruntime-node) in the same dtype,
//   3. for a few prompts compares the next-token distributions (max |Δlogit|, top-1 agreement,
//      top-5 overlap, KL(reference || ours)) and 24 greedy tokens.
//
// Usage:
//   npx tsx tools/convert-compare-deepscaler.ts [--dtype q4f16|q4|fp32] [--out dir] [--skip-convert]
// Needs ~4 GB of disk for q4f16 + q4 (fp32: +14 GB, both models), HF_TOKEN optional.
//
// Expectations: both exports quantize the same weights to 4 bits with block size 32 but their
// quantizers (rounding, scale choice, which tensors stay unquantized, e.g. the embedding) may
// differ, so q4/q4f16 logits differ by quantization noise: expect top-1 agreement on most
// prompts and a small KL (≲ 0.05 nats); fp32 vs fp32 should agree to ~1e-3 in the logits.
// The script exits 1 when fp32 differs by more than 1e-2 or when top-1 agreement is below 3/4.
import { mkdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { convertQwen2 } from '../src/convert/convert.ts';
import { hubSource, nodeWriter } from './convert.ts';

const SOURCE = 'agentica-org/DeepScaleR-1.5B-Preview';
const REFERENCE = 'onnx-community/DeepScaleR-1.5B-Preview-ONNX';
const PROMPTS = [
  'What is 7 * 8 + 3?',
  'Solve for x: 2x + 5 = 17.',
  'How many positive divisors does 36 have?',
  'Compute the sum of the first 10 odd numbers.',
];

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function logSoftmax(x: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of x) if (v > max) max = v;
  let sum = 0;
  for (const v of x) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(x, (v) => v - lse);
}

const topK = (x: Float32Array, k: number) =>
  [...x.keys()].sort((a, b) => x[b]! - x[a]!).slice(0, k);

async function main() {
  const dtype = (argValue('--dtype') ?? 'q4f16') as 'q4f16' | 'q4' | 'fp32';
  const out = resolve(argValue('--out') ?? 'converted/DeepScaleR-1.5B-Preview-web');
  if (!process.argv.includes('--skip-convert')) {
    await mkdir(dirname(out), { recursive: true });
    console.error(`converting ${SOURCE} -> ${out} (${dtype})`);
    let last = 0;
    await convertQwen2(hubSource(SOURCE), nodeWriter(out), {
      dtypes: [dtype],
      onProgress: (p) => {
        if (Date.now() - last < 5000 && p.phase === 'weights') return;
        last = Date.now();
        console.error(`  [${p.phase}] ${p.bytesTotal ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(1) + '%' : ''} ${p.item ?? ''}`);
      },
    });
  }

  const { env, AutoModelForCausalLM, AutoTokenizer, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = true;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(out)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(REFERENCE);
  const ours = await AutoModelForCausalLM.from_pretrained(basename(out), { dtype, device: 'cpu', local_files_only: true });
  const theirs = await AutoModelForCausalLM.from_pretrained(REFERENCE, { dtype, device: 'cpu' });

  // Logits come back float16 for q4f16; Tensor.to('float32') converts (a no-op copy otherwise).
  type Logits = { dims: number[]; to(type: 'float32'): { data: Float32Array } };
  const lastRow = (l: Logits) => {
    const V = l.dims[2]!;
    const T = l.dims[1]!;
    return Float32Array.from(l.to('float32').data.subarray((T - 1) * V, T * V));
  };

  let top1 = 0;
  let worstMax = 0;
  for (const prompt of PROMPTS) {
    const text = tokenizer.apply_chat_template([{ role: 'user', content: prompt }], { tokenize: false, add_generation_prompt: true }) as string;
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    const input_ids = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
    const attention_mask = new Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]);
    const a = lastRow(((await ours({ input_ids, attention_mask })) as { logits: Logits }).logits);
    const b = lastRow(((await theirs({ input_ids, attention_mask })) as { logits: Logits }).logits);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    const la = logSoftmax(a);
    const lb = logSoftmax(b);
    let kl = 0;
    for (let i = 0; i < a.length; i++) kl += Math.exp(lb[i]!) * (lb[i]! - la[i]!);
    const ta = topK(a, 5);
    const tb = topK(b, 5);
    if (ta[0] === tb[0]) top1++;
    worstMax = Math.max(worstMax, maxDiff);
    const overlap = ta.filter((t) => tb.includes(t)).length;
    const genA = (await ours.generate({ input_ids, attention_mask, max_new_tokens: 24, do_sample: false })) as { tolist(): bigint[][] };
    const genB = (await theirs.generate({ input_ids, attention_mask, max_new_tokens: 24, do_sample: false })) as { tolist(): bigint[][] };
    const textA = tokenizer.decode(genA.tolist()[0]!.slice(ids.length).map(Number));
    const textB = tokenizer.decode(genB.tolist()[0]!.slice(ids.length).map(Number));
    console.log(
      `${JSON.stringify(prompt)}\n  max|Δlogit| ${maxDiff.toFixed(4)}  KL ${kl.toFixed(5)}  top1 ${ta[0] === tb[0] ? 'same' : `${ta[0]} vs ${tb[0]}`}  top5 overlap ${overlap}/5\n` +
        `  ours:   ${JSON.stringify(textA)}\n  theirs: ${JSON.stringify(textB)}`,
    );
  }
  console.log(`top-1 agreement ${top1}/${PROMPTS.length}; worst max|Δlogit| ${worstMax.toFixed(4)} (${dtype})`);
  await ours.dispose();
  await theirs.dispose();
  if (top1 * 4 < PROMPTS.length * 3 || (dtype === 'fp32' && worstMax > 1e-2)) process.exit(1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
