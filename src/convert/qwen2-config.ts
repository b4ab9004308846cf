// The subset of a Hugging Face Qwen2 config.json that the converter and the reference need.

export interface Qwen2Config {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly ropeTheta: number;
  readonly rmsNormEps: number;
  readonly tieWordEmbeddings: boolean;
}

export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
}

const num = (raw: Record<string, unknown>, key: string, fallback?: number): number => {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UnsupportedModelError(`config.json: ${key} is missing or not a number`);
  return v;
};

/** Validates a Qwen2ForCausalLM config.json; anything else is rejected with a clear error. */
export function parseQwen2Config(raw: Record<string, unknown>): Qwen2Config {
  const archs = raw.architectures;
  const modelType = raw.model_type;
  if (modelType !== 'qwen2' || (Array.isArray(archs) && archs.length > 0 && !archs.includes('Qwen2ForCausalLM'))) {
    throw new UnsupportedModelError(
      `unsupported architecture ${JSON.stringify(archs ?? null)} (model_type ${JSON.stringify(modelType ?? null)}): ` +
        'only Qwen2ForCausalLM (model_type "qwen2") can be converted',
    );
  }
  const rs = raw.rope_scaling as { type?: string; rope_type?: string } | null | undefined;
  const ropeType = rs?.rope_type ?? rs?.type;
  if (rs && ropeType !== 'default') throw new UnsupportedModelError(`rope_scaling ${JSON.stringify(rs)} is not supported`);
  if (raw.use_sliding_window === true) throw new UnsupportedModelError('use_sliding_window: true is not supported');
  const hiddenSize = num(raw, 'hidden_size');
  const numHeads = num(raw, 'num_attention_heads');
  const numKvHeads = num(raw, 'num_key_value_heads', numHeads);
  const headDim = num(raw, 'head_dim', hiddenSize / numHeads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new UnsupportedModelError(`head_dim ${headDim} must be an even integer`);
  if (numHeads % numKvHeads !== 0) throw new UnsupportedModelError(`num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  return {
    hiddenSize,
    intermediateSize: num(raw, 'intermediate_size'),
    numLayers: num(raw, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: num(raw, 'vocab_size'),
    ropeTheta: num(raw, 'rope_theta', 10000),
    rmsNormEps: num(raw, 'rms_norm_eps', 1e-6),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
  };
}

/** Hugging Face tensor names of a Qwen2ForCausalLM checkpoint. */
export const qwen2Names = {
  embed: 'model.embed_tokens.weight',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  layer: (i: number) => {
    const p = `model.layers.${i}`;
    return {
      inputNorm: `${p}.input_layernorm.weight`,
      postNorm: `${p}.post_attention_layernorm.weight`,
      q: `${p}.self_attn.q_proj.weight`,
      k: `${p}.self_attn.k_proj.weight`,
      v: `${p}.self_attn.v_proj.weight`,
      qBias: `${p}.self_attn.q_proj.bias`,
      kBias: `${p}.self_attn.k_proj.bias`,
      vBias: `${p}.self_attn.v_proj.bias`,
      o: `${p}.self_attn.o_proj.weight`,
      gate: `${p}.mlp.gate_proj.weight`,
      up: `${p}.mlp.up_proj.weight`,
      down: `${p}.mlp.down_proj.weight`,
    };
  },
};

/** Every tensor name with its expected shape. */
export function expectedTensors(c: Qwen2Config): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const H = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  m.set(qwen2Names.embed, [c.vocabSize, H]);
  m.set(qwen2Names.finalNorm, [H]);
  if (!c.tieWordEmbeddings) m.set(qwen2Names.lmHead, [c.vocabSize, H]);
  for (let i = 0; i < c.numLayers; i++) {
    const n = qwen2Names.layer(i);
    m.set(n.inputNorm, [H]);
    m.set(n.postNorm, [H]);
    m.set(n.q, [q, H]);
    m.set(n.qBias, [q]);
    m.set(n.k, [kv, H]);
    m.set(n.kBias, [kv]);
    m.set(n.v, [kv, H]);
    m.set(n.vBias, [kv]);
    m.set(n.o, [H, q]);
    m.set(n.gate, [c.intermediateSize, H]);
    m.set(n.up, [c.intermediateSize, H]);
    m.set(n.down, [H, c.intermediateSize]);
  }
  return m;
}
