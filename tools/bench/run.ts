// npm run bench [-- --quick] [-- --only convert,decode,loop,prefill,sweep,batch,page,memory,chromium-loop,chromium-decode,chromium-convert] [-- --port 4181] [-- --chromium-port 4310] [-- --convert-source small|<checkpoint folder>] [-- --model <folder> --dtype q4]
//               [-- --batch-dtypes q8,q4] [-- --no-browser] [-- --batch-pairs 1]   (batch: the stand-in's dtypes on the CPU; skip the Chromium part; pairs timed)
//
// E1 at full size, on this machine: writes the full-size stand-in (tools/standin, cached under
// .cache/), converts it (Node, and through the Hub-like server), then measures decode cost against
// context, our loop against transformers.js generate(), prefill and the budget cut, and a budget
// sweep against separate runs. Prints a table and merges the figures into bench/results.json
// (items not run keep their last figures, with their own date). Every figure is a ratio of two
// things measured side by side in this run, or a count: these machines are shared and noisy.
//
// --model <folder> measures another converted folder (e.g. a graph variant written by the
// converter) instead of the stand-in's default conversion; --label names it in results.json.
// Duration on the 2-core dev machine (shared, loaded): see bench/README.md.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureStandin, ROOT } from '../standin/standin.ts';
import { startHubServer } from '../hub-server.ts';
import { standinConverted } from './converted.ts';
import { memoryBench } from './memory.ts';
import { pageBench } from './page.ts';
import { ensureMidModel, runSweepBench } from '../bench-sweep.ts';
import { sweepInChromium } from './sweep-browser.ts';
import { Q8_ROWS_KEY } from '../../src/core/q8-rows.ts';
import type { SweepBenchResult } from '../sweep-measure.ts';
import { CHROMIUM_ITEMS, chromiumItems } from './chromium-run.ts';
import { decodeVsContext, loadEngine, loopVsGenerate, prefillAndCut, sweepVsSeparate, type ModelUnderTest } from './node-items.ts';

