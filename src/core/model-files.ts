// The files transformers.js 4.x fetches for a causal LM in a dtype: the graph, its external data
// chunks (as many as config.json's transformers.js_config.use_external_data_format says), config
// and tokenizer. Pure: shared by the page (sizing before a load) and the model worker.

/** The dtypes transformers.js maps to file suffixes (DEFAULT_DTYPE_SUFFIX_MAPPING). */
export type ModelDtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'q8';

/** The graph file for `dtype` (q8 is "_quantized"), relative to the model folder. */
export const onnxFile = (dtype: ModelDtype) => `onnx/model${dtype === 'fp32' ? '' : dtype === 'q8' ? '_quantized' : `_${dtype}`}.onnx`;

/** External data file names of a graph: `<graph>_data`, `<graph>_data_1`, … (relative to the graph's folder). */
export const dataFileNames = (graph: string, chunks: number) => Array.from({ length: chunks }, (_, i) => `${graph}_data${i === 0 ? '' : `_${i}`}`);

/**
 * The files transformers.js fetches for a causal LM in `dtype`, the external data as `chunks`
 * files (a folder without them is sized without them).
 */
export function filesFor(dtype: ModelDtype, chunks = 1): string[] {
  const graph = onnxFile(dtype);
  return ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', graph, ...dataFileNames(graph, chunks)];
}

/**
 * The external data files config.json announces for `dtype`: `file` relative to the model folder
 * (its URL, its cache key), `name` relative to the graph (the `location` its initializers give);
 * null when it announces none.
 */
export function announcedDataFiles(config: unknown, dtype: ModelDtype): { readonly file: string; readonly name: string }[] | null {
  const chunks = announcedChunks(config, dtype);
  if (!chunks) return null;
  const graph = onnxFile(dtype);
  const folder = graph.slice(0, graph.lastIndexOf('/') + 1);
  return dataFileNames(graph.slice(folder.length), chunks).map((name) => ({ file: `${folder}${name}`, name }));
}

/**
 * The external data count config.json announces for `dtype` (transformers.js_config.
 * use_external_data_format), or null when it says nothing: transformers.js then fetches none.
 */
export function announcedChunks(config: unknown, dtype: ModelDtype): number | null {
  const f = (config as { 'transformers.js_config'?: { use_external_data_format?: unknown } } | null)?.['transformers.js_config']?.use_external_data_format;
  const graph = onnxFile(dtype).slice('onnx/'.length);
  const v = f !== null && typeof f === 'object' ? ((f as Record<string, unknown>)[graph] ?? (f as Record<string, unknown>).model) : f;
  const n = v === true ? 1 : v === false ? 0 : typeof v === 'number' ? v : null;
  return n !== null && Number.isInteger(n) && n >= 0 && n <= 100 ? n : null;
}
