// The Chromium items of `npm run bench` (tools/bench/chromium-items.ts does the measuring):
//   chromium-loop    2.2 our loop / generate() on WASM (q8) and WebGPU (SwiftShader, q4), mid-size model
//   chromium-decode  2.1 WASM ms/token by positions cached, full-size stand-in, vs onnxruntime-node, 1 and 2 threads
//   chromium-convert 2.5 the app's converter in Chromium from the Hub-like server (BF16 stand-in -> q8), peak browser
//                    memory and time; then a load from Cache Storage and 16 tokens on WASM (tools/bench/hub-convert.ts)
// Kept apart from run.ts so the Node items and these evolve without stepping on each other.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { ensureMidModel, MID_QWEN2 } from '../bench-sweep.ts';
import { convertQwen2 } from '../../src/convert/convert.ts';
import { memorySource } from '../../src/convert/io.ts';
import { makeTinyQwen2, type TinyQwen2Spec } from '../../src/convert/tiny-checkpoint.ts';
import { nodeWriter } from '../convert.ts';
import { ensureStandin, ROOT } from '../standin/standin.ts';
import { decodeInChromium, loopInChromium } from './chromium-items.ts';
import { convertInChromium } from './hub-convert.ts';
import { converterKey, ensureConverted, standinConverted } from './converted.ts';
import { round } from './measure.ts';

export const CHROMIUM_ITEMS = ['chromium-loop', 'chromium-decode', 'chromium-convert'] as const;
export type ChromiumItem = (typeof CHROMIUM_ITEMS)[number];

interface Options {
  readonly quick: boolean;
  readonly only: readonly string[];
  readonly model?: string;
  /** Ports for what the Chromium items serve (default 4310). */
  readonly chromiumPort?: number;
  /** chromium-convert's checkpoint folder, or "small" (SMALL_QWEN2 written as safetensors); default the BF16 stand-in. */
  readonly convertSource?: string;
}

type Log = (s: string) => void;

/**
 * For WebGPU on SwiftShader: the mid-size model takes 10-40 s a token there (measured on this
 * machine under load), so 2.2 on WebGPU uses a small one: the real vocabulary, hidden 256, 4 layers.
 */
export const SMALL_QWEN2: TinyQwen2Spec = { ...MID_QWEN2, hidden: 256, layers: 4, heads: 4, intermediate: 704 };

/** SMALL_QWEN2 as a checkpoint (safetensors, config with the R1-Distill special ids, the real tokenizer). */
async function smallCheckpoint(tokenizerDir: string): Promise<Map<string, Uint8Array>> {
  const ck = makeTinyQwen2(SMALL_QWEN2);
  const files = new Map(ck.files);
  // The R1-Distill special ids, as the mid-size model has them.
  files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...ck.rawConfig, bos_token_id: 151646, eos_token_id: 151643, max_position_embeddings: 131072 })));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) files.set(f, new Uint8Array(await readFile(join(tokenizerDir, f))));
  return files;
}

async function ensureSmallModel(dir: string, tokenizerDir: string, log: Log): Promise<string> {
  const convert = async (out: string) => {
    await convertQwen2(memorySource(await smallCheckpoint(tokenizerDir)), nodeWriter(out), { dtypes: ['q4'] });
  };
  return ensureConverted(dir, await converterKey({ model: 'SMALL_QWEN2', dtypes: ['q4'] }), convert, log);
}

/** The small model's checkpoint written to a folder (chromium-convert's quick source). */
async function ensureSmallSource(dir: string, tokenizerDir: string): Promise<string> {
  if (existsSync(join(dir, 'config.json'))) return dir;
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of await smallCheckpoint(tokenizerDir)) await writeFile(join(dir, name), bytes);
  return dir;
}

/** The browser and the load, per item: results.json's machine block describes only the latest run. */
function context(load0: number) {
  const chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
  return { chromium, loadAverage1m: { start: round(load0, 1), end: round(loadavg()[0]!, 1) } };
}

