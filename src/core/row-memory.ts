// What a batched decode holds in KV cache, and how many rows per model call fit the device.
// Pure arithmetic on the model's cache layout: the engine supplies the layout and the limits.
//
// A call over r rows holds, at its peak, the rows' pasts as the previous call left them, the
// pasts gathered for this call (when the rows changed: a fork, a lane that ended) and the
// presents it returns: at most 3 × r row caches. Today's sequential order (one row per call)
// holds the trunk, a lane and the lane's present: 3 row caches as well, for r = 1.

export interface CacheLayout {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** 2 for a float16 cache, 4 for float32. */
  readonly bytesPerValue: number;
}

export interface MemoryLimits {
  /** Largest single buffer: one layer's keys for every row of a call (WebGPU maxStorageBufferBindingSize / maxBufferSize). */
  readonly maxBufferBytes: number;
  /** What every KV cache the run holds at once may take. */
  readonly maxCacheBytes: number;
}

export interface RowPlan {
  /** Rows per model call: every row of the sweep when batching fits, 1 for the sequential order. */
  readonly maxRows: number;
  /** Rows the sweep could run at once (the trunk and every lane). */
  readonly rowsWanted: number;
  /** Positions one row's cache can reach. */
  readonly positions: number;
  /** One row's cache at that length, all layers, keys and values. */
  readonly rowBytes: number;
  /** The most the run holds at once with `maxRows`. */
  readonly peakBytes: number;
}

const PEAK_ROWS_PER_ROW = 3;
const SWEEP_HOLES = 8;

export const rowCacheBytes = (l: CacheLayout, positions: number): number => l.layers * 2 * l.kvHeads * l.headDim * l.bytesPerValue * positions;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MB`;

/**
 * Rows a run can have at once: per trace (one per seed), its trunk and each of its lanes — or one
 * row when the trace has a single lane (the lane forks as the trunk ends).
 */
export const rowsWanted = (lanesPerTrace: readonly number[]): number => lanesPerTrace.reduce((a, n) => a + (n > 1 ? n + 1 : 1), 0);

/**
 * Rows per call for a run of `wanted` rows (rowsWanted) whose longest row reaches `positions`
 * positions (prompt, thinking, `</think>`, solution, and one masked hole per cut at most). An
 * error with the numbers when even the sequential order does not fit.
 */
export function planRows(layout: CacheLayout, limits: MemoryLimits, wanted: number, positions: number): RowPlan | { readonly error: string } {
  const rowsWanted = Math.max(1, wanted);
  const rowBytes = rowCacheBytes(layout, positions);
  const layerRowBytes = rowBytes / (layout.layers * 2);
  let maxRows = rowsWanted;
  while (maxRows > 0 && (PEAK_ROWS_PER_ROW * maxRows * rowBytes > limits.maxCacheBytes || maxRows * layerRowBytes > limits.maxBufferBytes)) maxRows--;
  if (maxRows === 0) {
    const need = PEAK_ROWS_PER_ROW * rowBytes;
    return {
      error:
        `This run needs ${mb(need)} of KV cache even one row at a time (${PEAK_ROWS_PER_ROW} caches of ${positions.toLocaleString()} positions × ` +
        `${layout.layers} layers × ${layout.kvHeads} KV heads × ${layout.headDim} × ${layout.bytesPerValue} bytes = ${mb(rowBytes)} each), ` +
        `but this device allows ${mb(limits.maxCacheBytes)}` +
        (layerRowBytes > limits.maxBufferBytes ? ` and buffers of ${mb(limits.maxBufferBytes)} (one layer needs ${mb(layerRowBytes)})` : '') +
        '. Lower the budgets.',
    };
  }
  return { maxRows, rowsWanted, positions, rowBytes, peakBytes: PEAK_ROWS_PER_ROW * maxRows * rowBytes };
}

const size = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : mb(bytes));

/**
 * The context a model may use on this device: its declared length (`max_position_embeddings`,
 * which a link may set to anything), or as many positions as one row's cache can reach in the
 * sequential order — the least any run holds (3 caches at its peak; one layer's keys in a buffer).
 * `note` says why, with the numbers, when it is fewer than declared.
 */
export function contextFor(layout: CacheLayout, limits: MemoryLimits, declared: number): { readonly context: number; readonly note: string | null } {
  const perPosition = rowCacheBytes(layout, 1);
  if (!(perPosition > 0)) return { context: declared, note: null }; // a layout the graph does not say: nothing to plan with
  const byCache = Math.floor(limits.maxCacheBytes / (PEAK_ROWS_PER_ROW * perPosition));
  const byBuffer = Math.floor(limits.maxBufferBytes / (perPosition / (layout.layers * 2)));
  // Room for the masked holes a sweep's cuts leave in a row (one per lane; lanes are at most 6).
  const fits = Math.max(1, Math.min(byCache, byBuffer) - SWEEP_HOLES);
  if (declared <= fits) return { context: declared, note: null };
  const need = PEAK_ROWS_PER_ROW * rowCacheBytes(layout, declared);
  const why =
    byCache <= byBuffer
      ? `the KV cache for ${declared.toLocaleString('en-US')} would need ${size(need)} (${PEAK_ROWS_PER_ROW} caches × ${layout.layers} layers × ${layout.kvHeads} KV heads × ${layout.headDim} × ${layout.bytesPerValue} bytes per position), this device allows ${size(limits.maxCacheBytes)}`
      : `one layer's keys for ${declared.toLocaleString('en-US')} positions would need a ${size(rowCacheBytes(layout, declared) / (layout.layers * 2))} buffer, this device allows ${size(limits.maxBufferBytes)}`;
  return { context: fits, note: `Context limited to ${fits.toLocaleString('en-US')} positions of the model's ${declared.toLocaleString('en-US')}: ${why}.` };
}

