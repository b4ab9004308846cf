// What a conversion will read and write, worked out before anything is downloaded in bulk:
// config.json is parsed (unsupported architectures are rejected), every safetensors header is
// read and checked against its file size (a truncated or missing shard is reported here), the
// tokenizer files transformers.js needs are required, and the output size is computed from the
// graph's weight list. Pure TS over FileSource, shared by the browser worker and tests.
import { readJson, type FileSource } from './io.ts';
import { TOKENIZER_FILES, checkTensorShapes, parseDtypes } from './convert.ts';
import { parseQwen2Config, UnsupportedModelError, type Qwen2Config } from './qwen2-config.ts';
import { buildQwen2Graph, type GraphDtype } from './qwen2-onnx.ts';
import { kBlocks, packedRowBytes } from './quantize.ts';
import { Checkpoint, INDEX_FILE } from './safetensors.ts';

/** Files transformers.js must find next to the weights; the converter copies them. */
export const REQUIRED_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

export interface PlannedFile {
  readonly name: string;
  readonly bytes: number;
}

export interface ConvertPlan {
  readonly config: Qwen2Config;
  readonly dtypes: readonly GraphDtype[];
  /** Every input file the conversion reads, with its size. */
  readonly inputs: readonly PlannedFile[];
  readonly downloadBytes: number;
  /** Estimated size of everything the conversion stores (weights exact to alignment, graphs estimated). */
  readonly storeBytes: number;
  /** The largest single output file (a writer that stages files needs this much extra room). */
  readonly largestFileBytes: number;
  /** Tensor count and parameter count, for display. */
  readonly tensors: number;
  readonly parameters: number;
}

/** Weight bytes per output file group, from the graph's weight jobs (no weights needed). */
export function estimateWeights(config: Qwen2Config, dtype: GraphDtype, maxDataFileBytes: number): { total: number; largestFile: number } {
  let total = 0;
  let file = 0;
  let largestFile = 0;
  const add = (n: number) => {
    const aligned = Math.ceil(file / 64) * 64;
    if (aligned > 0 && aligned + n > maxDataFileBytes) {
      largestFile = Math.max(largestFile, file);
      total += file;
      file = n;
    } else {
      file = aligned + n;
    }
  };
  for (const job of buildQwen2Graph(config, dtype).weights) {
    if (job.kind === 'float') {
      add(job.dims.reduce((a, b) => a * b, 1) * (job.dtype === 'f16' ? 2 : 4));
    } else if (job.kind === 'q8') {
      add(job.N * job.K);
      add(job.N * 4);
    } else if (job.kind === 'int8rows') {
      add(job.V * packedRowBytes(job.H));
      add(job.V * 4);
    } else {
      const blocks = job.N * kBlocks(job.K);
      add(blocks * 16);
      add(blocks * (job.scaleDtype === 'f16' ? 2 : 4));
    }
  }
  largestFile = Math.max(largestFile, file);
  return { total: total + file, largestFile };
}

/** A generous bound on a graph file's size (nodes only, weights are external): measured ~6 KB per layer. */
export const graphBytesEstimate = (config: Qwen2Config) => 64 * 1024 + config.numLayers * 16 * 1024;

/**
 * Inspects `src` as the converter will (same checks, same order) and sizes the conversion.
 * Throws UnsupportedModelError / SafetensorsError / MissingFileError with a message naming the
 * problem (file, tensor, architecture, dtype).
 */
export async function planConversion(src: FileSource, dtypesIn: readonly string[] | undefined, maxDataFileBytes = 1024 * 1024 * 1024): Promise<ConvertPlan> {
  const dtypes = parseDtypes(dtypesIn);
  const configSize = await src.size('config.json');
  if (configSize === null) throw new UnsupportedModelError('config.json is missing: this is not a Hugging Face model folder');
  const config = parseQwen2Config(await readJson<Record<string, unknown>>(src, 'config.json'));
  for (const f of REQUIRED_TOKENIZER_FILES) {
    if ((await src.size(f)) === null) {
      throw new UnsupportedModelError(`${f} is missing: the converted model needs the original tokenizer files (tokenizer.json and tokenizer_config.json)`);
    }
  }
  const ckpt = await Checkpoint.open(src);
  const parameters = checkTensorShapes(ckpt, config);
  const inputs: PlannedFile[] = [{ name: 'config.json', bytes: configSize }];
  const index = await src.size(INDEX_FILE);
  if (index !== null) inputs.push({ name: INDEX_FILE, bytes: index });
  for (const f of ckpt.files) inputs.push({ name: f, bytes: (await src.size(f)) ?? 0 });
  let copied = 0;
  for (const f of [...TOKENIZER_FILES, 'generation_config.json']) {
    const n = await src.size(f);
    if (n === null) continue;
    inputs.push({ name: f, bytes: n });
    copied += n;
  }
  let storeBytes = copied + 2 * configSize + 64 * 1024; // tokenizer etc., config.json + manifest
  let largestFileBytes = copied;
  for (const d of dtypes) {
    const w = estimateWeights(config, d, maxDataFileBytes);
    storeBytes += w.total + graphBytesEstimate(config);
    largestFileBytes = Math.max(largestFileBytes, w.largestFile);
  }
  return {
    config,
    dtypes,
    inputs,
    downloadBytes: inputs.reduce((a, f) => a + f.bytes, 0),
    storeBytes,
    largestFileBytes,
    tensors: ckpt.tensors.size,
    parameters,
  };
}
