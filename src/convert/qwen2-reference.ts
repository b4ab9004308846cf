// A plain TypeScript reference forward pass of Qwen2ForCausalLM (batch 1, with a KV cache).
// Ground truth for tests only: float64 arithmetic over float32 weights, written to follow
// transformers' modeling_qwen2.py step by step.
import { qwen2Names, type Qwen2Config } from './qwen2-config.ts';

export type WeightGetter = (name: string) => Float32Array;

export class Qwen2Reference {
  /** cache[layer] = { k: per kv-head list of position vectors, v: same } */
  private readonly cache: { k: Float32Array[][]; v: Float32Array[][] }[];
  private readonly invFreq: Float64Array;

  constructor(
    readonly config: Qwen2Config,
    private readonly w: WeightGetter,
  ) {
    this.cache = Array.from({ length: config.numLayers }, () => ({
      k: Array.from({ length: config.numKvHeads }, () => []),
      v: Array.from({ length: config.numKvHeads }, () => []),
    }));
    const D = config.headDim;
    this.invFreq = new Float64Array(D / 2);
    // HF computes inv_freq in float32: 1 / base ** (arange(0, D, 2) / D).
    for (let i = 0; i < D / 2; i++) this.invFreq[i] = Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * i) / D)));
  }

  /** Tokens held in the cache. */
  get length(): number {
    return this.cache[0]?.k[0]?.length ?? 0;
  }

  /**
   * Feeds `ids` after what the cache holds; positions default to cache length + i.
   * Returns the logits (vocab_size floats) for every new position.
   */
  forward(ids: readonly number[], positions?: readonly number[]): Float32Array[] {
    const c = this.config;
    const past = this.length;
    const H = c.hiddenSize;
    const embed = this.w(qwen2Names.embed);
    const hs = ids.map((id) => {
      if (id < 0 || id >= c.vocabSize) throw new RangeError(`token id ${id} out of range`);
      return Float64Array.from(embed.subarray(id * H, (id + 1) * H));
    });
    const pos = positions ?? ids.map((_, i) => past + i);
    for (let l = 0; l < c.numLayers; l++) this.layer(l, hs, pos);
    const normW = this.w(qwen2Names.finalNorm);
    const head = this.w(c.tieWordEmbeddings ? qwen2Names.embed : qwen2Names.lmHead);
    return hs.map((h) => {
      const x = rmsNorm(h, normW, c.rmsNormEps);
      return Float32Array.from(matVec(head, x, c.vocabSize, H));
    });
  }

  private layer(l: number, hs: Float64Array[], pos: readonly number[]): void {
    const c = this.config;
    const n = qwen2Names.layer(l);
    const H = c.hiddenSize;
    const D = c.headDim;
    const qDim = c.numHeads * D;
    const kvDim = c.numKvHeads * D;
    const group = c.numHeads / c.numKvHeads;
    const cache = this.cache[l]!;
    const qs: Float64Array[] = [];
    for (let t = 0; t < hs.length; t++) {
      const x = rmsNorm(hs[t]!, this.w(n.inputNorm), c.rmsNormEps);
      const q = addBias(matVec(this.w(n.q), x, qDim, H), this.w(n.qBias));
      const k = addBias(matVec(this.w(n.k), x, kvDim, H), this.w(n.kBias));
      const v = addBias(matVec(this.w(n.v), x, kvDim, H), this.w(n.vBias));
      for (let h = 0; h < c.numHeads; h++) this.rope(q, h * D, pos[t]!);
      for (let h = 0; h < c.numKvHeads; h++) {
        this.rope(k, h * D, pos[t]!);
        cache.k[h]!.push(Float32Array.from(k.subarray(h * D, (h + 1) * D)));
        cache.v[h]!.push(Float32Array.from(v.subarray(h * D, (h + 1) * D)));
      }
      qs.push(q);
    }
    const total = cache.k[0]!.length;
    const past = total - hs.length;
    const scale = 1 / Math.sqrt(D);
    for (let t = 0; t < hs.length; t++) {
      const q = qs[t]!;
      const attn = new Float64Array(qDim);
      const visible = past + t + 1; // causal: keys at cache index <= past + t
      for (let h = 0; h < c.numHeads; h++) {
        const kvh = Math.floor(h / group); // repeat_kv: head h uses kv head h // n_rep
        const scores = new Float64Array(visible);
        let max = -Infinity;
        for (let j = 0; j < visible; j++) {
          const kj = cache.k[kvh]![j]!;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[h * D + d]! * kj[d]!;
          scores[j] = s * scale;
          if (scores[j]! > max) max = scores[j]!;
        }
        let sum = 0;
        for (let j = 0; j < visible; j++) {
          const e = Math.exp(scores[j]! - max);
          scores[j] = e;
          sum += e;
        }
        for (let j = 0; j < visible; j++) {
          const p = scores[j]! / sum;
          const vj = cache.v[kvh]![j]!;
          for (let d = 0; d < D; d++) attn[h * D + d] = attn[h * D + d]! + p * vj[d]!;
        }
      }
      const o = matVec(this.w(n.o), attn, H, qDim);
      const h1 = hs[t]!;
      for (let i = 0; i < H; i++) h1[i] = h1[i]! + o[i]!;
      const x = rmsNorm(h1, this.w(n.postNorm), c.rmsNormEps);
      const gate = matVec(this.w(n.gate), x, c.intermediateSize, H);
      const up = matVec(this.w(n.up), x, c.intermediateSize, H);
      for (let i = 0; i < gate.length; i++) gate[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
      const down = matVec(this.w(n.down), gate, H, c.intermediateSize);
      for (let i = 0; i < H; i++) h1[i] = h1[i]! + down[i]!;
    }
  }

  /** rotate-half RoPE on x[off .. off + D) at position p. */
  private rope(x: Float64Array, off: number, p: number): void {
    const half = this.config.headDim / 2;
    for (let i = 0; i < half; i++) {
      const f = Math.fround(p * this.invFreq[i]!);
      const cos = Math.cos(f);
      const sin = Math.sin(f);
      const a = x[off + i]!;
      const b = x[off + half + i]!;
      x[off + i] = a * cos - b * sin;
      x[off + half + i] = b * cos + a * sin;
    }
  }
}

function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * inv * w[i]!;
  return out;
}

/** W is [rows, cols] row-major (PyTorch Linear layout): returns W x. */
function matVec(w: Float32Array, x: Float64Array, rows: number, cols: number): Float64Array {
  if (w.length !== rows * cols) throw new Error(`weight has ${w.length} values, expected ${rows}x${cols}`);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * cols;
    for (let k = 0; k < cols; k++) s += w[o + k]! * x[k]!;
    out[r] = s;
  }
  return out;
}

function addBias(x: Float64Array, b: Float32Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + b[i]!;
  return x;
}
