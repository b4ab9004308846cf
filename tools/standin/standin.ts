// A full-size stand-in for E1-Math-1.5B: random weights with E1's exact config, in the file
// layouts the Hub has for this family, and the real R1-Distill tokenizer (./tokenizer).
//
//   npx tsx tools/standin/standin.ts [--layout bf16|f32-sharded|all] [--seed 1]
//
//   bf16         one model.safetensors in BF16 (~3.55 GB; E1-Math-1.5B's layout)
//   f32-sharded  F32 in two shards + model.safetensors.index.json (~7.1 GB; DeepScaleR's layout)
//
// Written to .cache/standin/<layout>-seed<seed>/ (ignored), streamed a chunk at a time (peak RSS
// stays near 100 MB), and reused while its stamp file matches. Every tensor's values come from
// its own seeded stream, and the F32 checkpoint holds exactly the BF16 one's values (as an
// upcast of it would), so both layouts are the same model and convert to the same ONNX weights.
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bf16Round, fillRandomWeights, mulberry32 } from '../../src/convert/tiny-checkpoint.ts';
import { expectedTensors, parseQwen2Config, qwen2Names } from '../../src/convert/qwen2-config.ts';
import { INDEX_FILE, SINGLE_FILE, safetensorsPrefix, type SafetensorsDtype, type TensorLayout } from '../../src/convert/safetensors.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '../..');
export const TOKENIZER_DIR = join(HERE, 'tokenizer');
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

/** E1-Math-1.5B's config.json (DeepScaleR-1.5B-Preview's, which E1 was trained from). */
export function e1Config(torchDtype: 'bfloat16' | 'float32'): Record<string, unknown> {
  return {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0,
    bos_token_id: 151646,
    eos_token_id: 151643,
    hidden_act: 'silu',
    hidden_size: 1536,
    initializer_range: 0.02,
    intermediate_size: 8960,
    max_position_embeddings: 131072,
    max_window_layers: 21,
    model_type: 'qwen2',
    num_attention_heads: 12,
    num_hidden_layers: 28,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    sliding_window: 4096,
    tie_word_embeddings: false,
    torch_dtype: torchDtype,
    use_cache: true,
    use_mrope: false,
    use_sliding_window: false,
    vocab_size: 151936,
  };
}

export const LAYOUTS = ['bf16', 'f32-sharded'] as const;
export type StandinLayout = (typeof LAYOUTS)[number];

/** HF's save_pretrained default: shards filled in order up to 5 GB. */
const MAX_SHARD_BYTES = 5_000_000_000;
/** Values generated and written per step. */
const CHUNK = 4 * 1024 * 1024;
const STAMP = 'standin.json';
const STAMP_VERSION = 1;

/** Tensors in save_pretrained's order: embeddings, layers, final norm, lm_head. */
function tensorOrder(dtype: SafetensorsDtype): (TensorLayout & { n: number })[] {
  const shapes = expectedTensors(parseQwen2Config(e1Config('float32')));
  const first = [qwen2Names.embed];
  const last = [qwen2Names.finalNorm, qwen2Names.lmHead];
  const names = [...first, ...[...shapes.keys()].filter((n) => !first.includes(n) && !last.includes(n)), ...last];
  return names.map((name) => {
    const shape = shapes.get(name)!;
    return { name, dtype, shape, n: shape.reduce((a, b) => a * b, 1) };
  });
}

/** A per-tensor seed: the values do not depend on the layout or on the order of writing. */
function tensorSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

async function writeChunk(out: ReturnType<typeof createWriteStream>, bytes: Uint8Array) {
  if (!out.write(bytes)) await once(out, 'drain');
}

/** Streams one safetensors file: the prefix, then each tensor's values chunk by chunk. */
async function writeShard(path: string, tensors: readonly (TensorLayout & { n: number })[], seed: number): Promise<number> {
  const { prefix, dataBytes } = safetensorsPrefix(tensors);
  const out = createWriteStream(path);
  await writeChunk(out, prefix);
  const buf = new Float32Array(CHUNK);
  for (const t of tensors) {
    const rand = mulberry32(tensorSeed(seed, t.name));
    for (let done = 0; done < t.n; done += CHUNK) {
      const part = buf.subarray(0, Math.min(CHUNK, t.n - done));
      bf16Round(fillRandomWeights(t.name, t.shape, rand, part));
      let bytes: Uint8Array;
      if (t.dtype === 'BF16') {
        // The high halves of the (already rounded) float32 words, little-endian.
        const words = new Uint16Array(part.buffer, part.byteOffset, part.length * 2);
        const half = new Uint16Array(part.length);
        for (let i = 0; i < half.length; i++) half[i] = words[2 * i + 1]!;
        bytes = new Uint8Array(half.buffer);
      } else {
        bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice();
      }
      await writeChunk(out, bytes);
    }
  }
  out.end();
  await once(out, 'close');
  return prefix.byteLength + dataBytes;
}

