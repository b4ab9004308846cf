// A tiny random Qwen2ForCausalLM with the DeepSeek-R1-Distill tokenizer's special ids, for the
// in-browser converter's e2e tests:
//   test-models/tiny-qwen2-src            the raw checkpoint (config.json, 2 BF16 safetensors shards
//                                         + index, tokenizer files), served like a Hub repo folder
//   test-models/tiny-qwen2-src-truncated  the same with its second shard cut short
//   test-models/tiny-qwen2                converted by the same converter in Node (q4 and fp32)
//   test-models/tiny-qwen2-parts          q4 again, its embedding table and LM head in parts of
//                                         at most 1 MiB (5 and 3: maxInitializerBytes)
// Greedy decoding of a random model is only comparable across runtimes where the top logit wins
// clearly; the seed was chosen so the e2e prompt's greedy continuation has a wide margin (the e2e
// spec checks the margin before comparing).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { convertQwen2 } from '../../src/convert/convert.ts';
import { memorySource } from '../../src/convert/io.ts';
import { makeTinyQwen2, type TinyQwen2Spec } from '../../src/convert/tiny-checkpoint.ts';
import { nodeWriter } from '../convert.ts';
import { SPECIAL, VOCAB_SIZE, buildVocabulary } from './tokenizer.ts';

export const TINY_QWEN2_SPEC: TinyQwen2Spec = {
  hidden: 32,
  layers: 2,
  heads: 2,
  kvHeads: 1,
  headDim: 16,
  intermediate: 64,
  vocab: VOCAB_SIZE,
  tied: true,
  dtype: 'BF16',
  shards: 2,
  seed: 4,
};
export const TINY_QWEN2_DTYPES = ['q4', 'fp32'] as const;
export const TINY_QWEN2_CONTEXT = 2048;
/** tiny-qwen2-parts' largest part: the 151,936-row int8 table (32 bytes a row) in 5, the q4 head (16) in 3. */
export const TINY_QWEN2_PART_BYTES = 2 ** 20;

/** The checkpoint folder's files (config.json patched to the tokenizer's special ids). */
export function tinyQwen2SourceFiles(): Map<string, Uint8Array> {
  const ck = makeTinyQwen2(TINY_QWEN2_SPEC);
  const vocab = buildVocabulary([]);
  const enc = new TextEncoder();
  const files = new Map(ck.files);
  files.set(
    'config.json',
    enc.encode(
      JSON.stringify(
        { ...ck.rawConfig, bos_token_id: SPECIAL.bos, eos_token_id: SPECIAL.eos, max_position_embeddings: TINY_QWEN2_CONTEXT, torch_dtype: 'bfloat16' },
        null,
        2,
      ),
    ),
  );
  files.set('tokenizer.json', enc.encode(vocab.tokenizerJson));
  files.set('tokenizer_config.json', enc.encode(vocab.tokenizerConfigJson));
  files.set('generation_config.json', enc.encode(JSON.stringify({ bos_token_id: SPECIAL.bos, eos_token_id: SPECIAL.eos }, null, 2)));
  return files;
}

async function writeFolder(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const [name, bytes] of files) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), bytes);
  }
}

export const TINY_QWEN2_TRUNCATED_SHARD = 'model-00002-of-00002.safetensors';

export async function writeTinyQwen2Models(root: string): Promise<string[]> {
  const files = tinyQwen2SourceFiles();
  await writeFolder(join(root, 'tiny-qwen2-src'), files);
  const shard = files.get(TINY_QWEN2_TRUNCATED_SHARD)!;
  await writeFolder(join(root, 'tiny-qwen2-src-truncated'), new Map(files).set(TINY_QWEN2_TRUNCATED_SHARD, shard.subarray(0, shard.byteLength - 4096)));
  await convertQwen2(memorySource(files), nodeWriter(join(root, 'tiny-qwen2')), { dtypes: [...TINY_QWEN2_DTYPES] });
  await convertQwen2(memorySource(files), nodeWriter(join(root, 'tiny-qwen2-parts')), { dtypes: ['q4'], maxInitializerBytes: TINY_QWEN2_PART_BYTES });
  return ['tiny-qwen2', 'tiny-qwen2-parts', 'tiny-qwen2-src', 'tiny-qwen2-src-truncated'];
}
