// Generates tiny random Qwen2ForCausalLM checkpoints (config.json + safetensors, optionally
// sharded) for tests and for trying the converter without downloads. Pure TS.
import { roundToF16 } from './half.ts';
import { expectedTensors, parseQwen2Config, type Qwen2Config } from './qwen2-config.ts';
import { encodeSafetensors, type SafetensorsDtype } from './safetensors.ts';

export interface TinyQwen2Spec {
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly tied: boolean;
  /** Storage dtype of every tensor, or a function choosing per tensor. */
  readonly dtype?: SafetensorsDtype | ((name: string) => SafetensorsDtype);
  /** Number of shards (1 = a single model.safetensors). */
  readonly shards?: number;
  readonly seed?: number;
  readonly ropeTheta?: number;
}

export interface TinyCheckpoint {
  readonly files: Map<string, Uint8Array>;
  readonly rawConfig: Record<string, unknown>;
  readonly config: Qwen2Config;
  /** The weights as stored (after BF16/F16 rounding), for reference runs. */
  readonly weights: Map<string, Float32Array>;
}

/** A small seeded PRNG (uniform in [0, 1)). */
export function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rounds float32 values to bfloat16 precision in place (nearest even). */
export const bf16Round = (a: Float32Array) => {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i]!;
    u[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) << 16;
  }
  return a;
};

/**
 * Fills `out` with the next random values of tensor `name` (shape of the whole tensor): norms near
 * 1, small biases, embeddings in [-1, 1], projections scaled by 1/sqrt(fan-in) so activations stay
 * O(1) through the layers. Chunked calls continue the same stream.
 */
export function fillRandomWeights(name: string, shape: readonly number[], rand: () => number, out: Float32Array): Float32Array {
  const isNorm = name.endsWith('layernorm.weight') || name === 'model.norm.weight';
  const isBias = name.endsWith('.bias');
  const mult = isNorm ? 0.2 : isBias ? 0.5 : name.includes('embed') ? 1 : 1.7;
  const div = isNorm || isBias || name.includes('embed') ? 1 : Math.sqrt(shape.length === 2 ? shape[1]! : 1);
  const base = isNorm ? 1 : 0;
  for (let i = 0; i < out.length; i++) out[i] = base + (mult * (rand() * 2 - 1)) / div;
  return out;
}

export function makeTinyQwen2(spec: TinyQwen2Spec): TinyCheckpoint {
  const rand = mulberry32(spec.seed ?? 1);
  const rawConfig: Record<string, unknown> = {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads,
    head_dim: spec.headDim,
    vocab_size: spec.vocab,
    max_position_embeddings: 4096,
    rope_theta: spec.ropeTheta ?? 10000,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: spec.tied,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
    use_cache: true,
    use_sliding_window: false,
  };
  const config = parseQwen2Config(rawConfig);
  const weights = new Map<string, Float32Array>();
  const dtypeOf = (name: string): SafetensorsDtype =>
    typeof spec.dtype === 'function' ? spec.dtype(name) : (spec.dtype ?? 'F32');
  const tensors = [...expectedTensors(config)].map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = fillRandomWeights(name, shape, rand, new Float32Array(n));
    const dtype = dtypeOf(name);
    if (dtype === 'BF16') bf16Round(data);
    if (dtype === 'F16') roundToF16(data);
    weights.set(name, data);
    return { name, dtype, shape, data };
  });
  const files = new Map<string, Uint8Array>();
  files.set('config.json', new TextEncoder().encode(JSON.stringify(rawConfig, null, 2)));
  const shards = spec.shards ?? 1;
  if (shards <= 1) {
    files.set('model.safetensors', encodeSafetensors(tensors));
  } else {
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (let s = 0; s < shards; s++) {
      const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = tensors.filter((_, i) => i % shards === s);
      for (const t of part) weightMap[t.name] = name;
      const bytes = encodeSafetensors(part);
      totalSize += bytes.byteLength;
      files.set(name, bytes);
    }
    files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap })));
  }
  return { files, rawConfig, config, weights };
}
