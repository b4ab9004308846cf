// The engine: transformers.js model + tokenizer behind the pure decode loop.
// This is the only module (with the worker entry) that touches transformers.js. It drives
// `model.forward()` itself — `generate()` ignores top_p and cannot fork a KV cache on WebGPU —
// and owns every tensor it feeds or receives: inputs are disposed right after each call, a
// cache's tensors when the loop releases its handle.
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { DecodeError, decode, traceOfLanes, validateRequest, type DecodeBackend, type DecodeOptions, type DecodeResult, type ForwardResult, type Row } from '../core/decode.ts';
import { resolveBudget, type SpecialIds } from '../core/policy.ts';
import { ensureThinkingOpen, userMessage } from '../core/prompt.ts';
import { contextFor, planRows, rowsWanted, type CacheLayout, type MemoryLimits, type RunPlan } from '../core/row-memory.ts';
import { recut } from '../core/recut.ts';
import { Q8_ROWS_KEY } from '../core/q8-rows.ts';
import { halfToFloat32 } from './fp16.ts';
import type { Device as BrowserDevice, Dtype, RunSpec } from './protocol.ts';

/**
 * The caches of the rows of one model call: per layer one tensor [rows, kv_heads, positions,
 * head_dim]. Rows may hold different numbers of positions (left padding) and masked holes (a
 * row that fed fewer ids than another in the same call); `masks` says which are real.
 */
class CacheGroup {
  private handles: number;
  constructor(
    readonly tensors: Readonly<Record<string, Tensor>>,
    /** Per row, 1 where the position holds a real entry, 0 for padding. */
    readonly masks: readonly Uint8Array[],
  ) {
    this.handles = masks.length;
  }
  get positions(): number {
    return this.masks[0]?.length ?? 0;
  }
  /** One row's handle is gone; the tensors go with the last. */
  releaseRow(): void {
    if (--this.handles === 0) for (const t of Object.values(this.tensors)) t.dispose();
  }
}

/** A row's cache: a row of a group. The group's tensors live while any of its rows does. */
export interface KvCache {
  readonly group: CacheGroup;
  readonly row: number;
  /** Positions the row holds (real entries; the next position id). */
  readonly length: number;
}

/** Every tensor the engine made or received, to prove none outlives its use. */
export class TensorLedger {
  private readonly all: Tensor[] = [];
  track<T extends Tensor>(t: T): T {
    this.all.push(t);
    return t;
  }
  /** Tensors not yet disposed, read from ONNX Runtime's own state. */
  live(): number {
    return this.all.filter((t) => (t as unknown as { ort_tensor: { dataLocation: string } }).ort_tensor.dataLocation !== 'none').length;
  }
  /** Forget disposed tensors (keeps long sessions from growing the list). */
  compact(): void {
    const keep = this.all.filter((t) => (t as unknown as { ort_tensor: { dataLocation: string } }).ort_tensor.dataLocation !== 'none');
    this.all.length = 0;
    this.all.push(...keep);
  }
}

type Model = PreTrainedModel & {
  sessions: Record<string, { inputNames: string[]; inputMetadata: { name: string; type: string; shape: (number | string)[] }[] }>;
  forward(inputs: Record<string, unknown>): Promise<Record<string, Tensor>>;
};

type Elements = Float32Array | Uint16Array;

const i64 = (values: ArrayLike<number>, dims: number[]) => new Tensor('int64', BigInt64Array.from(values as number[], (v) => BigInt(v)), dims);

/** The element data of a tensor on the CPU (downloaded when it lives on the GPU). */
async function elements(t: Tensor): Promise<Elements> {
  const ort = (t as unknown as { ort_tensor: { location: string; getData(): Promise<unknown> } }).ort_tensor;
  return (ort.location === 'cpu' ? t.data : await ort.getData()) as Elements;
}

export class TransformersBackend implements DecodeBackend<KvCache> {
  private readonly pastSpecs: { name: string; type: string; shape: (number | string)[] }[];
  private readonly keepsLogits: boolean;
  /** Whether rows of different lengths can share a call (the graph takes a batch, a mask and positions). */
  readonly canBatch: boolean;

