// The engine: transformers.js model + tokenizer behind the pure decode loop.
// This is the only module (with the worker entry) that touches transformers.js. It drives
// `model.forward()` itself — `generate()` ignores top_p and cannot fork a KV cache on WebGPU —
// and owns every tensor it feeds or receives: inputs are disposed right after each call, a
// cache's tensors when the loop releases its handle.
import { AutoModelForCausalLM, AutoTokenizer, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { DecodeError, decode, type DecodeBackend, type DecodeOptions, type DecodeResult, type ForwardResult } from '../core/decode.ts';
import { resolveBudget, type SpecialIds } from '../core/policy.ts';
import { ensureThinkingOpen, userMessage } from '../core/prompt.ts';
import { halfToFloat32 } from './fp16.ts';
import type { Device as BrowserDevice, Dtype, RunSpec } from './protocol.ts';

export interface KvCache {
  readonly tensors: Readonly<Record<string, Tensor>>;
  /** Positions the cache holds. */
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

const i64 = (values: readonly number[], dims: number[]) => new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);

export class TransformersBackend implements DecodeBackend<KvCache> {
  private readonly pastSpecs: { name: string; type: string; shape: (number | string)[] }[];
  private readonly keepsLogits: boolean;

  constructor(
    private readonly model: Model,
    readonly ledger: TensorLedger = new TensorLedger(),
  ) {
    const session = model.sessions['model'];
    if (!session) throw new Error('This model has no decoder session named "model".');
    this.pastSpecs = session.inputMetadata.filter((m: { name: string }) => m.name.startsWith('past_key_values.'));
    if (this.pastSpecs.length === 0) throw new Error('This model has no past_key_values inputs: it cannot reuse a KV cache.');
    this.keepsLogits = session.inputNames.includes('num_logits_to_keep');
  }

  private emptyCache(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const spec of this.pastSpecs) {
      const dims = spec.shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? 1 : 0));
      const data = spec.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      out[spec.name] = this.ledger.track(new Tensor(spec.type as 'float32', data as Float32Array, dims));
    }
    return out;
  }

  async forward(feed: readonly number[], past: KvCache | null): Promise<ForwardResult<KvCache>> {
    const pastLen = past?.length ?? 0;
    const n = feed.length;
    const total = pastLen + n;
    const created: Tensor[] = [
      i64(feed, [1, n]),
      i64(new Array<number>(total).fill(1), [1, total]),
      i64(Array.from({ length: n }, (_, i) => pastLen + i), [1, n]),
    ];
    const [input_ids, attention_mask, position_ids] = created as [Tensor, Tensor, Tensor];
    const inputs: Record<string, unknown> = { input_ids, attention_mask, position_ids };
    if (this.keepsLogits) {
      // Only the last position's logits are needed, also during prefill.
      const keep = new Tensor('int64', BigInt64Array.from([1n]), []);
      created.push(keep);
      inputs['num_logits_to_keep'] = keep;
    }
    let pastTensors = past?.tensors;
    if (!pastTensors) {
      pastTensors = this.emptyCache();
      created.push(...Object.values(pastTensors));
    }
    inputs['past_key_values'] = pastTensors;
    for (const t of created) this.ledger.track(t);

    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.model.forward(inputs);
    } finally {
      for (const t of created) t.dispose();
    }
    const present: Record<string, Tensor> = {};
    let logits: Float32Array | null = null;
    for (const [name, t] of Object.entries(outputs)) {
      this.ledger.track(t);
      if (name.startsWith('present.')) {
        present[name.replace('present.', 'past_key_values.')] = t;
      } else {
        if (name === 'logits') logits = lastRow(t);
        t.dispose();
      }
    }
    if (!logits) throw new Error('The model returned no logits.');
    return { logits, cache: { tensors: present, length: total } };
  }

  release(cache: KvCache): void {
    for (const t of Object.values(cache.tensors)) t.dispose();
  }
}

function lastRow(t: Tensor): Float32Array {
  const dims = t.dims;
  const vocab = dims[dims.length - 1]!;
  const rows = t.data.length / vocab;
  const start = (rows - 1) * vocab;
  const data = t.data as unknown;
  if (data instanceof Float32Array) return data.slice(start, start + vocab);
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
}

export interface EngineInfo {
  readonly modelId: string;
  readonly device: Device;
  readonly dtype: Dtype;
  readonly context: number;
  readonly ids: SpecialIds;
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
  ) {}

  static async load(modelId: string, opts: LoadOptions): Promise<ElasticEngine> {
    const tokenizer = await AutoTokenizer.from_pretrained(modelId, { progress_callback: opts.progress as never });
    // Refuse a model without <think>/</think> before its weights reach the device.
    thinkIdsFrom(tokenizer);
    const model = (await AutoModelForCausalLM.from_pretrained(modelId, {
      device: opts.device,
      dtype: opts.dtype,
      progress_callback: opts.progress as never,
    })) as unknown as Model;
    const config = model.config as unknown as { max_position_embeddings?: number; eos_token_id?: unknown };
    let ids: SpecialIds;
    try {
      ids = specialIdsFrom(tokenizer, config.eos_token_id);
    } catch (e) {
      await model.dispose();
      throw e;
    }
    const context = config.max_position_embeddings ?? 4096;
    return new ElasticEngine({ modelId, device: opts.device, dtype: opts.dtype, context, ids }, tokenizer, model, new TensorLedger());
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

  async run(req: RunSpec, opts: Omit<DecodeOptions, 'detokenize'> = {}, backend = this.backend()): Promise<DecodeResult> {
    if (!req.problem.trim()) throw new DecodeError('The prompt is empty: type a problem first.');
    const promptIds = this.encodePrompt(req.problem, req.paperSuffix);
    try {
      return await decode(
      backend,
      { promptIds, lanes: req.lanes.map((b) => resolveBudget(b, promptIds.length, this.info.context)), sampling: req.sampling, ids: this.info.ids, context: this.info.context },
        { ...opts, detokenize: this.detokenize, now: opts.now ?? (() => performance.now()) },
      );
    } finally {
      // Disposed tensors need no bookkeeping: keep the ledger to what is still alive.
      this.ledger.compact();
    }
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