const run = promisify(execFile);
const ITEMS = ['convert', 'decode', 'loop', 'prefill', 'sweep', 'batch', 'page', 'memory', ...CHROMIUM_ITEMS] as const;
type Item = (typeof ITEMS)[number];
const RESULTS = join(ROOT, 'bench', 'results.json');
const log = (s: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

function parse(argv: readonly string[]) {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = opt('--only')?.split(',') ?? [...ITEMS];
  for (const o of only) if (!(ITEMS as readonly string[]).includes(o)) throw new Error(`--only: unknown item ${o} (items: ${ITEMS.join(', ')})`);
  return {
    quick: argv.includes('--quick'),
    only: only as Item[],
    model: opt('--model'),
    dtype: (opt('--dtype') ?? 'q4') as ModelUnderTest['dtype'],
    port: Number(opt('--port') ?? 4181),
    chromiumPort: Number(opt('--chromium-port') ?? 4310),
    convertSource: opt('--convert-source'),
    label: opt('--label') ?? 'plain-ops graph (Concat past+new, per-step Transpose)',
    /** batch: the stand-in's dtypes to sweep on the CPU, and whether to run the Chromium part. */
    batchDtypes: (opt('--batch-dtypes') ?? 'q8,q4').split(',').filter(Boolean) as ('q8' | 'q4')[],
    batchBrowser: !argv.includes('--no-browser'),
    batchPairs: Number(opt('--batch-pairs') ?? 1),
  };
}

const round2 = (x: number) => Number(x.toFixed(2));

/** The machine (fixed) and the software that measured (per item: runs of different days differ). */
async function machine() {
  const chromium = await run('/usr/bin/chromium', ['--version']).then((r) => r.stdout.trim()).catch(() => 'absent');
  const ortNode = JSON.parse(await readFile(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version as string;
  const tjs = JSON.parse(await readFile(join(ROOT, 'node_modules/@huggingface/transformers/package.json'), 'utf8')).version as string;
  const ortWeb = JSON.parse(await readFile(join(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')).version as string;
  return {
    hardware: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, ramGB: Number((totalmem() / 2 ** 30).toFixed(1)), gpu: 'none' },
    software: { node: process.version, chromium, onnxruntimeNode: ortNode, onnxruntimeWeb: ortWeb, transformersJs: tjs },
  };
}

/** Converts `input` in a child process (its own peak RSS); skipped when `out` exists and `reuse`. */
async function convertChild(input: string, out: string, dtypes: string) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/bench/convert-child.ts'), input, out, dtypes], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; maxRssMB: number; bytesOut: number };
}

async function main() {
  const opts = parse(process.argv.slice(2));
  const started = Date.now();
  const results = existsSync(RESULTS) ? (JSON.parse(await readFile(RESULTS, 'utf8')) as Record<string, unknown>) : {};
  const items = (results.items ?? {}) as Record<string, unknown>;
  const rows: [string, string][] = [];
  const about = await machine();
  let itemLoad = Number(loadavg()[0]!.toFixed(1));
  /** Records an item's figures and saves at once: a later failure keeps what was measured. */
  const record = async (item: Item, figures: Record<string, unknown>) => {
    // Re-read first: another bench process (another --only) may have saved items meanwhile.
    if (existsSync(RESULTS)) Object.assign(items, { ...((JSON.parse(await readFile(RESULTS, 'utf8')) as { items?: object }).items ?? {}) });
    // Each item carries the load it ran under and the software that measured it: runs of different
    // items happen on different days, on a machine others share.
    const load = { start: itemLoad, end: Number(loadavg()[0]!.toFixed(1)) };
    itemLoad = load.end;
    items[item] = {
      date: new Date().toISOString(),
      quick: opts.quick,
      model: opts.model ? opts.label : undefined,
      loadAverage1m: load,
      software: about.software,
      ...figures,
    };
    const out = {
      about:
        'npm run bench (tools/bench/run.ts). Figures are ratios of things measured side by side in one run, or counts; absolute times are given for context only. ' +
        'The machine is shared by several engineers building and testing at once (load average 17-28 on 2 cores during the committed runs): absolute times swing by 2x or more between runs.',
      machine: about.hardware,
      // The software of items measured before items carried their own (kept as found).
      ...(results.software ? { software: results.software } : {}),
      standin: 'tools/standin: random weights, E1-Math-1.5B config (Qwen2, 1536 hidden, 28 layers, 12/2 heads, 8960 intermediate, 151936 vocab, untied), seed 1',
      items,
    };
    await mkdir(join(ROOT, 'bench'), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  };

  const benchDir = join(ROOT, '.cache', 'bench');
  await mkdir(benchDir, { recursive: true });
  const dtypes = 'q4';
  const needModel = opts.only.some((i) => i === 'decode' || i === 'loop' || i === 'prefill' || i === 'sweep' || i === 'batch');
  // The stand-in converted to q4 and q8 by today's converter (converted again whenever the converter changes).
  const converted = opts.model ?? (needModel ? await standinConverted(log) : '');
  if (opts.only.includes('convert')) {
    const bf16 = await ensureStandin('bf16', 1, log);
    log(`converting ${bf16.dir} (BF16, one file) to ${dtypes} in Node`);
    // A fresh output each time: the item times a conversion (the models measured below are standinConverted's).
    const scratch = join(benchDir, 'convert-bf16-onnx');
    const local = await convertChild(bf16.dir, scratch, dtypes);
    log(`local: ${local.seconds.toFixed(0)} s, peak RSS ${local.maxRssMB.toFixed(0)} MB`);
    const figures: Record<string, unknown> = {
      dtypes,
      bf16: { seconds: Math.round(local.seconds), peakRssMB: Math.round(local.maxRssMB), outMB: Math.round(local.bytesOut / 2 ** 20) },
    };
    rows.push(['2.5 convert BF16 3.55 GB -> q4 (Node, local folder)', `${local.seconds.toFixed(0)} s, peak RSS ${local.maxRssMB.toFixed(0)} MB`]);
    if (!opts.quick) {
      const f32 = await ensureStandin('f32-sharded', 1, log);
      const hub = await startHubServer({ repos: { 'Salesforce/E1-Math-1.5B': f32.dir } });
      try {
        log(`converting the F32 sharded stand-in through the Hub-like server (${hub.url}, CDN ${hub.cdnUrl})`);
        const viaHub = await convertChild(`hub:${hub.url}|Salesforce/E1-Math-1.5B`, join(benchDir, 'e1-standin-f32-hub-onnx'), dtypes);
        const redirects = hub.requests.filter((r) => r.status === 302).length;
        const ranges = hub.requests.filter((r) => r.origin === 'cdn' && r.status === 206).length;
        figures.f32ShardedViaHub = {
          seconds: Math.round(viaHub.seconds),
          peakRssMB: Math.round(viaHub.maxRssMB),
          redirects,
          rangedCdnReads: ranges,
          bytesReadGB: Number((hub.bytesServed / 1e9).toFixed(2)),
          timeRatioToBf16Local: Number((viaHub.seconds / local.seconds).toFixed(2)),
        };
        rows.push([
          '2.5 convert F32 7.1 GB sharded -> q4 (Node, Hub-like server)',
          `${viaHub.seconds.toFixed(0)} s (${(viaHub.seconds / local.seconds).toFixed(2)}x BF16 local), peak RSS ${viaHub.maxRssMB.toFixed(0)} MB, ${redirects} redirects, ${ranges} ranged reads`,
        ]);
      } finally {
        await hub.close();
      }
    }
    await record('convert', figures);
  }

  const m: ModelUnderTest = { dir: converted, dtype: opts.dtype };
  if (opts.only.includes('decode')) {
    const contexts = opts.quick ? [128, 1024, 4096] : [128, 1024, 2048, 4096];
    const d = await decodeVsContext(m, contexts, opts.quick ? 3 : 7, log);
    await record('decode', { runtime: 'onnxruntime-node CPU', dtype: m.dtype, byContext: d });
    for (const [P, v] of Object.entries(d)) rows.push([`2.1 decode, ${P} positions cached (Node CPU, ${m.dtype})`, `${v.msPerToken} ms/token, ${v.ratioTo128}x the 128 figure`]);
  }

  const needEngine = opts.only.some((i) => i === 'loop' || i === 'prefill' || i === 'sweep');
  if (needEngine) {
    const { engine, model } = await loadEngine(m);
    try {
      if (opts.only.includes('loop')) {
        const cpuMs = () => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1000;
        };
        const r = await loopVsGenerate(engine, model, opts.quick ? 8 : 16, opts.quick ? 1 : 3, log, cpuMs);
        await record('loop', { runtime: 'onnxruntime-node CPU (transformers.js)', dtype: m.dtype, ...r });
        rows.push(['2.2 our loop / generate() tokens/s (Node CPU, full size)', `${r.ratio}x (${r.oursTokensPerSecond} vs ${r.generateTokensPerSecond} tok/s); by CPU time ${r.ratioByCpuTime}x`]);
      }
      if (opts.only.includes('prefill')) {
        const r = await prefillAndCut(engine, 300, opts.quick ? 16 : 64, log);
        await record('prefill', { runtime: 'onnxruntime-node CPU (transformers.js)', dtype: m.dtype, ...r });
        rows.push(['2.3 prefill, 300-token prompt', `${r.prefillTokensPerSecond} tok/s (${r.prefillVsDecodeTokensPerSecond}x decode tokens/s)`]);
        rows.push(['2.3 tokens fed at a budget cut', `${r.tokensFedAtCut}`]);
        rows.push([`2.3 re-prefill of prompt + thinking (${r.rePrefillTokens} tokens) / cut step`, `${r.rePrefillOverCut}x (${r.rePrefillMs} vs ${r.cutStepMs} ms)`]);
      }
      if (opts.only.includes('sweep')) {
        const budgets = opts.quick ? [4, 8, 16, 24] : [16, 32, 64, 96];
        const r = await sweepVsSeparate(engine, budgets, opts.quick ? 4 : 16, log);
        await record('sweep', { runtime: 'onnxruntime-node CPU (transformers.js)', dtype: m.dtype, scaledFrom: `the paper's t = 512/1024/2048/3072, scaled to ${budgets.join('/')}`, ...r });
        rows.push([`2.4 sweep t=${budgets.join('/')} s=${r.solution}: decoded tokens`, `${r.sweepDecodedTokens} vs ${r.separateDecodedTokens} for 4 separate runs`]);
        rows.push(['2.4 4 separate runs / sweep, wall time', `${r.wallRatio}x (${r.separateWallS} vs ${r.sweepWallS} s)`]);
      }
    } finally {
      await engine.dispose();
    }
  }

  if (opts.only.includes('batch')) {
    // The paper's grid (t = 512/1K/2K/3K, s = 1K) scaled down to fit the machine: 1/32 (quick: 1/64).
    const scale = opts.quick ? 64 : 32;
    const budgets = [512, 1024, 2048, 3072].map((t) => t / scale);
    const solution = 1024 / scale;
    const figures = (r: SweepBenchResult) => ({
      dtype: r.dtype,
      device: r.device,
      plan: r.plan,
      sequential: r.sequential,
      batched: r.batched,
      wallRatio: round2(r.wallRatio),
      ...(r.cpuRatio === undefined ? {} : { cpuRatio: round2(r.cpuRatio) }),
      wallRatios: r.wallRatios.map(round2),
      ...(r.loadAverages ? { loadAverage1mAfterEachPair: r.loadAverages } : {}),
      stepRatio: round2(r.stepRatio),
      lanesIdentical: `${r.lanesIdentical}/${r.budgets.length}`,
      ...(r.greedy
        ? { greedyLanesIdentical: `${r.greedy.lanesIdentical}/${r.budgets.length} (ids and text; thinking trace ${r.greedy.thinkingIdentical ? 'identical' : 'different'})` }
        : {}),
    });
    const row = (where: string, r: SweepBenchResult) =>
      rows.push([
        `2.4b batched / sequential sweep, ${where} ${r.dtype}`,
        `wall ${round2(r.wallRatio)}x (goal <= 0.65; ${(r.batched.wallMs / 1000).toFixed(0)} vs ${(r.sequential.wallMs / 1000).toFixed(0)} s)${r.cpuRatio === undefined ? '' : `, CPU ${round2(r.cpuRatio)}x`}, steps ${r.batched.steps} vs ${r.sequential.steps}`,
      ]);
    const out: Record<string, unknown> = {
      scaledFrom: `the paper's t = 512/1024/2048/3072, s = 1024, scaled by 1/${scale} to t = ${budgets.join('/')}, s = ${solution}`,
      runs: {},
    };
    const runs = out.runs as Record<string, unknown>;
    // Runs of an earlier invocation stay unless measured again (e.g. --no-browser, then --batch-dtypes '').
    Object.assign(runs, ((items.batch as { runs?: object } | undefined)?.runs ?? {}) as Record<string, unknown>);
    // Full-size stand-in on the CPU (onnxruntime-node): q8, then q4 (MatMulNBits: several rows cost more).
    for (const dtype of opts.batchDtypes) {
      if (!existsSync(join(converted, 'onnx', dtype === 'q8' ? 'model_quantized.onnx' : 'model_q4.onnx'))) {
        log(`batch: ${converted} has no ${dtype} graph; skipped`);
        continue;
      }
      log(`batch: full-size stand-in, ${dtype}, t = ${budgets.join('/')}, s = ${solution}`);
      const r = await runSweepBench(converted, { dtype, budgets, solution, pairs: opts.batchPairs, greedyCheck: true, log });
      const q8Rows = JSON.parse(await readFile(join(converted, 'config.json'), 'utf8'))[Q8_ROWS_KEY] === 'per-row';
      runs[`standin-cpu-${dtype}`] = {
        model: 'full-size stand-in',
        runtime: 'onnxruntime-node CPU',
        ...(dtype === 'q8' ? { q8Activations: q8Rows ? 'per row' : 'per tensor (DynamicQuantizeLinear: a conversion from before per-row q8; lanes may differ from single runs)' } : {}),
        ...figures(r),
      };
      row('full-size stand-in, Node CPU,', r);
      await record('batch', out);
    }
    // Mid-size model in Chromium (onnxruntime-web WASM), q8.
    if (opts.batchBrowser) {
      // Only the q8 graph runs here: converting q4 and fp32 too cost minutes for nothing.
      const mid = await ensureMidModel(join(ROOT, '.cache', 'bench-sweep-mid'), converted, ['q8']);
      const loadBefore = Number(loadavg()[0]!.toFixed(1));
      const r = await sweepInChromium(mid, { device: 'wasm', dtype: 'q8', budgets, solution, pairs: opts.batchPairs, port: opts.port, log });
      runs['mid-chromium-wasm-q8'] = {
        model: 'mid-size random Qwen2 (tools/bench-sweep.ts MID_QWEN2)',
        runtime: 'headless Chromium, onnxruntime-web WASM',
        ...figures(r),
        loadAverage1m: `${loadBefore} before, ${loadavg()[0]!.toFixed(1)} after`,
      };
      row('mid-size, Chromium WASM,', r);
      await record('batch', out);
    }
  }

  if (opts.only.includes('page')) {
    const r = await pageBench({ port: opts.port, tokens: opts.quick ? 3000 : 10_000, rate: 200, log });
    await record('page', { browser: 'headless Chromium', ...r });
    rows.push(['2.6 JS before first interaction (gzip), main thread', `${r.jsBeforeInteractionGzipKB} KB (goal < 200); + ${r.workerJsAtStartGzipKB} KB in the workers started at load (model, converter)`]);
    rows.push([`2.6 long tasks > 50 ms, ${r.streamedTokens} math tokens at ${r.tokensPerSecond} tok/s`, `${r.longTasksOver50ms} (longest ${r.longestTaskMs} ms; goal 0; load average ${r.streamLoadAverage1m.join(' -> ')})`]);
    rows.push(['2.6 render time, last 1K tokens / first 1K', `${r.lastOverFirst1k}x (${r.renderLast1kMs} vs ${r.renderFirst1kMs} ms; goal <= 1.2)`]);
  }

  if (opts.only.includes('memory')) {
    // q4 and q8 of the stand-in in one folder (--model: another one).
    const dir = opts.model ?? (await standinConverted(log));
    const models = [
      { dir, device: 'wasm', dtype: 'q8' },
      // WASM q4 is left out: ORT's WASM MatMulNBits decodes ~100x slower than q8 (tools/wasm-probe.ts).
      ...(opts.quick ? [] : [{ dir, device: 'webgpu', dtype: 'q4' } as const]),
    ] as const;
    const r = await memoryBench({ port: opts.port, models, log });
    await record('memory', {
      browser: 'headless Chromium (Debian), fresh persistent profile (Cache Storage on disk), production build, model served as a same-origin folder',
      measure:
        'the browser process and all its descendants, sampled every 100 ms (/proc), summed two ways: pss = proportional set sizes (each page counted once: what the browser takes from the machine; the goal is read on it), rss = resident set sizes (a shared page once per process mapping it); WebGPU is SwiftShader: its GPU memory is the gpu-process',
      runs: r,
    });
    type Figures = Record<string, number>;
    for (const m of r as { device: string; dtype: string; filesMB: number; network: { pss: Figures; rss: Figures }; cache: { pss: Figures; rss: Figures } }[]) {
      for (const from of ['network', 'cache'] as const) {
        const { pss: x, rss: y } = m[from];
        rows.push([
          `14 peak browser memory / files, ${m.device} ${m.dtype} (${m.filesMB} MB) from ${from}`,
          `PSS ${x.peakOverFiles}x (peak ${x.peakMB} MB; above idle ${x.peakAboveIdleOverFiles}x; after load ${x.afterLoadOverFiles}x, CPU side grew ${x.cpuSideGrowthOverFiles}x); RSS ${y.peakOverFiles}x (after load ${y.afterLoadOverFiles}x)`,
        ]);
      }
    }
  }

  // Chromium items (tools/bench/chromium-run.ts), after the Node ones: one browser at a time.
  await chromiumItems(opts, record, rows, log);

  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${'figure'.padEnd(w)}  value`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log(`\nwrote ${RESULTS} in ${((Date.now() - started) / 60000).toFixed(1)} min`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
