// The bench's converted models are reused only while the converter that wrote them is unchanged.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { converterKey, ensureConverted, KEY_FILE } from '../tools/bench/converted.ts';

async function fakeSources() {
  const root = await mkdtemp(join(tmpdir(), 'bench-key-'));
  const convert = join(root, 'src', 'convert');
  await mkdir(convert, { recursive: true });
  await mkdir(join(root, 'src', 'core'));
  await writeFile(join(convert, 'a.ts'), "import { x } from '../core/shared.ts';\nexport const a = x;\n");
  await writeFile(join(convert, 'a.test.ts'), 'test\n');
  await writeFile(join(root, 'src', 'core', 'shared.ts'), 'export const x = 1;\n');
  await writeFile(join(root, 'src', 'core', 'unrelated.ts'), 'export const y = 1;\n');
  return { root, convert };
}

describe('converterKey', () => {
  it('changes with a converter source, a module it imports, and the options — not with tests or unrelated modules', async () => {
    const { root, convert } = await fakeSources();
    const key = await converterKey({ dtypes: 'q4' }, convert);
    expect(await converterKey({ dtypes: 'q4' }, convert)).toBe(key);
    expect(await converterKey({ dtypes: 'q4,q8' }, convert)).not.toBe(key);

    await writeFile(join(convert, 'a.test.ts'), 'another test\n');
    await writeFile(join(root, 'src', 'core', 'unrelated.ts'), 'export const y = 2;\n');
    expect(await converterKey({ dtypes: 'q4' }, convert)).toBe(key);

    await writeFile(join(root, 'src', 'core', 'shared.ts'), 'export const x = 2;\n');
    const key2 = await converterKey({ dtypes: 'q4' }, convert);
    expect(key2).not.toBe(key);
    await writeFile(join(convert, 'b.ts'), 'export const b = 1;\n');
    expect(await converterKey({ dtypes: 'q4' }, convert)).not.toBe(key2);
  });
});

describe('ensureConverted', () => {
  it('converts when the folder is missing or its key differs, and reuses it while the key is the same', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'bench-conv-')), 'model');
    const runs: string[] = [];
    const convert = async (out: string) => {
      runs.push(out);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'config.json'), '{}');
    };
    const log = () => {};
    expect(await ensureConverted(dir, 'k1', convert, log)).toBe(dir);
    expect(runs).toHaveLength(1);
    await ensureConverted(dir, 'k1', convert, log);
    expect(runs).toHaveLength(1);
    await ensureConverted(dir, 'k2', convert, log);
    expect(runs).toHaveLength(2);
    // A folder from before keys (config.json, no key file) is converted again.
    await writeFile(join(dir, KEY_FILE), '');
    await ensureConverted(dir, 'k2', convert, log);
    expect(runs).toHaveLength(3);
  });

  it('writes no key when the conversion fails, so the next run converts again', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'bench-conv-')), 'model');
    let fail = false;
    const convert = async (out: string) => {
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'config.json'), '{}');
      if (fail) throw new Error('disk full');
    };
    await ensureConverted(dir, 'old', convert, () => {});
    fail = true;
    await expect(ensureConverted(dir, 'k', convert, () => {})).rejects.toThrow('disk full');
    fail = false;
    const runs: string[] = [];
    await ensureConverted(dir, 'k', async (out) => {
      runs.push(out);
      await convert(out);
    }, () => {});
    expect(runs).toEqual([dir]);
  });
});
