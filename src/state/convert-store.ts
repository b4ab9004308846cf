// In-browser conversion state (source, plan, progress, stored conversions). Actions are named after
// what happened; messages from the converter worker go through `convertMessageReceived`.
import { createStore } from 'zustand/vanilla';
import {
  assertNeverConvert,
  isMirrorPath,
  type ConvertDtype,
  type ConvertSource,
  type FromConvertWorker,
  type JobProgress,
  type PickedFile,
  type PlanSummary,
  type StoredModel,
} from '../worker/convert-protocol.ts';

export type ConvertStatus = 'idle' | 'planning' | 'planned' | 'converting' | 'cancelling' | 'done' | 'error';

export interface ConvertState {
  /** What the user typed: a Hub repo id (owner/name), a folder URL, or a same-origin path. */
  readonly sourceText: string;
  readonly revision: string;
  /** Files picked from disk; when set, they are the source (the text is ignored). */
  readonly picked: { readonly name: string; readonly files: readonly PickedFile[] } | null;
  readonly dtypes: readonly ConvertDtype[];
  readonly status: ConvertStatus;
  readonly requestId: string | null;
  readonly plan: PlanSummary | null;
  readonly jobId: string | null;
  readonly progress: JobProgress | null;
  readonly error: string | null;
  /** Conversions stored in this browser (null until listed). */
  readonly stored: readonly StoredModel[] | null;
  readonly lastConverted: { readonly modelId: string; readonly seconds: number } | null;
  readonly message: string | null;
  /** A Hub mirror path on this origin (?hub=/path; tests), or null for huggingface.co. */
  readonly hubHost: string | null;
}

const initial: ConvertState = {
  sourceText: '',
  revision: 'main',
  picked: null,
  dtypes: ['q4'],
  status: 'idle',
  requestId: null,
  plan: null,
  jobId: null,
  progress: null,
  error: null,
  stored: null,
  lastConverted: null,
  message: null,
  hubHost: null,
};

export const convertStore = createStore<ConvertState>(() => initial);

export function resetConvertStore(): void {
  convertStore.setState(initial, true);
}

const busy = (s: ConvertState) => s.status === 'converting' || s.status === 'cancelling';

/** Editing the source or the dtypes invalidates a plan (not a running conversion). */
function edited(patch: Partial<ConvertState>): void {
  const s = convertStore.getState();
  if (busy(s)) convertStore.setState(patch);
  else convertStore.setState({ ...patch, status: 'idle', plan: null, requestId: null, error: null });
}

