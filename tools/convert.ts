// Node CLI for the Qwen2 safetensors -> ONNX converter (src/convert/convert.ts).
//
//   npm run convert -- <folder | hub-id> [--out dir] [--dtype q4f16|q4|q8|fp32 ...] [--attention plain|plain-kq|gqa] [--kv-cache float32|float16] [--q4-accuracy 0|4] [--embedding int8|float] [--revision main]
//
// <folder>: a local Hugging Face snapshot (config.json, model.safetensors or
// model.safetensors.index.json + shards, tokenizer files).
// <hub-id>: e.g. Salesforce/E1-Math-1.5B; files are read with HTTP range requests from
// https://huggingface.co/<id>/resolve/<revision>/<file> (needs internet; HF_TOKEN is sent when
// set). Not exercised by the tests (no network there).
//
// The output is staged in `<out>.partial-<pid>` and renamed to <out> only after everything,
// config.json last, has been written; an existing <out> is replaced only then.
import { open, mkdir, rm, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertQwen2, type ConvertProgress } from '../src/convert/convert.ts';
import { MissingFileError, type FileSink, type FileSource, type OutputWriter } from '../src/convert/io.ts';

/** Ranged reads from a local folder. */
export function nodeSource(root: string): FileSource {
  return {
    async size(name) {
      try {
        const s = await stat(join(root, name));
        return s.isFile() ? s.size : null;
      } catch {
        return null;
      }
    },
    async read(name, offset, length) {
      const fh = await open(join(root, name), 'r').catch(() => {
        throw new MissingFileError(`missing file: ${name}`);
      });
      try {
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) throw new RangeError(`${name}: unexpected end of file at ${offset + got} (wanted ${length} bytes at ${offset})`);
          got += bytesRead;
        }
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}

/** Writes into `<dir>.partial-<pid>`; `commit` renames it to `dir` (replacing an old one). */
export function nodeWriter(dir: string): OutputWriter & { readonly staging: string } {
  const target = resolve(dir);
  const staging = `${target}.partial-${process.pid}`;
  let prepared = false;
  return {
    staging,
    async create(name): Promise<FileSink> {
      if (!prepared) {
        await rm(staging, { recursive: true, force: true });
        prepared = true;
      }
      const path = join(staging, name);
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(path, 'w');
      return {
        async write(chunk) {
          let done = 0;
          while (done < chunk.byteLength) {
            const { bytesWritten } = await fh.write(chunk, done, chunk.byteLength - done);
            done += bytesWritten;
          }
        },
        async close() {
          await fh.sync();
          await fh.close();
        },
      };
    },
    async commit() {
      await rm(target, { recursive: true, force: true });
      await rename(staging, target);
    },
    async abort() {
      await rm(staging, { recursive: true, force: true });
    },
  };
}

/** Ranged reads from the Hugging Face Hub (needs internet). */
export function hubSource(repoId: string, revision = 'main', token = process.env.HF_TOKEN): FileSource {
  const url = (name: string) => `https://huggingface.co/${repoId}/resolve/${revision}/${name}`;
  const headers = (extra: Record<string, string> = {}) => ({ ...extra, ...(token ? { Authorization: `Bearer ${token}` } : {}) });
  const sizes = new Map<string, number | null>();
  return {
    async size(name) {
      if (sizes.has(name)) return sizes.get(name)!;
      const res = await fetch(url(name), { method: 'HEAD', headers: headers(), redirect: 'follow' });
      let size: number | null = null;
      if (res.ok) {
        const len = res.headers.get('x-linked-size') ?? res.headers.get('content-length');
        size = len === null ? null : Number(len);
      } else if (res.status !== 404) {
        throw new Error(`HEAD ${url(name)}: HTTP ${res.status}`);
      }
      sizes.set(name, size);
      return size;
    },
    async read(name, offset, length) {
      if (length === 0) return new Uint8Array(0);
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(url(name), { headers: headers({ Range: `bytes=${offset}-${offset + length - 1}` }), redirect: 'follow' });
          if (res.status === 404) throw new MissingFileError(`missing file on the Hub: ${repoId}/${name}`);
          if (res.status !== 206 && res.status !== 200) throw new Error(`GET ${url(name)}: HTTP ${res.status}`);
          let buf = new Uint8Array(await res.arrayBuffer());
          if (res.status === 200) buf = buf.subarray(offset, offset + length);
          if (buf.byteLength !== length) throw new RangeError(`${name}: got ${buf.byteLength} bytes, wanted ${length} at ${offset}`);
          return buf;
        } catch (e) {
          if (e instanceof MissingFileError || attempt >= 4) throw e;
          await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
        }
      }
    },
  };
}

export interface CliArgs {
  readonly input: string;
  /** Undefined: `<folder>-onnx`, or `<owner>__<name>-onnx` for a Hub id. */
  readonly out: string | undefined;
  readonly dtypes: string[];
  readonly revision: string;
  readonly attention: string | undefined;
  readonly kvCache: string | undefined;
  readonly q4Accuracy?: number;
  readonly embedding: string | undefined;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  let input: string | undefined;
  let out: string | undefined;
  let revision = 'main';
  let attention: string | undefined;
  let kvCache: string | undefined;
  let q4Accuracy: number | undefined;
  let embedding: string | undefined;
  const dtypes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out' || a === '-o') out = value();
    else if (a === '--dtype') dtypes.push(...value().split(','));
    else if (a === '--revision') revision = value();
    else if (a === '--attention') attention = value();
    else if (a === '--kv-cache') kvCache = value();
    else if (a === '--q4-accuracy') q4Accuracy = Number(value());
    else if (a === '--embedding') embedding = value();
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (input === undefined) input = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!input) throw new Error('usage: npm run convert -- <folder | hub-id> [--out dir] [--dtype q4f16|q4|q8|fp32 ...] [--attention plain|plain-kq|gqa] [--kv-cache float32|float16] [--q4-accuracy 0|4] [--embedding int8|float] [--revision main]');
  return { input, out, dtypes, revision, attention, kvCache, embedding, ...(q4Accuracy === undefined ? {} : { q4Accuracy }) };
}

async function isDir(p: string) {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const local = await isDir(args.input);
  if (!local && !/^[\w.-]+\/[\w.-]+$/.test(args.input)) throw new Error(`${args.input} is neither a folder nor a Hub id`);
  const src = local ? nodeSource(args.input) : hubSource(args.input, args.revision);
  const out = args.out ?? (local ? `${args.input.replace(/[\\/]+$/, '')}-onnx` : `${args.input.replace('/', '__')}-onnx`);
  let last = 0;
  const onProgress = (p: ConvertProgress) => {
    const now = Date.now();
    if (p.phase === 'weights' && now - last < 1000 && p.bytesDone < p.bytesTotal) return;
    last = now;
    const pct = p.bytesTotal ? ` ${((100 * p.bytesDone) / p.bytesTotal).toFixed(1)}%` : '';
    console.error(`[${p.phase}]${pct} ${p.item ?? ''}`);
  };
  const t0 = Date.now();
  const result = await convertQwen2(src, nodeWriter(out), { dtypes: args.dtypes, attention: args.attention, kvCache: args.kvCache, q4Accuracy: args.q4Accuracy, embedding: args.embedding, onProgress });
  const total = Object.values(result.files).reduce((a, b) => a + b, 0);
  console.error(`wrote ${out} (${result.dtypes.join(', ')}; ${(total / 2 ** 20).toFixed(1)} MiB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`convert: ${(e as Error).message}`);
    process.exit(1);
  });
}
