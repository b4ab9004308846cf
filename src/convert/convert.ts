// Qwen2ForCausalLM safetensors -> transformers.js-loadable ONNX folder. Pure TS over the
// FileSource / OutputWriter interfaces (src/convert/io.ts), shared by the Node CLI
// (tools/convert.ts) and a browser worker.
//
// Output layout (names relative to the output root):
//   onnx/model.onnx + onnx/model.onnx_data[_1..]             fp32   (tests; 4x the q4 size)
//   onnx/model_q4.onnx + onnx/model_q4.onnx_data[_1..]       q4
//   onnx/model_q4f16.onnx + onnx/model_q4f16.onnx_data[_1..] q4f16
//   tokenizer files (copied), generation_config.json, conversion.json, config.json
// config.json gains `transformers.js_config.use_external_data_format` = { "<file>.onnx": chunks },
// which is how transformers.js 4.x learns to fetch `<file>.onnx_data`, `<file>.onnx_data_1`, ...
//
// Completeness: config.json is written LAST (after every other file is closed), and
// transformers.js cannot load a folder without it, so an interrupted conversion never looks
// loadable. conversion.json (written just before config.json) lists every file with its size,
// so an app can verify a stored copy (`verifyConversion`). Writers may additionally stage the
// folder and publish it in `commit()` (the Node writer renames a temp folder).
//
// Memory: weights stream one tensor at a time, in row blocks of `chunkBytes` (default 16 MiB of
// checkpoint data); only the 4-bit scales of the tensor in flight are buffered (1/8 of its
// float32 size, ~29 MB for a 151936x1536 lm_head; the int8 embedding's row scales, 0.6 MB). Peak is a few chunk sizes plus the
// (weight-free) graph protos, independent of the checkpoint size.
import { Checkpoint } from './safetensors.ts';
import { readJson, readWhole, type FileSink, type FileSource, type OutputWriter } from './io.ts';
import { toF16Bytes } from './half.ts';
import { expectedTensors, parseQwen2Config, UnsupportedModelError, type Qwen2Config } from './qwen2-config.ts';
import { ATTENTION_KINDS, Q8_ROWS_KEY, buildQwen2Graph, EMBEDDING_KINDS, GRAPH_DTYPES, MAX_INITIALIZER_BYTES, partName, type AttentionKind, type EmbeddingKind, onnxFileName, OPSET, type GraphDtype, type Qwen2Graph, type RowPart, type WeightJob } from './qwen2-onnx.ts';
import { kBlocks, packedRowBytes, packInt8Rows, quantizeInt8Rows, quantizeQ4Rows, quantizeQ8Rows, type Q8Columns } from './quantize.ts';
import { DType, type GraphBuilder } from './onnx-builder.ts';

export const CONVERTER_VERSION = 1;
export const MANIFEST_FILE = 'conversion.json';
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'chat_template.jinja',
] as const;

export interface ConvertProgress {
  readonly phase: 'inspect' | 'weights' | 'graph' | 'copy' | 'done';
  /** Tensor (weights) or file (graph, copy) being processed. */
  readonly item?: string;
  /** Checkpoint bytes processed so far / in all (weights phase; passes over tied weights count twice). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface ConvertOptions {
  /** Default ['q4f16', 'q4']. */
  readonly dtypes?: readonly string[];
  /** Checkpoint bytes read per step (default 16 MiB). */
  readonly chunkBytes?: number;
  /** Largest external data file (default 1 GiB); a larger single tensor gets a file of its own. */
  readonly maxDataFileBytes?: number;
  /** Attention graph (default 'plain'); see AttentionKind in qwen2-onnx.ts. */
  readonly attention?: string;
  /** KV cache type for the float32-activation dtypes (default 'float32'; q4f16 is always float16). */
  readonly kvCache?: string;
  /** MatMulNBits accuracy_level of q4/q4f16 (default 0; see GraphOptions.q4Accuracy). */
  readonly q4Accuracy?: number;
  /** Embedding table of q4/q8: 'int8' (default, per-row int8) or 'float' (float32 as before). */
  readonly embedding?: string;
  /**
   * The largest part of the embedding table and of a q4/q8 Linear weight (E1's LM head), in bytes
   * (default MAX_INITIALIZER_BYTES; GraphOptions); Infinity keeps every table whole.
   */
  readonly maxInitializerBytes?: number;
  readonly onProgress?: (p: ConvertProgress) => void;
  readonly signal?: AbortSignal;
}