  constructor(
    private readonly model: Model,
    readonly ledger: TensorLedger = new TensorLedger(),
  ) {
    const session = model.sessions['model'];
    if (!session) throw new Error('This model has no decoder session named "model".');
    this.pastSpecs = session.inputMetadata.filter((m: { name: string }) => m.name.startsWith('past_key_values.'));
    if (this.pastSpecs.length === 0) throw new Error('This model has no past_key_values inputs: it cannot reuse a KV cache.');
    this.keepsLogits = session.inputNames.includes('num_logits_to_keep');
    this.canBatch =
      session.inputNames.includes('attention_mask') &&
      session.inputNames.includes('position_ids') &&
      this.pastSpecs.every((s) => typeof s.shape[0] !== 'number');
  }

  /** The cache's shape, from the graph's past inputs [batch, kv_heads, positions, head_dim]. */
  get layout(): CacheLayout {
    const spec = this.pastSpecs[0]!;
    const dim = (i: number) => (typeof spec.shape[i] === 'number' ? (spec.shape[i] as number) : 0);
    return { layers: this.pastSpecs.length / 2, kvHeads: dim(1), headDim: dim(3), bytesPerValue: spec.type === 'float16' ? 2 : 4 };
  }

  /** Layer tensors for `rows` rows, each row's real entries right-aligned (left padding). */
  private async gather(rows: readonly (KvCache | null)[]): Promise<{ tensors: Record<string, Tensor>; masks: Uint8Array[] }> {
    // Each source row keeps only its real entries: holes and padding are dropped here.
    const keep = rows.map((r) => (r ? Array.from(r.group.masks[r.row]!.keys()).filter((j) => r.group.masks[r.row]![j] === 1) : []));
    const L = Math.max(0, ...keep.map((k) => k.length));
    const masks = keep.map((k) => {
      const m = new Uint8Array(L);
      m.fill(1, L - k.length);
      return m;
    });
    const tensors: Record<string, Tensor> = {};
    try {
      await this.gatherInto(tensors, rows, keep, L);
    } catch (e) {
      for (const t of Object.values(tensors)) t.dispose();
      throw e;
    }
    return { tensors, masks };
  }

  private async gatherInto(tensors: Record<string, Tensor>, rows: readonly (KvCache | null)[], keep: readonly number[][], L: number): Promise<void> {
    for (const spec of this.pastSpecs) {
      const [, H, , D] = spec.shape.map((d) => (typeof d === 'number' ? d : 0));
      const heads = H!;
      const dim = D!;
      // Rows of one group share its tensor: each is read (downloaded, on a GPU) once.
      const reads = new Map<Tensor, Promise<Elements>>();
      const read = (t: Tensor) => reads.get(t) ?? reads.set(t, elements(t)).get(t)!;
      const sources = await Promise.all(rows.map((r) => (r ? read(r.group.tensors[spec.name]!) : null)));
      // The sources' own array type: float16 data may be a Float16Array where the runtime has one,
      // and copying it into a Uint16Array would convert values instead of bits.
      const Elements = (sources.find((x) => x !== null)?.constructor ?? (spec.type === 'float16' ? Uint16Array : Float32Array)) as new (n: number) => Elements;
      const out = new Elements(rows.length * heads * L * dim);
      for (const [b, r] of rows.entries()) {
        if (!r) continue;
        const src = sources[b]!;
        const srcL = r.group.positions;
        const k = keep[b]!;
        for (let h = 0; h < heads; h++) {
          const dstBase = ((b * heads + h) * L + (L - k.length)) * dim;
          const srcBase = (r.row * heads + h) * srcL * dim;
          // Runs of consecutive kept positions copy in one go.
          for (let j = 0; j < k.length; ) {
            let e = j + 1;
            while (e < k.length && k[e] === k[e - 1]! + 1) e++;
            out.set(src.subarray(srcBase + k[j]! * dim, srcBase + (k[e - 1]! + 1) * dim), dstBase + j * dim);
            j = e;
          }
        }
      }
      tensors[spec.name] = this.ledger.track(new Tensor(spec.type as 'float32', out as Float32Array, [rows.length, heads, L, dim]));
    }
  }

