// The models the app offers. Pure data.

export interface ModelPreset {
  readonly key: string;
  readonly label: string;
  readonly modelId: string;
  /** False when no transformers.js (ONNX) build exists to load. */
  readonly webReady: boolean;
  readonly note: string;
  /**
   * Without a web build: the id its one-click conversion in this browser loads under
   * (convert-keys' convertedIdFor of the Hub repo; a test checks they agree).
   */
  readonly convertedId?: string;
}

export const E1_MISSING =
  'No ONNX (web-ready) build of Salesforce/E1-Math-1.5B is published, so this browser converts it once: one download of the safetensors checkpoint, quantized here; ' +
  'the result stays in this browser\'s storage and loads offline afterwards. DeepScaleR-1.5B-Preview — the model E1 was trained from and the paper\'s baseline — loads directly.';

export const E1_REPO = 'Salesforce/E1-Math-1.5B';

export const MODEL_PRESETS: readonly ModelPreset[] = [
  { key: 'e1', label: 'E1-Math-1.5B (Salesforce)', modelId: E1_REPO, webReady: false, note: E1_MISSING, convertedId: `/converted/${E1_REPO}` },
  {
    key: 'deepscaler',
    label: 'DeepScaleR-1.5B-Preview (paper baseline)',
    modelId: 'onnx-community/DeepScaleR-1.5B-Preview-ONNX',
    webReady: true,
    note: 'About 1.1 GB (q4f16) to download once; cached for later visits.',
  },
  {
    key: 'r1-distill',
    label: 'DeepSeek-R1-Distill-Qwen-1.5B',
    modelId: 'onnx-community/DeepSeek-R1-Distill-Qwen-1.5B-ONNX',
    webReady: true,
    note: 'About 1.1 GB (q4f16) to download once; cached for later visits.',
  },
];

/** Generated test models, served by the app in development and tests. */
export const TEST_MODEL_IDS = ['/models/scripted-think48', '/models/scripted-never-close', '/models/scripted-eos-in-thinking'] as const;

/** Paper presets: t ∈ {512, 1024, 2048, 3072} with s = 1024, and unlimited thinking. */
export const BUDGET_PRESETS: readonly { readonly label: string; readonly t: number | 'unlimited'; readonly s: number }[] = [
  { label: 't 512 · s 1024', t: 512, s: 1024 },
  { label: 't 1024 · s 1024', t: 1024, s: 1024 },
  { label: 't 2048 · s 1024', t: 2048, s: 1024 },
  { label: 't 3072 · s 1024', t: 3072, s: 1024 },
  { label: 'unlimited · s 1024', t: 'unlimited', s: 1024 },
];

/** The preset a model field names: its Hub id, or the id its conversion loads under. */
export function presetFor(modelInput: string): ModelPreset | null {
  const m = modelInput.trim().toLowerCase();
  return MODEL_PRESETS.find((p) => p.modelId.toLowerCase() === m || p.convertedId?.toLowerCase() === m) ?? null;
}

/** Whether `input` can be loaded as it is (a preset without a web build loads only its conversion). */
export function loadableAsIs(input: string): boolean {
  const p = presetFor(input);
  return !p || p.webReady || p.convertedId?.toLowerCase() === input.trim().toLowerCase();
}
