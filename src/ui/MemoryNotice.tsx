// Before a load: the model's files and the memory loading takes at peak, with a warning when the
// device reports less memory (or the site less storage) than that. Figures: src/core/memory-need.ts.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { requestMemoryCheck } from '../app/memory-check.ts';
import { modelStore } from '../state/model-store.ts';
import { settingsStore } from '../state/settings-store.ts';
import { formatBytes } from './format.ts';

/** `input`: the model that the Load button would load (the model field, or a preset's converted copy). */
export function MemoryNotice({ input }: { input: string }) {
  const device = useStore(settingsStore, (s) => s.device);
  const dtype = useStore(settingsStore, (s) => s.dtype);
  const probe = useStore(modelStore, (s) => s.probe);
  const need = useStore(modelStore, (s) => s.memory?.need ?? null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: device, dtype and the probe change what is sized
  useEffect(() => requestMemoryCheck(input), [input, device, dtype, probe]);
  if (!need) return null;
  const reports =
    need.deviceMemoryBytes === null
      ? 'This browser does not report the device’s memory.'
      : `This device reports ${formatBytes(need.deviceMemoryBytes)} of memory${need.deviceMemoryBytes >= 8 * 2 ** 30 ? ' or more' : ''}.`;
  return (
    <div className="note memory-notice" data-testid="memory-notice">
      <p>
        Loading needs <strong data-testid="memory-files">{formatBytes(need.filesBytes)}</strong> of files ({need.files}) and about{' '}
        <strong data-testid="memory-peak">{formatBytes(need.peakBytes)}</strong> of memory at its peak ({need.factor}× the files, as measured
        on {need.device === 'wasm' ? 'WASM' : 'WebGPU'}
        {need.storageShort ? ' when the files cannot all be kept and load through memory' : ''}). {reports}
      </p>
      {need.memoryShort && need.deviceMemoryBytes !== null && (
        <p className="warning" role="alert" data-testid="memory-warning">
          This device reports less memory ({formatBytes(need.deviceMemoryBytes)}) than loading needs at its peak: the tab may run out of
          memory or slow the whole system. Close other tabs first, or choose smaller weights.
        </p>
      )}
      {need.storageShort && need.storageFreeBytes !== null && (
        <p className="warning" role="alert" data-testid="storage-warning">
          The browser offers this site {formatBytes(Math.max(0, need.storageFreeBytes))} of storage, less than the files: they may not all
          be kept for the next visit.
        </p>
      )}
    </div>
  );
}