  async forward(rows: readonly Row<KvCache>[]): Promise<ForwardResult<KvCache>[]> {
    if (rows.length > 1 && !this.canBatch) throw new Error('This model cannot run several rows in one call.');
    const B = rows.length;
    const S = Math.max(...rows.map((r) => r.feed.length));
    // The rows of the previous call, in order, each feeding as many ids: its tensors go in as they are.
    const first = rows[0]!.past;
    const reuse =
      first !== null &&
      first.group.masks.length === B &&
      rows.every((r, i) => r.past?.group === first.group && r.past.row === i && r.feed.length === S);
    const created: Tensor[] = [];
    let pastTensors: Record<string, Tensor>;
    let pastMasks: readonly Uint8Array[];
    if (reuse) {
      pastTensors = { ...first.group.tensors };
      pastMasks = first.group.masks;
    } else {
      const g = await this.gather(rows.map((r) => r.past));
      pastTensors = g.tensors;
      pastMasks = g.masks;
      created.push(...Object.values(g.tensors));
    }
    const P = pastMasks[0]?.length ?? 0;
    // Shorter feeds are left-padded with masked ids: the new entries of every row line up.
    const ids = new Array<number>(B * S).fill(0);
    const positions = new Array<number>(B * S).fill(0);
    const masks = pastMasks.map((m) => {
      const next = new Uint8Array(P + S);
      next.set(m);
      return next;
    });
    const lengths: number[] = [];
    for (const [b, r] of rows.entries()) {
      const n = r.feed.length;
      const len = r.past?.length ?? 0;
      for (let j = 0; j < S; j++) {
        const k = j - (S - n);
        ids[b * S + j] = k >= 0 ? r.feed[k]! : 0;
        positions[b * S + j] = len + Math.max(k, 0);
        masks[b]![P + j] = k >= 0 ? 1 : 0;
      }
      lengths.push(len + n);
    }
    const flatMask = new Array<number>(B * (P + S));
    for (const [b, m] of masks.entries()) for (let j = 0; j < P + S; j++) flatMask[b * (P + S) + j] = m[j]!;
    const inputTensors = [i64(ids, [B, S]), i64(flatMask, [B, P + S]), i64(positions, [B, S])];
    created.push(...inputTensors);
    const [input_ids, attention_mask, position_ids] = inputTensors as [Tensor, Tensor, Tensor];
    const inputs: Record<string, unknown> = { input_ids, attention_mask, position_ids, past_key_values: pastTensors };
    if (this.keepsLogits) {
      // Only the last position's logits are needed, also during prefill.
      const keep = new Tensor('int64', BigInt64Array.from([1n]), []);
      created.push(keep);
      inputs['num_logits_to_keep'] = keep;
    }
    for (const t of created) this.ledger.track(t);

    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.model.forward(inputs);
    } finally {
      for (const t of created) t.dispose();
    }
    const present: Record<string, Tensor> = {};
    let logits: Float32Array[] | null = null;
    for (const [name, t] of Object.entries(outputs)) {
      this.ledger.track(t);
      if (name.startsWith('present.')) {
        present[name.replace('present.', 'past_key_values.')] = t;
      } else {
        if (name === 'logits') logits = rows.map((_, b) => lastRow(t, b));
        t.dispose();
      }
    }
    if (!logits) {
      for (const t of Object.values(present)) t.dispose();
      throw new Error('The model returned no logits.');
    }
    const group = new CacheGroup(present, masks);
    return rows.map((_, b) => ({ logits: logits[b]!, cache: { group, row: b, length: lengths[b]! } }));
  }

  release(cache: KvCache): void {
    cache.group.releaseRow();
  }
}

/**
 * Row `b`'s logits at its last position, as float32: a view into the output, not a copy (the
 * output's data is a JS array of its own on every backend, kept alive by the view after the
 * tensor is disposed; a copy cost a 600 KB allocation per row per step).
 */
function lastRow(t: Tensor, b: number): Float32Array {
  const dims = t.dims;
  const vocab = dims[dims.length - 1]!;
  const perRow = t.data.length / vocab / dims[0]!;
  const start = (b * perRow + perRow - 1) * vocab;
  const data = t.data as unknown;
  if (data instanceof Float32Array) return data.subarray(start, start + vocab);
  if (data instanceof Uint16Array) return halfToFloat32(data.subarray(start, start + vocab));
  // Float16Array where the runtime has it.
  const arr = data as ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> };
  return Float32Array.from(arr.subarray(start, start + vocab));
}

