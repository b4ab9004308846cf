// The model's external data (the weights, `<graph>_data[_N]`) handed to onnxruntime-web as Blobs
// from Cache Storage, instead of the Uint8Arrays transformers.js 4.3.1 would make (issue 14).
//
// Where the copies came from (transformers.js' own path, measured in bench/README.md, item memory):
// each data file is read whole into a Uint8Array (readResponse), written to Cache Storage as
// `new Response(thatArray)` (the browser copies it again to store it), and passed to ORT in
// session_options.externalData; ORT mounts them all and copies every tensor into its WASM heap
// (or uploads it to the GPU) while the session is created, with every file still alive in JS.
//
// Here, when every data file is already in Cache Storage (an in-browser conversion, or any later
// visit), ORT gets the cached Responses' Blobs — disk-backed in Chromium — instead. onnxruntime-web's
// JSPI build mounts a Blob as it is and reads each tensor's slice when the session copies it
// (Blob.slice().stream()), so no whole file is ever in JS memory; its asyncify build reads the Blob
// whole (blob.arrayBuffer()), which still saves transformers.js' copy. transformers.js passes
// non-string `externalData` entries through unchanged when `use_external_data_format` is false
// (src/utils/model-loader.js getModelDataFiles): that is the hook used.
//
// Measured (tools/bench/worker-memory.ts, 625 MB of q8 files, Chromium 150): a load from Cache
// Storage peaks at 3.02x the files instead of 3.83x (renderer 1,268 vs 1,821 MB). ORT's JSPI build
// keeps one read buffer of the largest tensor until the next GC after the load (241 MB here).
//
// A first download is streamed into Cache Storage first (download-to-cache.ts), so it takes this
// path too; only a file that could not be streamed there goes through transformers.js.
import { announcedDataFiles, type ModelDtype } from '../core/model-files.ts';

export interface ExternalBlob {
  /** The name the graph's initializers give as `location` (relative to the graph). */
  readonly path: string;
  readonly data: Blob;
}

/**
 * The external data of `dtype` in the model folder at `base` (ending in '/'), as Blobs of the
 * cached files; null when config.json announces none, or when any file is not in the cache yet
 * (transformers.js then downloads and stores them as before, and the next load takes this path).
 */
export async function externalDataBlobs(cache: Cache, base: string, config: unknown, dtype: ModelDtype): Promise<ExternalBlob[] | null> {
  const files = announcedDataFiles(config, dtype);
  if (!files) return null;
  const out: ExternalBlob[] = [];
  for (const { file, name } of files) {
    const hit = await cache.match(`${base}${file}`);
    if (!hit) return null;
    out.push({ path: name, data: await hit.blob() });
  }
  return out;
}
