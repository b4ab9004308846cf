// Converter worker entry: routes messages to ConvertHost, nothing else. The handler is installed
// before anything is awaited (a module worker that awaits first loses the page's first message).
import { whileHeld, type Locks } from '../core/exclusive.ts';
import { ConvertHost } from './convert-host.ts';
import { announceReady } from './life-lock.ts';
import { CONVERTED_CACHE } from './convert-keys.ts';
import type { FromConvertWorker, ToConvertWorker } from './convert-protocol.ts';
import { openSource } from './convert-sources.ts';
import { CONVERT_LOCK, blobStager, opfsStager, type OpfsDirectory } from './convert-storage.ts';

const post = (m: FromConvertWorker) => self.postMessage(m);
const fetchFn = (input: string, init?: RequestInit) => fetch(input, init);

const host = new ConvertHost({
  post,
  openSource: (source) => openSource(fetchFn, source, self.location.origin),
  openCache: () => caches.open(CONVERTED_CACHE),
  origin: self.location.origin,
  stager: async () => {
    // OPFS keeps each staged file on disk; without it (old browsers), Blobs.
    const getDirectory = (navigator.storage as { getDirectory?: () => Promise<unknown> } | undefined)?.getDirectory;
    if (!getDirectory) return blobStager();
    try {
      return opfsStager((await getDirectory.call(navigator.storage)) as OpfsDirectory);
    } catch {
      return blobStager();
    }
  },
  estimate: async () => {
    const e = await navigator.storage?.estimate?.();
    return e && typeof e.quota === 'number' ? { usage: e.usage ?? 0, quota: e.quota } : null;
  },
  now: () => performance.now(),
  exclusive: async (fn) => (await whileHeld((navigator as Navigator & { locks?: Locks }).locks, CONVERT_LOCK, fn)).held,
});

self.onmessage = (e: MessageEvent<ToConvertWorker>) => {
  if (e.data.type === 'testFault') return fault(e.data.fault);
  void host.handle(e.data);
};

function fault(f: 'throw' | 'close'): void {
  if (f === 'close') return self.close();
  setTimeout(() => {
    throw new Error('Test fault: the converter worker crashed.');
  });
}

announceReady('convert-worker', post);
