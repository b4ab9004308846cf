import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, checkEvalRecord, csvField, evalFileName, evalFromJson, evalToCsv, evalToJson } from './eval-export.ts';
import { fixtureEvaluation } from './eval-fixtures.ts';
import { evaluationTable } from './avgk.ts';

/** A minimal RFC 4180 reader, to check what the CSV says. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += ch;
  }
  return rows;
}

describe('CSV', () => {
  it('has one row per model × budget × problem × sample, tokens counted as the paper does', () => {
    const e = fixtureEvaluation();
    const rows = parseCsv(evalToCsv(e));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(1 + 2 * 2 * 3 * 2);
    const keys = new Set(rows.slice(1).map((r) => `${r[0]}|${r[1]}|${r[3]}|${r[4]}`));
    expect(keys.size).toBe(24);
    const first = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, rows[1]![i]]));
    expect(first).toMatchObject({ model: '/models/a', thinking_budget: '16', solution_budget: '32', problem_id: 'p-right', sample: '0', seed: '100', correct: '1', answer: '42', tokens: '36', thinking_tokens: '17', solution_tokens: '19', thinking_end: 'budget' });
    // quotes and commas survive; a formula-looking answer is defused
    const wrong = rows.find((r) => r[3] === 'p-wrong-2')!;
    expect(wrong[7]).toBe(`'=HYPERLINK("x")`);
    expect(wrong[8]).toBe('3 | 三');
  });

  it('quotes fields only when needed and leaves numbers alone', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('-3')).toBe('-3');
    expect(csvField('-x')).toBe("'-x");
    expect(csvField(null)).toBe('');
  });
});

describe('JSON', () => {
  it('round-trips to the same record and table', () => {
    const e = fixtureEvaluation();
    const back = evalFromJson(evalToJson(e));
    expect(back).toEqual({ value: e });
    if ('value' in back) expect(evaluationTable(back.value)).toEqual(evaluationTable(e));
  });

  it('refuses what is not an evaluation, with the path of what is wrong', () => {
    expect(evalFromJson('nope')).toEqual({ error: expect.stringContaining('not valid JSON') });
    expect(evalFromJson('{"format":"elastic-reasoning-comparison","version":1}')).toEqual({ error: expect.stringContaining('not an exported evaluation') });
    const e = JSON.parse(evalToJson(fixtureEvaluation())) as Record<string, unknown> & { samples: Record<string, unknown>[] };
    const bad = (f: (x: typeof e) => void) => {
      const copy = structuredClone(e);
      f(copy);
      const r = evalFromJson(JSON.stringify(copy));
      return 'error' in r ? r.error : 'accepted';
    };
    expect(bad((x) => (x.samples[0]!['problem'] = 3))).toContain('samples[0].problem: expected an index below 3');
    expect(bad((x) => ((x.samples[0]!['lanes'] as unknown[]).pop()))).toContain('samples[0].lanes: expected 2 lanes');
    expect(bad((x) => (x.samples[1] = { ...x.samples[0]! }))).toContain('a second sample');
    expect(bad((x) => (x['k'] = 0))).toContain('k: expected at least 1');
    expect(bad((x) => (x['budgets'] = [16, 'lots']))).toContain('budgets[1]');
    expect(bad((x) => ((x.samples[2]!['lanes'] as Record<string, unknown>[])[0]!['thinkingTokens'] = -1))).toContain('samples[2].lanes[0].thinkingTokens');
    expect(bad((x) => (x['sampling'] = { kind: 'sample', temperature: -1, topP: 1, topK: 0, seed: 0 }))).toContain('sampling');
    expect(checkEvalRecord(null)).toEqual({ error: 'expected an object, got null' });
  });

  it('names files by set and time', () => {
    expect(evalFileName(fixtureEvaluation(), 'csv')).toBe('elastic-reasoning-eval-custom-20261202-080000.csv');
  });
});
