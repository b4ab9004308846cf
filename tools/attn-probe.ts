// Attention-graph probe: decode cost against cache length for each attention graph the
// converter can write, side by side in one run (onnxruntime-node, CPU). Not a test and not
// `npm run bench` (that is bench/); this is the measurement behind the converter's choice.
//
//   npx tsx tools/attn-probe.ts [--layers 4] [--vocab 4096] [--threads 2,1] [--reps 6] [--profile]
//     [--kinds plain,plain+kv16,plain-kq,gqa] [--dtypes q4,q4f16,q8] [--lengths 128,1024,2048,4096]
//   (a kind "<attention>+kv16" is that graph with a float16 KV cache under float32 activations)
//
// An E1-width random checkpoint (hidden 1536, 12 heads, 2 KV heads, head_dim 128, intermediate
// 8960) with a few layers is written and converted once per attention kind under
// .cache/attn-probe/. Each step feeds one token on top of a random past of P positions (the cost
// of a step does not depend on the cache's values), interleaving the graphs so that machine
// noise hits them alike. Figures: the process CPU time of a step (user + system, all threads:
// with --threads 1 it is the step's own work, not the time spent waiting for a core on a loaded
// machine), minimum over `reps` steps; and the wall time (minimum and median).
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertQwen2 } from '../src/convert/convert.ts';
import { ATTENTION_KINDS, onnxFileName, type AttentionKind, type GraphDtype } from '../src/convert/qwen2-onnx.ts';
import { makeTinyQwen2 } from '../src/convert/tiny-checkpoint.ts';
import { nodeSource, nodeWriter } from './convert.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const LAYERS = Number(opt('layers', '4'));
const VOCAB = Number(opt('vocab', '4096'));
const THREADS = opt('threads', '2,1').split(',').map(Number);
const REPS = Number(opt('reps', '6'));
const LENGTHS = opt('lengths', '128,1024,2048,4096').split(',').map(Number);
const KINDS = opt('kinds', ATTENTION_KINDS.join(',')).split(',');
const DTYPES = opt('dtypes', 'q4').split(',') as GraphDtype[];
const PROFILE = args.includes('--profile');
const SHARED = args.includes('--shared'); // also GQA with present bound to the past buffer
const SPIN = args.includes('--spin');
const ARENA = !args.includes('--no-arena');


const root = join('.cache', 'attn-probe');
const ckDir = join(root, `ckpt-L${LAYERS}-V${VOCAB}`);
const exists = (p: string) => stat(p).then(() => true, () => false);

async function checkpoint() {
  if (await exists(join(ckDir, 'config.json'))) return;
  const ck = makeTinyQwen2({
    hidden: 1536, layers: LAYERS, heads: 12, kvHeads: 2, headDim: 128, intermediate: 8960, vocab: VOCAB, tied: false, seed: 7,
  });
  await mkdir(ckDir, { recursive: true });
  for (const [name, bytes] of ck.files) await writeFile(join(ckDir, name), bytes);
}