export async function chromiumItems(opts: Options, record: (item: ChromiumItem, figures: Record<string, unknown>) => Promise<void>, rows: [string, string][], log: Log) {
  const port = opts.chromiumPort ?? 4310;
  if (opts.only.includes('chromium-loop')) {
    const tokenizer = join(ROOT, 'tools/standin/tokenizer');
    const mid = await ensureMidModel(join(ROOT, '.cache', 'bench-sweep-mid'), tokenizer, ['q4', 'q8']);
    const small = await ensureSmallModel(join(ROOT, '.cache', 'bench-chromium-small'), tokenizer, log);
    const devices = [
      { device: 'wasm', dtype: 'q8', dir: mid, tokens: opts.quick ? 8 : 16, pairs: opts.quick ? 1 : 3 },
      { device: 'webgpu', dtype: 'q4', dir: small, tokens: 4, pairs: 1 },
    ] as const;
    const load0 = loadavg()[0]!;
    const r = await loopInChromium({ port, devices, log });
    await record('chromium-loop', {
      browser: 'headless Chromium (Debian), production build and headers; WebGPU on SwiftShader',
      ...context(load0),
      models: {
        'bench-sweep-mid': 'mid-size random Qwen2 (tools/bench-sweep.ts MID_QWEN2: hidden 1024, 8 layers, 16/2 heads, intermediate 2816, vocab 151,936); WASM loads q8 as the app does there',
        'bench-chromium-small': 'small random Qwen2 (SMALL_QWEN2: hidden 256, 4 layers, 4/2 heads, intermediate 704, vocab 151,936) for WebGPU: the mid-size one takes 10-40 s a token on SwiftShader here',
      },
      ...r,
    });
    for (const [device, f] of Object.entries(r)) {
      rows.push([`2.2 our loop / generate() tokens/s (Chromium ${device} ${f.dtype}, ${f.model})`, `${f.ratio}x (${f.oursTokensPerSecond} vs ${f.generateTokensPerSecond} tok/s)`]);
      rows.push([`2.2 generate() / our loop, browser CPU s per token (${device})`, `${f.cpu.ratio}x (${f.cpu.decodeCpuSecondsPerToken.generate} vs ${f.cpu.decodeCpuSecondsPerToken.ours} s; pairs ${f.cpu.pairRatios.join(', ')})`]);
    }
  }
  if (opts.only.includes('chromium-decode')) {
    const dir = opts.model ?? (await standinConverted(log));
    const contexts = opts.quick ? [128, 1024, 4096] : [128, 1024, 2048, 4096];
    const load0 = loadavg()[0]!;
    const r = await decodeInChromium({ dir, dtype: 'q8', port, contexts, rounds: opts.quick ? 2 : 4, threads: [1, 2], log });
    await record('chromium-decode', {
      browser: 'headless Chromium (Debian) WASM, production build and headers',
      dtype: 'q8',
      ...context(load0),
      ...r,
    });
    for (const t of [1, 2]) {
      const f = r[`threads${t}`] as { wasm: Record<number, { msPerToken: number; ratioTo128: number }>; wasmOverNode: Record<number, number> } | undefined;
      if (!f) continue;
      for (const P of contexts) rows.push([`2.1 WASM decode, ${P} cached, ${t} thread(s) (q8)`, `${f.wasm[P]!.msPerToken} ms/token, ${f.wasm[P]!.ratioTo128}x the 128 figure; ${f.wasmOverNode[P]}x onnxruntime-node`]);
    }
  }
  if (opts.only.includes('chromium-convert')) {
    const tokenizer = join(ROOT, 'tools/standin/tokenizer');
    const small = opts.convertSource === 'small';
    const source = small ? await ensureSmallSource(join(ROOT, '.cache', 'bench-chromium-small-src'), tokenizer) : (opts.convertSource ?? (await ensureStandin('bf16', 1, log)).dir);
    const load0 = loadavg()[0]!;
    const r = await convertInChromium({ source, dtype: 'q8', tokens: 16, port, log });
    await record('chromium-convert', {
      browser: 'headless Chromium (Debian), persistent profile, production build and headers (CSP); the Hub-like server and its CDN proxied under /hub/ and /cdn/ of the page origin',
      model: small ? 'small random Qwen2 (SMALL_QWEN2, F32 safetensors): a check that the item works, not the full-size figure' : 'full-size E1 stand-in (BF16, one 3.55 GB file)',
      measure: 'sum of VmRSS of every Chromium process, sampled every 100 ms (/proc); times are wall time under the load below',
      ...context(load0),
      ...r,
    });
    rows.push([`2.5 convert in Chromium via Hub-like server -> ${r.dtype} (${small ? 'small model' : 'BF16 stand-in'})`, `${r.convert.seconds} s, peak browser RSS ${r.convert.peakBrowserRssGiB} GiB (idle ${r.convert.idleBrowserRssGiB}), ${r.convert.redirects} redirects, ${r.convert.rangedCdnReads} ranged reads`]);
    rows.push([`2.5 load from Cache Storage + ${r.decode.thinkingCount} on WASM ${r.loadFromCache.dtype}`, `load ${r.loadFromCache.seconds} s, run ${r.decode.runSecondsWithPrefill} s, peak browser RSS ${r.loadFromCache.peakBrowserRssGiB} GiB`]);
  }
}