/** The browser's devices, and the CPU for Node tests. */
export type Device = BrowserDevice | 'cpu';

export interface LoadOptions {
  readonly device: Device;
  readonly dtype: Dtype;
  readonly progress?: (p: unknown) => void;
  /** Caps on the KV caches a run may hold; defaults from the device (see deviceLimits). */
  readonly memory?: Partial<MemoryLimits>;
  /** Whether the lanes of a run share model calls (see batchesRows); default 'auto'. */
  readonly batching?: 'auto' | 'always' | 'never';
  /** ONNX Runtime session options on top of transformers.js' (benches and probes: e.g. thread spinning). */
  readonly sessionOptions?: Record<string, unknown>;
  /** More from_pretrained options for the model (the browser passes its external data as Blobs: external-data.ts). */
  readonly modelOptions?: Readonly<Record<string, unknown>>;
}

/**
 * 'auto': batched rows where a step of several rows costs little more than a step of one —
 * WebGPU, and float or int8 weights on the CPU/WASM (one GEMM reads each weight once for every
 * row). Not 4-bit weights on the CPU/WASM: ONNX Runtime's MatMulNBits decodes one row with a fused
 * GEMV but several by dequantizing to float first, so 2 rows cost 2.2–2.4× one row (measured with
 * tools/bench-sweep.ts on a mid-size q4 model, onnxruntime-node, 2 cores) and batching is slower.
 * Null when the rows batch, else why they run one at a time (shown with the memory plan).
 */
export function sequentialReason(device: Device, dtype: Dtype, batching: LoadOptions['batching'] = 'auto', q8PerRow = true): string | null {
  if (batching === 'never') return 'batching is turned off';
  if (batching === 'always') return null;
  // A q8 graph made by DynamicQuantizeLinear (onnxruntime's quantize_dynamic, older conversions)
  // shares one activation scale across rows: batched lanes would not equal their single runs.
  if (dtype === 'q8' && !q8PerRow) return "this q8 model quantizes the activations of all rows on one scale, so batched lanes would differ from their single runs (convert it again for per-row q8)";
  if (device === 'webgpu' || !dtype.startsWith('q4')) return null;
  return `${dtype} (4-bit) weights on the CPU decode several rows slower than one at a time (ONNX Runtime's MatMulNBits); q8 weights batch`;
}

export const batchesRows = (device: Device, dtype: Dtype, batching: LoadOptions['batching'] = 'auto', q8PerRow = true): boolean =>
  sequentialReason(device, dtype, batching, q8PerRow) === null;

/** What the KV caches of one run may take when nothing else is known. */
export const DEFAULT_CACHE_BYTES = { webgpu: 2 * 2 ** 30, wasm: 1 * 2 ** 30, cpu: 4 * 2 ** 30 } as const;

/**
 * Limits for batched rows: WebGPU's largest storage binding and buffer from the device ORT
 * created (one layer's keys for every row must fit one buffer), and a cap on all caches.
 */
export async function deviceLimits(device: Device, configured: Partial<MemoryLimits> = {}): Promise<MemoryLimits> {
  let maxBufferBytes = 2 ** 31 - 1; // the largest ArrayBuffer a 32-bit WASM heap or tensor copy can take
  if (device === 'webgpu') {
    const gpu = await Promise.race([
      (env.backends.onnx as { webgpu?: { device?: Promise<{ limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } }> } }).webgpu?.device,
      new Promise<undefined>((r) => setTimeout(r, 1000, undefined)),
    ]).catch(() => undefined);
    if (gpu) maxBufferBytes = Math.min(gpu.limits.maxBufferSize, gpu.limits.maxStorageBufferBindingSize);
  }
  return { maxBufferBytes: configured.maxBufferBytes ?? maxBufferBytes, maxCacheBytes: configured.maxCacheBytes ?? DEFAULT_CACHE_BYTES[device] };
}

