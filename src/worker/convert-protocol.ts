// Messages between the page and the converter worker (src/worker/convert.worker.ts): one union
// per direction, each payload tied to its `type`. Types only, and no imports: the page compiles
// this same file (tsconfig.app.json lists it) and imports it directly, as it does protocol.ts.

export type ConvertDtype = 'fp32' | 'q4' | 'q4f16' | 'q8';

/** One file the user picked (<input type=file multiple> or a directory picker). */
export interface PickedFile {
  /** Path relative to the model folder, e.g. "model-00001-of-00002.safetensors". */
  readonly path: string;
  readonly file: Blob;
}

export type ConvertSource =
  /** A Hugging Face Hub repo (Qwen2ForCausalLM safetensors), read with range requests. */
  | {
      readonly kind: 'hub';
      readonly repo: string;
      readonly revision: string;
      /** A Hub mirror on the app's own origin (a path such as /hub; tests), instead of huggingface.co. */
      readonly host?: string;
    }
  /** A folder at an http(s) URL, or a same-origin path such as /models/tiny-qwen2-src. */
  | { readonly kind: 'url'; readonly url: string }
  /** Files picked from the user's disk. */
  | { readonly kind: 'files'; readonly name: string; readonly files: readonly PickedFile[] };

export interface InputFile {
  readonly name: string;
  readonly bytes: number;
}

export interface StorageQuota {
  readonly usage: number;
  readonly quota: number;
}

/** What a conversion will download and store, known before it starts. */
export interface PlanSummary {
  /** The model id the result loads under, e.g. /converted/Salesforce/E1-Math-1.5B. */
  readonly modelId: string;
  readonly sourceLabel: string;
  readonly dtypes: readonly ConvertDtype[];
  readonly inputs: readonly InputFile[];
  readonly downloadBytes: number;
  /** Estimated bytes stored when done. */
  readonly storeBytes: number;
  /** Free space needed while converting (the result plus one staged file). */
  readonly neededBytes: number;
  readonly parameters: number;
  readonly quota: StorageQuota | null;
  /** Why the conversion cannot start (e.g. the quota is too small), or null. */
  readonly problem: string | null;
  /** A complete conversion is already stored under modelId (converting again replaces it). */
  readonly alreadyStored: boolean;
  /** Download rate measured while planning (one timed read from the source), or null when not measured. */
  readonly bytesPerSecond: number | null;
}

export type ConvertPhase = 'prepare' | 'inspect' | 'weights' | 'graph' | 'copy' | 'verify' | 'done';

export interface JobProgress {
  readonly phase: ConvertPhase;
  /** Tensor or file in progress. */
  readonly item: string | null;
  /** Bytes read from the source so far / expected. */
  readonly downloadedBytes: number;
  readonly downloadBytes: number;
  /** Checkpoint bytes quantized so far / in all (tied weights count twice). */
  readonly quantizedBytes: number;
  readonly quantizeBytes: number;
  /** Bytes written to storage so far / estimated. */
  readonly storedBytes: number;
  readonly storeBytes: number;
}

/** A conversion found in the browser's storage. */
export interface StoredModel {
  readonly modelId: string;
  readonly dtypes: readonly string[];
  readonly bytes: number;
  /** Problems found checking it against its manifest; a model with problems is not offered for loading. */
  readonly problems: readonly string[];
}

export type ToConvertWorker =
  | { readonly type: 'plan'; readonly requestId: string; readonly source: ConvertSource; readonly dtypes: readonly ConvertDtype[] }
  | { readonly type: 'convert'; readonly jobId: string; readonly source: ConvertSource; readonly dtypes: readonly ConvertDtype[] }
  | { readonly type: 'cancel'; readonly jobId: string }
  | { readonly type: 'list' }
  | { readonly type: 'remove'; readonly modelId: string }
  /** Test hook (e2e): a real fault in the converter worker, as a crash or an out-of-memory end would be. */
  | { readonly type: 'testFault'; readonly fault: 'throw' | 'close' };

export type FromConvertWorker =
  /** `lifeLock`: a Web Lock this worker holds until it ends, so the page notices a silent death at once. */
  | { readonly type: 'ready'; readonly lifeLock: string | null }
  | { readonly type: 'planned'; readonly requestId: string; readonly plan: PlanSummary }
  | { readonly type: 'planFailed'; readonly requestId: string; readonly message: string }
  | { readonly type: 'progress'; readonly jobId: string; readonly progress: JobProgress }
  | { readonly type: 'converted'; readonly jobId: string; readonly model: StoredModel; readonly seconds: number }
  | { readonly type: 'convertFailed'; readonly jobId: string; readonly message: string; readonly cancelled: boolean }
  | { readonly type: 'listed'; readonly models: readonly StoredModel[] }
  | { readonly type: 'removed'; readonly modelId: string; readonly bytesFreed: number }
  | { readonly type: 'storageFailed'; readonly message: string };

/** A Hub mirror must be a plain path on the app's origin: a link cannot point E1 at another server. */
export function isMirrorPath(p: string): boolean {
  return /^\/[A-Za-z0-9._~-][A-Za-z0-9._~/-]*$/.test(p) && !p.split('/').includes('..');
}

export function assertNeverConvert(x: never): never {
  throw new Error(`Unhandled message: ${JSON.stringify(x)}`);
}