export interface ConvertResult {
  readonly config: Qwen2Config;
  /** Output file name -> size in bytes. */
  readonly files: Readonly<Record<string, number>>;
  readonly dtypes: readonly GraphDtype[];
}

export class ConvertError extends Error {
  override name = 'ConvertError';
}

export function parseDtypes(dtypes: readonly string[] | undefined): GraphDtype[] {
  const list = dtypes && dtypes.length > 0 ? dtypes : ['q4f16', 'q4'];
  for (const d of list) {
    if (!(GRAPH_DTYPES as readonly string[]).includes(d)) {
      throw new ConvertError(`unsupported dtype "${d}" (supported: ${GRAPH_DTYPES.join(', ')})`);
    }
  }
  return [...new Set(list)] as GraphDtype[];
}

export function parseAttention(a: string | undefined): AttentionKind {
  const kind = a ?? 'plain';
  if (!(ATTENTION_KINDS as readonly string[]).includes(kind)) {
    throw new ConvertError(`unsupported attention "${kind}" (supported: ${ATTENTION_KINDS.join(', ')})`);
  }
  return kind as AttentionKind;
}

/** One append-only run of external data files for one .onnx file. */
class ExternalData {
  private sink: FileSink | null = null;
  private chunk = -1;
  private offset = 0;
  readonly files: Record<string, number> = {};
  constructor(
    private readonly out: OutputWriter,
    private readonly dir: string,
    private readonly onnxName: string,
    private readonly maxBytes: number,
  ) {}

  get chunks(): number {
    return this.chunk + 1;
  }

  private location(i: number) {
    return `${this.onnxName}_data${i === 0 ? '' : `_${i}`}`;
  }

  /** Reserves room for a tensor of `length` bytes; returns where it goes. */
  async begin(length: number): Promise<{ location: string; offset: number }> {
    const aligned = Math.ceil(this.offset / 64) * 64;
    if (!this.sink || (aligned > 0 && aligned + length > this.maxBytes)) {
      await this.closeCurrent();
      this.chunk++;
      this.sink = await this.out.create(`${this.dir}${this.location(this.chunk)}`);
      this.offset = 0;
    } else if (aligned > this.offset) {
      await this.sink.write(new Uint8Array(aligned - this.offset));
      this.offset = aligned;
    }
    return { location: this.location(this.chunk), offset: this.offset };
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.sink) throw new Error('ExternalData.write before begin');
    await this.sink.write(bytes);
    this.offset += bytes.byteLength;
  }

  private async closeCurrent() {
    if (this.sink) {
      await this.sink.close();
      this.files[`${this.dir}${this.location(this.chunk)}`] = this.offset;
      this.sink = null;
    }
  }

  async close(): Promise<void> {
    await this.closeCurrent();
  }
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Declares part `p` of a tensor written at `at` with `rowBytes` a row, as an initializer of `rowDims` a row. */
function declarePart(g: GraphBuilder, p: RowPart, dtype: DType, rowDims: readonly number[], at: { readonly location: string; readonly offset: number }, rowBytes: number): void {
  g.externalInitializer(p.init, dtype, [p.count, ...rowDims], at.location, at.offset + p.start * rowBytes, p.count * rowBytes);
}

interface Target {
  readonly graph: Qwen2Graph;
  readonly data: ExternalData;
}

/**
 * Every tensor config.json implies is in the checkpoint, with that shape (an UnsupportedModelError
 * otherwise). Returns the number of parameters.
 */
export function checkTensorShapes(ckpt: Checkpoint, config: Qwen2Config): number {
  let parameters = 0;
  for (const [name, dims] of expectedTensors(config)) {
    if (!ckpt.has(name)) throw new UnsupportedModelError(`checkpoint is missing tensor ${name} (expected shape [${dims.join(', ')}])`);
    const got = ckpt.info(name).shape;
    if (got.length !== dims.length || got.some((d, i) => d !== dims[i])) {
      throw new UnsupportedModelError(`tensor ${name} has shape [${got.join(', ')}], config.json implies [${dims.join(', ')}]`);
    }
    parameters += dims.reduce((a, b) => a * b, 1);
  }
  return parameters;
}

