// Converter worker entry: routes messages to ConvertHost, nothing else. The handler is installed
// before anything is awaited (a module worker that awaits first loses the page's first message).
import { ConvertHost } from './convert-host.ts';
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
  exclusive: async (fn) => {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) return (await fn(), true);
    return locks.request(CONVERT_LOCK, { ifAvailable: true }, async (lock) => {
      if (!lock) return false;
      await fn();
      return true;
    });
  },
});

self.onmessage = (e: MessageEvent<ToConvertWorker>) => {
  void host.handle(e.data);
};
post({ type: 'ready' });
