// The convert store: source parsing, event flow, stale worker messages ignored.
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobProgress, PlanSummary, StoredModel } from '../src/worker/convert-protocol.ts';
import {
  cancelRequested,
  conversionRequested,
  convertMessageReceived,
  convertRejected,
  convertStore,
  dtypeToggled,
  filesPicked,
  gpuKnown,
  planRequested,
  progressSummary,
  resetConvertStore,
  sourceFromState,
  sourceTextEdited,
} from '../src/state/convert-store.ts';

const PLAN: PlanSummary = {
  modelId: '/converted/Salesforce/E1-Math-1.5B',
  sourceLabel: 'Salesforce/E1-Math-1.5B (Hugging Face Hub)',
  dtypes: ['q4'],
  inputs: [{ name: 'config.json', bytes: 700 }],
  downloadBytes: 7e9,
  storeBytes: 1.9e9,
  neededBytes: 3e9,
  parameters: 1.78e9,
  quota: { usage: 0, quota: 1e11 },
  problem: null,
  alreadyStored: false,
};
const MODEL: StoredModel = { modelId: PLAN.modelId, dtypes: ['q4'], bytes: 1.9e9, problems: [] };
const PROGRESS: JobProgress = { phase: 'weights', item: 'model.embed_tokens.weight', downloadedBytes: 10, downloadBytes: 100, quantizedBytes: 5, quantizeBytes: 50, storedBytes: 3, storeBytes: 30 };

describe('convert store', () => {
  beforeEach(resetConvertStore);

  it('reads the source field as a Hub repo, a Hub URL, a folder URL or a path', () => {
    const src = (t: string) => sourceFromState({ sourceText: t, revision: 'main', picked: null });
    expect(src('Salesforce/E1-Math-1.5B')).toEqual({ source: { kind: 'hub', repo: 'Salesforce/E1-Math-1.5B', revision: 'main' } });
    expect(src('https://huggingface.co/Salesforce/E1-Math-1.5B')).toEqual({ source: { kind: 'hub', repo: 'Salesforce/E1-Math-1.5B', revision: 'main' } });
    expect(src('/models/tiny-qwen2-src')).toEqual({ source: { kind: 'url', url: '/models/tiny-qwen2-src' } });
    expect(src('https://example.org/m/e1')).toEqual({ source: { kind: 'url', url: 'https://example.org/m/e1' } });
    expect(src('')).toHaveProperty('error');
    expect(src('not a repo')).toEqual({ error: expect.stringContaining('is not a Hub repo id') });
    const file = new Blob(['{}']);
    expect(sourceFromState({ sourceText: 'x/y', revision: 'main', picked: { name: 'm', files: [{ path: 'config.json', file }] } })).toEqual({
      source: { kind: 'files', name: 'm', files: [{ path: 'config.json', file }] },
    });
  });

  it('plan → convert → progress → converted; stale messages are ignored', () => {
    sourceTextEdited('Salesforce/E1-Math-1.5B');
    planRequested('p1');
    convertMessageReceived({ type: 'planned', requestId: 'p0', plan: { ...PLAN, modelId: 'old' } });
    expect(convertStore.getState()).toMatchObject({ status: 'planning', plan: null });
    convertMessageReceived({ type: 'planned', requestId: 'p1', plan: PLAN });
    expect(convertStore.getState()).toMatchObject({ status: 'planned', plan: PLAN });
    conversionRequested('j1');
    convertMessageReceived({ type: 'progress', jobId: 'j0', progress: { ...PROGRESS, item: 'stale' } });
    convertMessageReceived({ type: 'progress', jobId: 'j1', progress: PROGRESS });
    expect(convertStore.getState()).toMatchObject({ status: 'converting', progress: PROGRESS });
    // Editing during a conversion does not reset it.
    sourceTextEdited('other/repo');
    expect(convertStore.getState().status).toBe('converting');
    convertMessageReceived({ type: 'converted', jobId: 'j1', model: MODEL, seconds: 12 });
    expect(convertStore.getState()).toMatchObject({ status: 'done', stored: [MODEL], lastConverted: { modelId: MODEL.modelId, seconds: 12 } });
    convertMessageReceived({ type: 'removed', modelId: MODEL.modelId, bytesFreed: 1.9e9 });
    expect(convertStore.getState()).toMatchObject({ stored: [], lastConverted: null, message: expect.stringContaining('1900.0 MB freed') });
  });

  it('failures and cancel', () => {
    planRequested('p1');
    convertMessageReceived({ type: 'planFailed', requestId: 'p1', message: 'Bad checkpoint: x: truncated' });
    expect(convertStore.getState()).toMatchObject({ status: 'error', error: 'Bad checkpoint: x: truncated' });
    // A new edit clears the error and the plan.
    sourceTextEdited('a/b');
    expect(convertStore.getState()).toMatchObject({ status: 'idle', error: null, plan: null });
    conversionRequested('j1');
    cancelRequested();
    expect(convertStore.getState().status).toBe('cancelling');
    convertMessageReceived({ type: 'convertFailed', jobId: 'j1', message: 'Conversion cancelled; nothing was kept.', cancelled: true });
    expect(convertStore.getState()).toMatchObject({ status: 'error', error: 'Conversion cancelled; nothing was kept.', progress: null });
    convertRejected('Choose at least one weight format to produce.');
    expect(convertStore.getState().error).toBe('Choose at least one weight format to produce.');
  });

  it('dtypes: toggles keep a fixed order; q4f16 becomes the default on a shader-f16 GPU', () => {
    gpuKnown(true);
    expect(convertStore.getState().dtypes).toEqual(['q4f16']);
    dtypeToggled('q4', true);
    dtypeToggled('fp32', true);
    dtypeToggled('q4f16', false);
    expect(convertStore.getState().dtypes).toEqual(['q4', 'fp32']);
    gpuKnown(true); // the user chose: unchanged
    expect(convertStore.getState().dtypes).toEqual(['q4', 'fp32']);
    filesPicked('m', []);
    expect(convertStore.getState().picked).toBeNull();
  });

  it('progress summary', () => {
    expect(progressSummary(PROGRESS)).toEqual({ label: 'Downloading and quantizing model.embed_tokens.weight', value: 5, max: 50 });
    expect(progressSummary({ ...PROGRESS, phase: 'verify' }).label).toMatch(/Checking/);
  });
});