/** Converts a Qwen2ForCausalLM checkpoint read from `src` into `out`. */
export async function convertQwen2(src: FileSource, out: OutputWriter, options: ConvertOptions = {}): Promise<ConvertResult> {
  const dtypes = parseDtypes(options.dtypes);
  const attention = parseAttention(options.attention);
  const kvCache = options.kvCache ?? 'float32';
  if (kvCache !== 'float32' && kvCache !== 'float16') throw new ConvertError(`unsupported KV cache type "${kvCache}" (supported: float32, float16)`);
  const maxPart = options.maxInitializerBytes ?? MAX_INITIALIZER_BYTES;
  if (!(maxPart >= 1000)) throw new ConvertError(`maxInitializerBytes must be at least 1000 bytes (Infinity: no parts), not ${maxPart}`);
  const q4Accuracy = options.q4Accuracy ?? 0;
  if (q4Accuracy !== 0 && q4Accuracy !== 4) throw new ConvertError(`unsupported q4 accuracy level ${q4Accuracy} (supported: 0, 4)`);
  const embedding = (options.embedding ?? 'int8') as EmbeddingKind;
  if (!EMBEDDING_KINDS.includes(embedding)) throw new ConvertError(`unsupported embedding "${options.embedding}" (supported: ${EMBEDDING_KINDS.join(', ')})`);
  const chunkBytes = options.chunkBytes ?? 16 * 1024 * 1024;
  const maxDataFileBytes = options.maxDataFileBytes ?? 1024 * 1024 * 1024;
  const progress = options.onProgress ?? (() => {});
  const checkAbort = () => {
    if (options.signal?.aborted) throw new ConvertError('conversion aborted');
  };

  // ---- inspect (before writing anything) -------------------------------------------------------
  progress({ phase: 'inspect', item: 'config.json', bytesDone: 0, bytesTotal: 0 });
  const rawConfig = await readJson<Record<string, unknown>>(src, 'config.json');
  const config = parseQwen2Config(rawConfig);
  const ckpt = await Checkpoint.open(src);
  checkTensorShapes(ckpt, config);

  const written: Record<string, number> = {};
  try {
    const targets: Target[] = dtypes.map((d) => ({
      graph: buildQwen2Graph(config, d, { attention, kvCache, q4Accuracy, embedding, maxInitializerBytes: maxPart }),
      data: new ExternalData(out, 'onnx/', onnxFileName(d), maxDataFileBytes),
    }));

    // Passes: each reads one source tensor once and feeds at most one job per target, so every
    // data file receives one initializer at a time (tied embeddings need two passes).
    const passes: { source: string; jobs: { target: Target; job: WeightJob }[] }[] = [];
    const bySource = new Map<string, { target: Target; job: WeightJob }[][]>();
    for (const target of targets) {
      for (const job of target.graph.weights) {
        let lists = bySource.get(job.source);
        if (!lists) bySource.set(job.source, (lists = []));
        let pass = lists.find((l) => !l.some((e) => e.target === target));
        if (!pass) lists.push((pass = []));
        pass.push({ target, job });
      }
    }
    // Checkpoint order (file, offset) keeps reads sequential.
    const order = [...bySource.keys()].sort((a, b) => {
      const ta = ckpt.info(a);
      const tb = ckpt.info(b);
      return ta.file === tb.file ? ta.offset - tb.offset : ckpt.files.indexOf(ta.file) - ckpt.files.indexOf(tb.file);
    });
    for (const s of order) for (const jobs of bySource.get(s)!) passes.push({ source: s, jobs });
    const bytesTotal = passes.reduce((n, p) => n + ckpt.info(p.source).byteLength, 0);
    let bytesDone = 0;

    for (const pass of passes) {
      const info = ckpt.info(pass.source);
      const rows = info.shape.length <= 1 ? 1 : info.shape[0]!;
      const width = info.shape.length === 0 ? 1 : info.shape.slice(info.shape.length <= 1 ? 0 : 1).reduce((a, b) => a * b, 1);
      const rowBytes = info.byteLength / rows;
      const rowsPerChunk = Math.max(1, Math.floor(chunkBytes / rowBytes));
      const scaleBufs = new Map<WeightJob, Float32Array>();
      const q8Bufs = new Map<WeightJob, Q8Columns>();
      const starts = new Map<WeightJob, { location: string; offset: number; length: number }>();
      for (const { target, job } of pass.jobs) {
        if (job.kind === 'q8') {
          q8Bufs.set(job, { bT: new Int8Array(job.N * job.K), scales: new Float32Array(job.N) });
          continue; // written whole after the pass (its [K, N] layout is a transpose of the rows read)
        }
        const length =
          job.kind === 'float' ? rows * width * (job.dtype === 'f16' ? 2 : 4) : job.kind === 'int8rows' ? job.V * packedRowBytes(job.H) : job.N * kBlocks(job.K) * 16;
        if (job.kind === 'q4') scaleBufs.set(job, new Float32Array(job.N * kBlocks(job.K)));
        if (job.kind === 'int8rows') scaleBufs.set(job, new Float32Array(job.V));
        starts.set(job, { ...(await target.data.begin(length)), length });
      }
      for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
        checkAbort();
        const n = Math.min(rowsPerChunk, rows - r0);
        const block = await ckpt.readRows(pass.source, r0, n);
        for (const { target, job } of pass.jobs) {
          if (job.kind === 'float') {
            await target.data.write(job.dtype === 'f16' ? toF16Bytes(block) : bytesOf(block));
          } else if (job.kind === 'q8') {
            quantizeQ8Rows(block, n, job.K, { ...q8Bufs.get(job)!, r0 });
          } else if (job.kind === 'int8rows') {
            const e = quantizeInt8Rows(block, n, job.H);
            scaleBufs.get(job)!.set(e.scales, r0);
            await target.data.write(packInt8Rows(e.q, n, job.H));
          } else {
            const q = quantizeQ4Rows(block, n, job.K, job.scaleDtype === 'f16');
            scaleBufs.get(job)!.set(q.scales, r0 * kBlocks(job.K));
            await target.data.write(q.b);
          }
        }
        bytesDone += n * rowBytes;
        progress({ phase: 'weights', item: pass.source, bytesDone, bytesTotal });
      }
      for (const { target, job } of pass.jobs) {
        const g = target.graph.graph;
        if (job.kind === 'q8') {
          const q = q8Bufs.get(job)!;
          // A part is its output channels' columns of [K, N]: [K, count], copied out (one part: the whole).
          for (const [i, p] of job.parts.entries()) {
            const whole = job.parts.length === 1;
            const b = whole ? q.bT : new Int8Array(job.K * p.count);
            if (!whole) for (let k = 0; k < job.K; k++) b.set(q.bT.subarray(k * job.N + p.start, k * job.N + p.start + p.count), k * p.count);
            for (const [name, dtype, dims, bytes] of [
              [p.init, DType.int8, [job.K, p.count], bytesOf(b)],
              [partName(job.initScales, job.parts.length, i), DType.float32, [p.count], bytesOf(q.scales.subarray(p.start, p.start + p.count))],
            ] as const) {
              const at = await target.data.begin(bytes.byteLength);
              await target.data.write(bytes);
              g.externalInitializer(name, dtype, dims, at.location, at.offset, bytes.byteLength);
            }
          }
          continue;
        }
        const s = starts.get(job)!;
        if (job.kind === 'int8rows') {
          const W = packedRowBytes(job.H);
          for (const p of job.parts) declarePart(g, p, DType.int32, [W / 4], s, W);
          const bytes = bytesOf(scaleBufs.get(job)!);
          const at = await target.data.begin(bytes.byteLength);
          await target.data.write(bytes);
          g.externalInitializer(job.initScales, DType.float32, [job.V, 1], at.location, at.offset, bytes.byteLength);
        } else if (job.kind === 'float') {
          const dt = job.dtype === 'f16' ? DType.float16 : DType.float32;
          for (const p of job.parts) declarePart(g, p, dt, job.dims.slice(1), s, s.length / job.dims[0]!);
        } else {
          const nb = kBlocks(job.K);
          const scales = scaleBufs.get(job)!;
          const bytes = job.scaleDtype === 'f16' ? toF16Bytes(scales) : bytesOf(scales);
          const at = await target.data.begin(bytes.byteLength);
          await target.data.write(bytes);
          const scaleRow = bytes.byteLength / job.N;
          job.parts.forEach((p, i) => {
            declarePart(g, p, DType.uint8, [nb, 16], s, nb * 16);
            declarePart(g, { ...p, init: partName(job.initScales, job.parts.length, i) }, job.scaleDtype === 'f16' ? DType.float16 : DType.float32, [nb], at, scaleRow);
          });
        }
      }
    }

    // ---- graphs ----------------------------------------------------------------------------------
    const chunks: Record<string, number> = {};
    for (const t of targets) {
      checkAbort();
      await t.data.close();
      Object.assign(written, t.data.files);
      const name = onnxFileName(t.graph.dtype);
      progress({ phase: 'graph', item: name, bytesDone, bytesTotal });
      const bytes = t.graph.graph.toBytes(OPSET, 'elastic-reasoning-web/convert');
      await writeFile(out, `onnx/${name}`, bytes);
      written[`onnx/${name}`] = bytes.byteLength;
      chunks[name] = t.data.chunks;
    }

    // ---- tokenizer, generation config, manifest, and config.json last ----------------------------
    for (const f of TOKENIZER_FILES) {
      if ((await src.size(f)) === null) continue;
      progress({ phase: 'copy', item: f, bytesDone, bytesTotal });
      const bytes = await readWhole(src, f);
      await writeFile(out, f, bytes);
      written[f] = bytes.byteLength;
    }
    let generation: unknown;
    if ((await src.size('generation_config.json')) !== null) generation = await readJson(src, 'generation_config.json');
    else generation = { bos_token_id: rawConfig.bos_token_id, eos_token_id: rawConfig.eos_token_id };
    written['generation_config.json'] = await writeText(out, 'generation_config.json', JSON.stringify(generation, null, 2));

    const jsConfig = (rawConfig['transformers.js_config'] ?? {}) as Record<string, unknown>;
    const outConfig = {
      ...rawConfig,
      ...(dtypes.includes('q8') ? { [Q8_ROWS_KEY]: 'per-row' } : {}),
      'transformers.js_config': {
        ...jsConfig,
        use_external_data_format: chunks,
        // transformers.js makes its first (empty) cache of this type per dtype.
        kv_cache_dtype: { q4f16: 'float16', fp16: 'float16', ...(kvCache === 'float16' ? Object.fromEntries(dtypes.map((d) => [d, 'float16'])) : {}) },
      },
    };
    const configText = JSON.stringify(outConfig, null, 2);
    const manifest = {
      converter: 'elastic-reasoning-web/src/convert',
      version: CONVERTER_VERSION,
      dtypes,
      attention,
      kvCache,
      ...(q4Accuracy ? { q4Accuracy } : {}),
      embedding,
      // JSON has no Infinity: "none" = tables kept whole.
      maxInitializerBytes: Number.isFinite(maxPart) ? maxPart : 'none',
      files: { ...written, 'config.json': new TextEncoder().encode(configText).byteLength },
    };
    written[MANIFEST_FILE] = await writeText(out, MANIFEST_FILE, JSON.stringify(manifest, null, 2));
    written['config.json'] = await writeText(out, 'config.json', configText);
    await out.commit?.();
    progress({ phase: 'done', bytesDone, bytesTotal });
    return { config, files: written, dtypes };
  } catch (e) {
    await out.abort?.().catch(() => {});
    throw e;
  }
}

