// The page's side of the converter worker, and the conversion intents: validate, record the
// event in the convert store, message the worker. The converter runs in its own module worker so
// a long conversion never blocks the model worker or the page.
import {
  cancelRequested,
  conversionRequested,
  convertMessageReceived,
  convertRejected,
  convertStore,
  convertWorkerLost,
  hubRepoChosen,
  planRequested,
  sourceFromState,
} from '../state/convert-store.ts';
import type { FromConvertWorker, PickedFile, ToConvertWorker } from '../worker/convert-protocol.ts';
import { modelInputEdited } from '../state/settings-store.ts';
import { requestLoad } from './actions.ts';
import { KeptWorker, type ReadyMessage } from './kept-worker.ts';

/**
 * The converter worker, kept alive like the model worker (kept-worker.ts): its death (crash, out
 * of memory, a silent close) ends the conversion in flight with a clear message, a fresh worker
 * takes over, and its first listing — under the conversion lock, so never while another tab
 * converts — removes what the dead one left: the unfinished model's files and OPFS staging.
 */
function startClient(): KeptWorker<ToConvertWorker, Exclude<FromConvertWorker, ReadyMessage>> {
  const kept: KeptWorker<ToConvertWorker, Exclude<FromConvertWorker, ReadyMessage>> = new KeptWorker({
    create: () => new Worker(new URL('../worker/convert.worker.ts', import.meta.url), { type: 'module', name: 'convert' }),
    label: 'The converter',
    onMessage: (m) => {
      convertMessageReceived(m);
      if (m.type === 'converted' && m.jobId === loadWhenConverted) {
        loadWhenConverted = null;
        loadConverted(m.model.modelId);
      }
    },
    onLost: (message) => {
      loadWhenConverted = null;
      convertWorkerLost(message);
      kept.send({ type: 'list' });
    },
  });
  return kept;
}

let client: KeptWorker<ToConvertWorker, Exclude<FromConvertWorker, ReadyMessage>> | null = null;
function convertClient() {
  client ??= startClient();
  return client;
}

/** Test hook (e2e): a real fault in the converter worker. */
export function injectConvertFault(fault: 'throw' | 'close'): void {
  convertClient().send({ type: 'testFault', fault });
}

let counter = 0;
const nextId = (kind: string) => `${kind}-${Date.now()}-${++counter}`;

/** Asks the worker what the conversion will download and store; returns an error when it cannot ask. */
export function requestPlan(): string | null {
  const s = convertStore.getState();
  if (s.status === 'converting' || s.status === 'cancelling') return 'A conversion is running.';
  if (s.dtypes.length === 0) return reject('Choose at least one weight format to produce.');
  const src = sourceFromState(s);
  if ('error' in src) return reject(src.error);
  const requestId = nextId('plan');
  planRequested(requestId);
  convertClient().send({ type: 'plan', requestId, source: src.source, dtypes: s.dtypes });
  return null;
}

/** Starts the conversion the current plan describes. */
export function requestConvert(): string | null {
  const s = convertStore.getState();
  if (s.status !== 'planned' || !s.plan) return reject('Check the source first: the app shows what it will download and store before converting.');
  if (s.plan.problem) return reject(s.plan.problem);
  const src = sourceFromState(s);
  if ('error' in src) return reject(src.error);
  // Persistent storage keeps the browser from evicting the converted model under storage
  // pressure. Window-only API (not in workers); the answer does not block the conversion.
  void navigator.storage?.persist?.().catch(() => false);
  const jobId = nextId('convert');
  conversionRequested(jobId);
  convertClient().send({ type: 'convert', jobId, source: src.source, dtypes: s.dtypes });
  return null;
}

/** The one-click conversion's job: its result loads as soon as it is stored. */
let loadWhenConverted: string | null = null;

/** One click for a model without a web build: plan its Hub repo's conversion (shown before anything is downloaded). */
export function requestOneClickPlan(repo: string): string | null {
  hubRepoChosen(repo);
  return requestPlan();
}

/** The user confirmed the plan: convert, then load, with no other step. */
export function requestOneClickConvert(): string | null {
  const err = requestConvert();
  if (!err) loadWhenConverted = convertStore.getState().jobId;
  return err;
}

export function requestCancel(): void {
  const s = convertStore.getState();
  if (s.status !== 'converting' || !s.jobId) return;
  cancelRequested();
  convertClient().send({ type: 'cancel', jobId: s.jobId });
}

export function requestStoredList(): void {
  convertClient().send({ type: 'list' });
}

export function requestRemove(modelId: string): void {
  convertClient().send({ type: 'remove', modelId });
}

/** Puts a converted model in the model field and loads it (the model worker reads it from the cache). */
export function loadConverted(modelId: string): string | null {
  modelInputEdited(modelId);
  return requestLoad();
}

/**
 * Files from <input type=file multiple> (names as they are) or a directory picker
 * (webkitRelativePath "<folder>/<file>": the folder becomes the name, the rest the path).
 */
export function pickedFromFiles(list: Iterable<File>): { name: string; files: PickedFile[] } {
  const files: PickedFile[] = [];
  let name = '';
  for (const f of list) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || '';
    const parts = rel.split('/').filter(Boolean);
    if (parts.length > 1) {
      name ||= parts[0]!;
      files.push({ path: parts.slice(1).join('/'), file: f });
    } else {
      files.push({ path: f.name, file: f });
    }
  }
  return { name: name || 'local-model', files };
}

function reject(message: string): string {
  convertRejected(message);
  return message;
}
