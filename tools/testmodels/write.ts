// Writes the scripted test-model folders that transformers.js v4 loads offline.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildScript, buildScriptedOnnx, type ScriptedVariant } from './scripted-model.ts';
import { SPECIAL, VOCAB_SIZE } from './tokenizer.ts';

export const TEST_MODEL_SHAPE = { layers: 2, kvHeads: 2, headDim: 16, heads: 4 } as const;
/** A small context so that "prompt + budgets exceed the context" is cheap to test. */
export const TEST_MODEL_CONTEXT = 2048;

export const VARIANTS = {
  /** Thinks 48 tokens, closes `</think>` itself, then answers. */
  'scripted-think48': { thinkLength: 48, eosAt: null },
  /** Never closes `</think>`: every run is cut at the thinking budget. */
  'scripted-never-close': { thinkLength: null, eosAt: null },
  /** Emits EOS as its 20th thinking token. */
  'scripted-eos-in-thinking': { thinkLength: null, eosAt: 19 },
} as const satisfies Record<string, ScriptedVariant>;
export type VariantName = keyof typeof VARIANTS;

export async function writeScriptedModel(dir: string, variant: ScriptedVariant): Promise<void> {
  const script = buildScript();
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const { layers, kvHeads, headDim, heads } = TEST_MODEL_SHAPE;
  const config = {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_size: heads * headDim,
    intermediate_size: 4 * heads * headDim,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    max_position_embeddings: TEST_MODEL_CONTEXT,
    vocab_size: VOCAB_SIZE,
    bos_token_id: SPECIAL.bos,
    eos_token_id: SPECIAL.eos,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    use_cache: true,
    scripted_variant: variant,
    'transformers.js_config': { kv_cache_dtype: { q4f16: 'float16', fp16: 'float16' } },
  };
  const generation = { bos_token_id: SPECIAL.bos, eos_token_id: SPECIAL.eos, do_sample: true, temperature: 0.6, top_p: 0.95 };
  const fp32 = buildScriptedOnnx(script, { variant, kvDtype: 'float32', layers, kvHeads, headDim });
  const fp16 = buildScriptedOnnx(script, { variant, kvDtype: 'float16', layers, kvHeads, headDim });
  await Promise.all([
    writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2)),
    writeFile(join(dir, 'generation_config.json'), JSON.stringify(generation, null, 2)),
    writeFile(join(dir, 'tokenizer.json'), script.vocab.tokenizerJson),
    writeFile(join(dir, 'tokenizer_config.json'), script.vocab.tokenizerConfigJson),
    // Real exports name their files by dtype; the graph is the same for fp32 and q4 (fp32
    // activations), and fp16 caches and logits for q4f16.
    writeFile(join(dir, 'onnx', 'model.onnx'), fp32),
    writeFile(join(dir, 'onnx', 'model_q4.onnx'), fp32),
    writeFile(join(dir, 'onnx', 'model_quantized.onnx'), fp32), // q8, what WASM picks by default
    writeFile(join(dir, 'onnx', 'model_q4f16.onnx'), fp16),
  ]);
}

export async function writeAllScriptedModels(root: string): Promise<string[]> {
  const names = Object.keys(VARIANTS) as VariantName[];
  await Promise.all(names.map((n) => writeScriptedModel(join(root, n), VARIANTS[n])));
  return names;
}