export interface EngineInfo {
  readonly modelId: string;
  readonly device: Device;
  readonly dtype: Dtype;
  /** Positions a run may use: the model's declared length, or fewer when the device cannot hold it (contextFor). */
  readonly context: number;
  /** Why `context` is below the model's declared length, or null. */
  readonly contextNote: string | null;
  readonly ids: SpecialIds;
  /** The q8 graph quantizes activations row by row (its config.json says so: Q8_ROWS_KEY). */
  readonly q8PerRow: boolean;
}

/** Reads `<think>` and `</think>` from the tokenizer; a clear error when they are missing. */
export function thinkIdsFrom(tokenizer: PreTrainedTokenizer): Pick<SpecialIds, 'thinkOpen' | 'thinkClose'> {
  const single = (text: string): number | null => {
    const ids = tokenizer.encode(text, { add_special_tokens: false }) as number[];
    return ids.length === 1 ? ids[0]! : null;
  };
  const thinkClose = single('</think>');
  const thinkOpen = single('<think>');
  if (thinkClose === null || thinkOpen === null) {
    throw new Error(
      "This model's tokenizer has no single `<think>`/`</think>` tokens, so its thinking cannot be budgeted. Elastic Reasoning needs an R1-family reasoning model (E1, DeepScaleR, DeepSeek-R1-Distill).",
    );
  }
  return { thinkOpen, thinkClose };
}

/** The think ids and EOS (tokenizer first, then the model config); a clear error when one is missing. */
export function specialIdsFrom(tokenizer: PreTrainedTokenizer, eosFromConfig: unknown): SpecialIds {
  const think = thinkIdsFrom(tokenizer);
  const tokEos = (tokenizer as unknown as { eos_token_id?: number }).eos_token_id;
  const eos = typeof tokEos === 'number' ? tokEos : Array.isArray(eosFromConfig) ? (eosFromConfig[0] as number) : (eosFromConfig as number);
  if (typeof eos !== 'number') throw new Error("This model's tokenizer and config name no end-of-sentence token.");
  return { eos, ...think };
}

export class ElasticEngine {
  private constructor(
    readonly info: EngineInfo,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: Model,
    readonly ledger: TensorLedger,
    private readonly memory: Partial<MemoryLimits>,
    private readonly batching: LoadOptions['batching'],
  ) {}

  static async load(modelId: string, opts: LoadOptions): Promise<ElasticEngine> {
    const tokenizer = await AutoTokenizer.from_pretrained(modelId, { progress_callback: opts.progress as never });
    // Refuse a model without <think>/</think> before its weights reach the device.
    thinkIdsFrom(tokenizer);
    const model = (await AutoModelForCausalLM.from_pretrained(modelId, {
      ...opts.modelOptions,
      device: opts.device,
      dtype: opts.dtype,
      progress_callback: opts.progress as never,
      // Both may carry session options (the browser's external data, a probe's thread settings).
      ...(opts.sessionOptions ? { session_options: { ...(opts.modelOptions?.session_options as object | undefined), ...opts.sessionOptions } } : {}),
    })) as unknown as Model;
    const config = model.config as unknown as { max_position_embeddings?: number; eos_token_id?: unknown; [Q8_ROWS_KEY]?: unknown };
    let ids: SpecialIds;
    try {
      ids = specialIdsFrom(tokenizer, config.eos_token_id);
    } catch (e) {
      await model.dispose();
      throw e;
    }
    // A config from a link may declare any length: the context is what this device can hold.
    const declared = config.max_position_embeddings ?? 4096;
    const ledger = new TensorLedger();
    let layout: CacheLayout | null = null;
    try {
      layout = new TransformersBackend(model, ledger).layout;
    } catch {
      // no KV cache inputs: the first run says so
    }
    const { context, note } = layout ? contextFor(layout, await deviceLimits(opts.device, opts.memory), declared) : { context: declared, note: null };
    const q8PerRow = config[Q8_ROWS_KEY] === 'per-row';
    return new ElasticEngine({ modelId, device: opts.device, dtype: opts.dtype, context, contextNote: note, ids, q8PerRow }, tokenizer, model, ledger, opts.memory ?? {}, opts.batching);
  }

