// One conversion in its own process, so its peak RSS is its own: prints one JSON line
// { seconds, maxRssMB, bytesOut }. Input: a local folder, or `hub:<url>|<repo>` (the converter's
// Hub source against a Hub-like server, tools/hub-server.ts).
//   tsx tools/bench/convert-child.ts <folder | hub:url|repo> <out> <dtypes,comma-separated>
import { convertQwen2 } from '../../src/convert/convert.ts';
import { hubSource } from '../../src/worker/convert-sources.ts';
import { nodeSource, nodeWriter } from '../convert.ts';

const [input, out, dtypes] = process.argv.slice(2) as [string, string, string];
const t0 = performance.now();
const src = input.startsWith('hub:')
  ? await hubSource((u, init) => fetch(u, init), input.slice(4).split('|')[1]!, 'main', input.slice(4).split('|')[0]!)
  : nodeSource(input);
const result = await convertQwen2(src, nodeWriter(out), { dtypes: dtypes.split(',') });
const seconds = (performance.now() - t0) / 1000;
const bytesOut = Object.values(result.files).reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, bytesOut }));