export interface Standin {
  readonly dir: string;
  readonly layout: StandinLayout;
  readonly seed: number;
  /** Checkpoint files (safetensors and index) with their sizes. */
  readonly files: Readonly<Record<string, number>>;
}

export function standinDir(layout: StandinLayout, seed = 1): string {
  return join(ROOT, '.cache', 'standin', `${layout}-seed${seed}`);
}

/** The stand-in folder, written first when absent or stale. */
export async function ensureStandin(layout: StandinLayout, seed = 1, log: (s: string) => void = () => {}): Promise<Standin> {
  const dir = standinDir(layout, seed);
  try {
    const stamp = JSON.parse(await readFile(join(dir, STAMP), 'utf8')) as Standin & { version: number };
    if (stamp.version === STAMP_VERSION) return { dir, layout, seed, files: stamp.files };
  } catch {
    // absent or unreadable: write it
  }
  const staging = `${dir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const t0 = Date.now();
  const files: Record<string, number> = {};
  if (layout === 'bf16') {
    log(`standin: writing ${SINGLE_FILE} (BF16) to ${dir}`);
    files[SINGLE_FILE] = await writeShard(join(staging, SINGLE_FILE), tensorOrder('BF16'), seed);
  } else {
    const tensors = tensorOrder('F32');
    const shards: (typeof tensors)[] = [[]];
    let bytes = 0;
    for (const t of tensors) {
      const size = t.n * 4;
      if (bytes + size > MAX_SHARD_BYTES && shards.at(-1)!.length > 0) {
        shards.push([]);
        bytes = 0;
      }
      shards.at(-1)!.push(t);
      bytes += size;
    }
    const weightMap: Record<string, string> = {};
    let total = 0;
    for (const [i, part] of shards.entries()) {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
      log(`standin: writing ${name} (F32, ${part.length} tensors) to ${dir}`);
      files[name] = await writeShard(join(staging, name), part, seed);
      for (const t of part) weightMap[t.name] = name;
      total += part.reduce((a, t) => a + t.n * 4, 0);
    }
    const index = JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2);
    await writeFile(join(staging, INDEX_FILE), index);
    files[INDEX_FILE] = Buffer.byteLength(index);
  }
  await writeFile(join(staging, 'config.json'), JSON.stringify(e1Config(layout === 'bf16' ? 'bfloat16' : 'float32'), null, 2));
  await writeFile(
    join(staging, 'generation_config.json'),
    JSON.stringify({ bos_token_id: 151646, eos_token_id: 151643, do_sample: true, temperature: 0.6, top_p: 0.95 }, null, 2),
  );
  for (const f of TOKENIZER_FILES) await copyFile(join(TOKENIZER_DIR, f), join(staging, f));
  await writeFile(join(staging, STAMP), JSON.stringify({ version: STAMP_VERSION, layout, seed, files }, null, 2));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  await rename(staging, dir);
  log(`standin: ${layout} written in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { dir, layout, seed, files };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  const which = opt('--layout', 'all');
  const seed = Number(opt('--seed', '1'));
  const layouts = which === 'all' ? LAYOUTS : LAYOUTS.filter((l) => l === which);
  if (layouts.length === 0 || !Number.isInteger(seed)) {
    console.error('usage: npx tsx tools/standin/standin.ts [--layout bf16|f32-sharded|all] [--seed 1]');
    process.exit(1);
  }
  for (const l of layouts) {
    const s = await ensureStandin(l, seed, (m) => console.error(m));
    console.log(`${s.dir}: ${Object.entries(s.files).map(([f, n]) => `${f} ${(n / 1e9).toFixed(2)} GB`).join(', ')}`);
  }
}