async function converted(kind: string): Promise<string> {
  const dir = join(root, `${kind}-L${LAYERS}-V${VOCAB}-${DTYPES.join('+')}`);
  if (!(await exists(join(dir, 'config.json')))) {
    const t0 = Date.now();
    const [attention, kv] = kind.split('+') as [AttentionKind, string | undefined];
    await convertQwen2(nodeSource(ckDir), nodeWriter(dir), { dtypes: DTYPES, attention, kvCache: kv === 'kv16' ? 'float16' : 'float32' });
    console.error(`converted ${kind} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return dir;
}

const i64 = (v: readonly number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);

function pastFeeds(P: number, half: boolean, capacity = P): Record<string, ort.Tensor> {
  const n = 2 * capacity * 128;
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; i < LAYERS; i++) {
    for (const kind of ['key', 'value']) {
      const data = half ? new Uint16Array(n).map(() => 0x3c00 ^ ((Math.random() * 0x3ff) | 0)) : new Float32Array(n).map(() => Math.random() - 0.5);
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor(half ? 'float16' : 'float32', data, [1, 2, capacity, 128]);
    }
  }
  return feeds;
}

interface Subject {
  readonly label: string;
  readonly session: ort.InferenceSession;
  readonly half: boolean;
  readonly shared: boolean;
}

function stepFeeds(s: Subject, P: number, past: Record<string, ort.Tensor>) {
  return {
    input_ids: i64([42], [1, 1]),
    attention_mask: i64(new Array(P + 1).fill(1), [1, P + 1]),
    position_ids: i64([P], [1, 1]),
    num_logits_to_keep: i64([1], []),
    ...past,
  };
}

async function step(s: Subject, P: number, past: Record<string, ort.Tensor>): Promise<{ wall: number; cpu: number }> {
  const feeds = stepFeeds(s, P, past);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (s.shared) {
    // present.i.* written into the past buffers themselves (capacity > P): no copy of the past.
    const fetches: Record<string, ort.Tensor | null> = { logits: null };
    for (const [k, t] of Object.entries(past)) fetches[k.replace('past_key_values.', 'present.')] = t;
    await s.session.run(feeds, fetches as ort.InferenceSession.FetchesType);
  } else {
    await s.session.run(feeds);
  }
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
// Under load noise only adds time: the minimum is the closest to a step's own cost.
const best = (a: number[]) => Math.min(...a);

async function main() {
  await checkpoint();
  const dirs = new Map<string, string>();
  for (const k of KINDS) dirs.set(k, await converted(k));
  const table: Record<string, Record<string, number>> = {};
  for (const threads of THREADS) {
    const subjects: Subject[] = [];
    for (const [kind, dir] of dirs) {
      for (const dtype of DTYPES) {
        const session = await ort.InferenceSession.create(join(dir, 'onnx', onnxFileName(dtype)), {
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          enableProfiling: PROFILE,
          enableCpuMemArena: ARENA,
          // Spinning worker threads fight over 2 shared cores; measured both ways (--spin).
          extra: { session: { intra_op: { allow_spinning: SPIN ? '1' : '0' } } },
          profileFilePrefix: join(root, `profile-${kind}-${dtype}-t${threads}`),
        });
        subjects.push({ label: `${kind} ${dtype}`, session, half: dtype === 'q4f16' || kind.endsWith('+kv16'), shared: false });
        if (SHARED && kind === 'gqa') {
          const s2 = await ort.InferenceSession.create(join(dir, 'onnx', onnxFileName(dtype)), {
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
            extra: { session: { intra_op: { allow_spinning: SPIN ? '1' : '0' } } },
          });
          subjects.push({ label: `gqa-shared ${dtype}`, session: s2, half: dtype === 'q4f16' || kind.endsWith('+kv16'), shared: true });
        }
      }
    }
    for (const P of LENGTHS) {
      const pasts = new Map(subjects.map((s) => [s, pastFeeds(P, s.half, s.shared ? P + 64 : P)]));
      const times = new Map<Subject, number[]>(subjects.map((s) => [s, []]));
      const cpus = new Map<Subject, number[]>(subjects.map((s) => [s, []]));
      for (let r = 0; r < REPS + 2; r++) {
        for (const s of subjects) {
          const { wall, cpu } = await step(s, P, pasts.get(s)!);
          if (r >= 2) times.get(s)!.push(wall);
          if (r >= 2) cpus.get(s)!.push(cpu);
        }
      }
      for (const s of subjects) {
        const key = `${s.label} t${threads}`;
        (table[`${key} cpu`] ??= {})[P] = best(cpus.get(s)!);
        (table[`${key} wall`] ??= {})[P] = best(times.get(s)!);
        (table[`${key} wall median`] ??= {})[P] = median(times.get(s)!);
      }
      console.error(`t${threads} P=${P} cpu/wall/median: ` + subjects.map((s) => `${s.label} ${best(cpus.get(s)!).toFixed(1)}/${best(times.get(s)!).toFixed(1)}/${median(times.get(s)!).toFixed(1)}`).join(' | '));
    }
    if (PROFILE) {
      for (const s of subjects) if (!s.shared) await s.session.endProfiling();
    }
    for (const s of subjects) await s.session.release();
  }
  console.log(`\nms per decode step (cpu = min process CPU time, wall = min and median wall time, of ${REPS}), ${LAYERS} layers E1 width, vocab ${VOCAB}; ratio = speed at P / speed at ${LENGTHS[0]}`);
  console.log(['graph', ...LENGTHS.map((p) => `P=${p}`), ...LENGTHS.slice(1).map((p) => `x@${p}`)].join('\t'));
  for (const [key, row] of Object.entries(table)) {
    const base = row[LENGTHS[0]!]!;
    console.log([key, ...LENGTHS.map((p) => row[p]!.toFixed(1)), ...LENGTHS.slice(1).map((p) => (base / row[p]!).toFixed(2))].join('\t'));
  }
  if (PROFILE) await summariseProfiles();
}

/** Per-op-type kernel time from ORT's profile files (all runs of the last length). */
async function summariseProfiles() {
  for (const f of (await readdir(root)).filter((n) => n.startsWith('profile-') && n.endsWith('.json'))) {
    const events = JSON.parse(await readFile(join(root, f), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
    const runs = events.filter((e) => e.name === 'model_run');
    const byOp = new Map<string, number>();
    for (const e of events) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) byOp.set(e.args!.op_name!, (byOp.get(e.args!.op_name!) ?? 0) + e.dur);
    const n = runs.length;
    const perRun = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => `${op} ${(us / n / 1000).toFixed(2)}`);
    console.log(`${f}: ${n} runs, model_run ${(runs.reduce((a, e) => a + e.dur, 0) / n / 1000).toFixed(1)} ms/run; per op ms/run: ${perRun.slice(0, 10).join(', ')}`);
    await rm(join(root, f));
  }
}

await main();