/** A run's plan as the user sees it: the rows, the device's limits, and why it batches or not. */
export interface RunPlan extends RowPlan {
  readonly limits: MemoryLimits;
  /** Set when the rows run one at a time although the memory would allow more: why. */
  readonly sequentialBecause: string | null;
}

/** One line for the user: what the plan holds, and whether the lanes share calls. */
export function describePlan(p: RowPlan): string {
  const how =
    p.maxRows >= p.rowsWanted
      ? p.rowsWanted > 1
        ? `${p.rowsWanted} rows per step`
        : 'one row'
      : p.maxRows === 1
        ? `one row per step (batching ${p.rowsWanted} rows would not fit)`
        : `${p.maxRows} of ${p.rowsWanted} rows per step (more would not fit)`;
  return `KV cache: up to ${mb(p.peakBytes)} (${how}; ${mb(p.rowBytes)} per row at ${p.positions.toLocaleString()} positions).`;
}

/**
 * The memory plan before a run, in two sentences: rows × cache per row against the device's limit,
 * then whether the rows decode together or one at a time, and why.
 */
export function explainPlan(p: RunPlan): { readonly memory: string; readonly order: string } {
  const rows = p.maxRows;
  const memory =
    `KV cache: ${rows} row${rows === 1 ? '' : 's'} × ${mb(p.rowBytes)} (one row at ${p.positions.toLocaleString()} positions) × ${PEAK_ROWS_PER_ROW} at the peak = ` +
    `${mb(p.peakBytes)}, of ${mb(p.limits.maxCacheBytes)} this device allows.`;
  let order: string;
  if (p.rowsWanted === 1) order = 'One row: nothing to batch.';
  else if (p.sequentialBecause) order = `Sequential, one row per step: ${p.sequentialBecause}.`;
  else if (p.maxRows >= p.rowsWanted) order = `Batched: all ${p.rowsWanted} rows (each trace and every lane in its solution) decode together, one step for all.`;
  else if (p.maxRows === 1) order = `Sequential, one row per step: batching ${p.rowsWanted} rows would need ${mb(PEAK_ROWS_PER_ROW * p.rowsWanted * p.rowBytes)}, more than the device allows.`;
  else order = `Partly batched: ${p.maxRows} of ${p.rowsWanted} rows per step (all ${p.rowsWanted} would need ${mb(PEAK_ROWS_PER_ROW * p.rowsWanted * p.rowBytes)}).`;
  return { memory, order };
}