  /** Prompt ids: chat template with the generation prompt, `<think>\n` guaranteed at the end. */
  encodePrompt(problem: string, paperSuffix: boolean): number[] {
    const text = this.tokenizer.apply_chat_template([{ role: 'user', content: userMessage(problem, paperSuffix) }], {
      tokenize: false,
      add_generation_prompt: true,
    }) as string;
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }) as number[];
    const newline = this.tokenizer.encode('\n', { add_special_tokens: false }) as number[];
    return ensureThinkingOpen(ids, this.info.ids.thinkOpen, newline);
  }

  detokenize = (ids: readonly number[]): string => this.tokenizer.decode([...ids], { skip_special_tokens: true });

  /** A backend for one run, on the engine's model and tensor ledger. */
  backend(): TransformersBackend {
    return new TransformersBackend(this.model, this.ledger);
  }

  /**
   * How many rows per model call a run may take: all of them when their caches fit the device,
   * fewer down to the sequential order when not (or when the graph or the device gains nothing
   * from batching: sequentialReason); an error with the numbers when even that does not fit.
   */
  async planRun(req: RunSpec, backend: TransformersBackend = this.backend()): Promise<RunPlan> {
    const promptIds = this.encodePrompt(req.problem, req.paperSuffix);
    return this.planFor(promptIds.length, req.lanes.map((b) => resolveBudget(b, promptIds.length, this.info.context)), backend, traceOfLanes(req));
  }

  /** planRun for a prompt already encoded and budgets already resolved (run() has both). */
  private async planFor(
    promptLength: number,
    lanes: readonly { thinking: number; solution: number }[],
    backend: TransformersBackend,
    laneTrace: readonly number[],
  ): Promise<RunPlan> {
    // The longest row: prompt, thinking, `</think>`, solution, and a masked hole per cut at most.
    const positions = promptLength + Math.max(...lanes.map((l) => l.thinking)) + 1 + Math.max(...lanes.map((l) => l.solution)) + lanes.length;
    const limits = await deviceLimits(this.info.device, this.memory);
    const lanesPerTrace = laneTrace.reduce<number[]>((n, t) => ((n[t] = (n[t] ?? 0) + 1), n), []);
    const plan = planRows(backend.layout, limits, rowsWanted(lanesPerTrace), positions);
    if ('error' in plan) throw new DecodeError(plan.error);
    const because = backend.canBatch
      ? sequentialReason(this.info.device, this.info.dtype, this.batching, this.info.q8PerRow)
      : "this model's graph runs one row per call (it takes no attention mask and positions, or a fixed batch)";
    if (because === null || plan.maxRows === 1) return { ...plan, limits, sequentialBecause: null };
    return { ...plan, maxRows: 1, peakBytes: plan.peakBytes / plan.maxRows, limits, sequentialBecause: because };
  }

  async run(req: RunSpec, opts: Omit<DecodeOptions, 'detokenize'> = {}, backend = this.backend()): Promise<DecodeResult> {
    if (!req.problem.trim()) throw new DecodeError('The prompt is empty: type a problem first.');
    const promptIds = this.encodePrompt(req.problem, req.paperSuffix);
    const { context, ids } = this.info;
    const o = { ...opts, detokenize: this.detokenize, now: opts.now ?? (() => performance.now()) };
    try {
      if (req.forcedThinking) {
        const solution = req.lanes[0]?.solution ?? 0;
        return await recut(backend, { promptIds, prefix: req.forcedThinking, solution, sampling: req.sampling, ids, context }, o);
      }
      const request = {
        promptIds,
        lanes: req.lanes.map((b) => resolveBudget(b, promptIds.length, context)),
        sampling: req.sampling,
        ids,
        context,
        ...(req.laneSeeds ? { laneSeeds: req.laneSeeds } : {}),
      };
      // Budgets beyond the context get their own message before any memory arithmetic.
      const invalid = validateRequest(request);
      if (invalid) throw new DecodeError(this.info.contextNote ? `${invalid} (${this.info.contextNote})` : invalid);
      const plan = await this.planFor(promptIds.length, request.lanes, backend, traceOfLanes(request));
      return await decode(backend, request, { ...o, maxRows: Math.min(plan.maxRows, opts.maxRows ?? Infinity) });
    } finally {
      // Disposed tensors need no bookkeeping: keep the ledger to what is still alive.
      this.ledger.compact();
    }
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
