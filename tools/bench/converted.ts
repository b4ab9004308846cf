// The full-size stand-in as the bench measures it: converted to q4 and q8 (WASM's dtype) in one
// folder under .cache/bench, and reused only while the converter that wrote it is unchanged. The
// folder carries a key — a hash of the converter's sources and the options — and a different key
// converts again: figures taken on a conversion by an older converter (an fp32 embedding, a
// per-tensor q8) were committed twice before this check existed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureStandin, ROOT } from '../standin/standin.ts';

const run = promisify(execFile);
export const KEY_FILE = 'bench-converter-key';
const STANDIN_DTYPES = 'q4,q8';

/** A hash of src/convert's sources (tests left out), the modules they import from elsewhere, and `options`. */
export async function converterKey(options: unknown, convertDir = join(ROOT, 'src', 'convert')): Promise<string> {
  const h = createHash('sha256');
  const files = (await readdir(convertDir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  const outside = new Set<string>();
  for (const f of files) {
    const text = await readFile(join(convertDir, f), 'utf8');
    h.update(`${f}\n${text}`);
    for (const m of text.matchAll(/from '(\.\.\/[^']+\.ts)'/g)) outside.add(resolve(convertDir, m[1]!));
  }
  for (const p of [...outside].sort()) h.update(`${p}\n${await readFile(p, 'utf8')}`);
  h.update(JSON.stringify(options));
  return h.digest('hex').slice(0, 16);
}

/** `dir` when it holds a conversion with `key`; otherwise `convert(dir)` runs and the key is written after it. */
export async function ensureConverted(dir: string, key: string, convert: (dir: string) => Promise<void>, log: (s: string) => void): Promise<string> {
  const keyFile = join(dir, KEY_FILE);
  const present = existsSync(join(dir, 'config.json'));
  if (present && existsSync(keyFile) && (await readFile(keyFile, 'utf8')).trim() === key) return dir;
  log(present ? `${dir} was written by another version of the converter: converting again` : `converting into ${dir}`);
  await convert(dir);
  await writeFile(keyFile, `${key}\n`);
  return dir;
}

/** The full-size BF16 stand-in converted to q4 and q8 by today's converter (in a child process: a conversion holds little, but the bench's own heap stays apart). */
export async function standinConverted(log: (s: string) => void): Promise<string> {
  const dir = join(ROOT, '.cache', 'bench', 'e1-standin-q4-q8');
  const key = await converterKey({ dtypes: STANDIN_DTYPES });
  return ensureConverted(
    dir,
    key,
    async (out) => {
      const bf16 = await ensureStandin('bf16', 1, log);
      await run(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/bench/convert-child.ts'), bf16.dir, out, STANDIN_DTYPES], { cwd: ROOT, maxBuffer: 1 << 20 });
    },
    log,
  );
}