const HUB_REPO = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** The source the controls describe, or what is wrong with them. */
export function sourceFromState(s: Pick<ConvertState, 'sourceText' | 'revision' | 'picked'> & { hubHost?: string | null }): { source: ConvertSource } | { error: string } {
  if (s.picked) {
    if (s.picked.files.length === 0) return { error: 'No files were picked.' };
    return { source: { kind: 'files', name: s.picked.name, files: s.picked.files } };
  }
  const t = s.sourceText.trim();
  if (!t) return { error: 'Enter a Hub repo (owner/name), a folder URL, or pick files.' };
  const hubUrl = /^https?:\/\/(?:www\.)?(?:huggingface\.co|hf\.co)\/([^/?#]+\/[^/?#]+)\/?$/i.exec(t);
  if (hubUrl) return { source: { kind: 'hub', repo: hubUrl[1]!, revision: s.revision.trim() || 'main' } };
  if (/^https?:\/\//i.test(t) || t.startsWith('/')) return { source: { kind: 'url', url: t } };
  if (HUB_REPO.test(t)) return { source: { kind: 'hub', repo: t, revision: s.revision.trim() || 'main', ...(s.hubHost ? { host: s.hubHost } : {}) } };
  return { error: `"${t}" is not a Hub repo id (owner/name), an http(s) URL, or a path starting with /.` };
}

// ---- user events ---------------------------------------------------------------------------------

/** The page was opened with a Hub mirror on this origin (only same-origin paths are taken). */
export function hubMirrorChosen(path: string): void {
  if (isMirrorPath(path)) convertStore.setState({ hubHost: path });
}

/** One-click conversion of a known Hub repo: the source is that repo at main, nothing picked. */
export function hubRepoChosen(repo: string): void {
  edited({ sourceText: repo, revision: 'main', picked: null });
}

export function sourceTextEdited(sourceText: string): void {
  edited({ sourceText, picked: null });
}

export function revisionEdited(revision: string): void {
  edited({ revision });
}

export function filesPicked(name: string, files: readonly PickedFile[]): void {
  edited({ picked: files.length ? { name, files } : null });
}

export function pickedFilesCleared(): void {
  edited({ picked: null });
}

export function dtypeToggled(dtype: ConvertDtype, on: boolean): void {
  const s = convertStore.getState();
  const set = new Set(s.dtypes);
  if (on) set.add(dtype);
  else set.delete(dtype);
  const order: ConvertDtype[] = ['q4f16', 'q4', 'q8', 'fp32'];
  edited({ dtypes: order.filter((d) => set.has(d)) });
}

/** The default dtype once the GPU is known (q4f16 needs shader-f16), unless the user chose. */
export function gpuKnown(shaderF16: boolean): void {
  const s = convertStore.getState();
  if (s.status === 'idle' && !s.plan && s.dtypes.length === 1 && s.dtypes[0] === 'q4' && shaderF16) convertStore.setState({ dtypes: ['q4f16'] });
}

/** The user declined a plan: back to the start, nothing downloaded. */
export function planDismissed(): void {
  const s = convertStore.getState();
  if (s.status === 'planned' || s.status === 'error') convertStore.setState({ status: 'idle', plan: null, requestId: null, error: null });
}

export function planRequested(requestId: string): void {
  convertStore.setState({ status: 'planning', requestId, plan: null, error: null, message: null });
}

/** A request the page refused before asking the worker (bad source, no dtype, ...). */
export function convertRejected(message: string): void {
  const s = convertStore.getState();
  convertStore.setState({ error: message, status: busy(s) ? s.status : 'error' });
}

export function conversionRequested(jobId: string): void {
  convertStore.setState({ status: 'converting', jobId, progress: null, error: null, message: null, lastConverted: null });
}

export function cancelRequested(): void {
  const s = convertStore.getState();
  if (s.status === 'converting') convertStore.setState({ status: 'cancelling' });
}

// ---- worker events -------------------------------------------------------------------------------

/**
 * The converter worker died (crash, out of memory, a silent close); a fresh one is running. A
 * conversion or a plan in flight ends here with what happened and what to do; the rest is kept.
 */
export function convertWorkerLost(message: string): void {
  const s = convertStore.getState();
  if (busy(s)) {
    const what = s.plan ? `The conversion of ${s.plan.modelId}` : 'The conversion';
    convertStore.setState({
      status: 'error',
      progress: null,
      error: `${message} ${what} ended; nothing partial is kept (its files are removed) and other converted models are untouched. Convert again to start over.`,
    });
  } else if (s.status === 'planning') {
    convertStore.setState({ status: 'error', plan: null, error: `${message} Check the source again.` });
  }
}

export function convertMessageReceived(m: FromConvertWorker): void {
  const s = convertStore.getState();
  switch (m.type) {
    case 'ready':
      return;
    case 'planned':
      if (m.requestId !== s.requestId || s.status !== 'planning') return;
      convertStore.setState({ status: 'planned', plan: m.plan, error: null });
      return;
    case 'planFailed':
      if (m.requestId !== s.requestId || s.status !== 'planning') return;
      convertStore.setState({ status: 'error', plan: null, error: m.message });
      return;
    case 'progress':
      if (m.jobId !== s.jobId || !busy(s)) return;
      convertStore.setState({ progress: m.progress });
      return;
    case 'converted': {
      if (m.jobId !== s.jobId) return;
      const stored = [...(s.stored ?? []).filter((x) => x.modelId !== m.model.modelId), m.model].sort((a, b) => a.modelId.localeCompare(b.modelId));
      convertStore.setState({ status: 'done', stored, lastConverted: { modelId: m.model.modelId, seconds: m.seconds }, plan: null, error: null });
      return;
    }
    case 'convertFailed':
      if (m.jobId !== s.jobId) return;
      convertStore.setState({ status: 'error', error: m.message, progress: null });
      return;
    case 'listed':
      convertStore.setState({ stored: m.models });
      return;
    case 'removed':
      convertStore.setState({
        stored: (s.stored ?? []).filter((x) => x.modelId !== m.modelId),
        message: `Removed ${m.modelId} (${(m.bytesFreed / 1e6).toFixed(1)} MB freed).`,
        lastConverted: s.lastConverted?.modelId === m.modelId ? null : s.lastConverted,
      });
      return;
    case 'storageFailed':
      convertStore.setState({ message: m.message });
      return;
    default:
      assertNeverConvert(m);
  }
}

/** One line for the progress display. */
export function progressSummary(p: JobProgress): { label: string; value: number; max: number } {
  switch (p.phase) {
    case 'prepare':
      return { label: 'Preparing…', value: 0, max: 1 };
    case 'inspect':
      return { label: 'Reading config.json and the safetensors headers…', value: 0, max: 1 };
    case 'weights':
      return { label: `Downloading and quantizing ${p.item ?? ''}`.trim(), value: p.quantizedBytes, max: Math.max(1, p.quantizeBytes) };
    case 'graph':
      return { label: `Writing ${p.item ?? 'the graph'}`, value: p.quantizedBytes, max: Math.max(1, p.quantizeBytes) };
    case 'copy':
      return { label: `Copying ${p.item ?? 'tokenizer files'}`, value: p.quantizedBytes, max: Math.max(1, p.quantizeBytes) };
    case 'verify':
      return { label: 'Checking the stored files…', value: 1, max: 1 };
    case 'done':
      return { label: 'Done', value: 1, max: 1 };
  }
}