async function writeFile(out: OutputWriter, name: string, bytes: Uint8Array): Promise<void> {
  const sink = await out.create(name);
  await sink.write(bytes);
  await sink.close();
}

async function writeText(out: OutputWriter, name: string, text: string): Promise<number> {
  const bytes = new TextEncoder().encode(text);
  await writeFile(out, name, bytes);
  return bytes.byteLength;
}

/**
 * Checks that a converted folder is complete: config.json and conversion.json exist and every
 * file the manifest lists has its recorded size. Returns the problems found (empty = complete).
 */
export async function verifyConversion(folder: FileSource): Promise<string[]> {
  if ((await folder.size('config.json')) === null) return ['config.json is missing (conversion incomplete)'];
  if ((await folder.size(MANIFEST_FILE)) === null) return [`${MANIFEST_FILE} is missing (not produced by this converter, or incomplete)`];
  const manifest = await readJson<{ files?: Record<string, number> }>(folder, MANIFEST_FILE);
  const problems: string[] = [];
  for (const [name, size] of Object.entries(manifest.files ?? {})) {
    const got = await folder.size(name);
    if (got === null) problems.push(`${name} is missing`);
    else if (got !== size) problems.push(`${name} has ${got} bytes, expected ${size}`);
  }
  return problems;
}
