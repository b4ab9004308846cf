import { describe, expect, it } from 'vitest';
import type { ComparisonRecord, LaneOutcome, LaneSettings } from './comparison.ts';
import { EXPORT_FORMAT, MAX_IMPORT_CHARS, exportFileName, fenced, fromJson, toJson, toMarkdown } from './export.ts';
import { summarizeAsync } from './summary.ts';

const STATS = {
  promptTokens: 80,
  prefillMs: 120.5,
  ttftMs: 130,
  decodeMs: 9000,
  decodedTokens: 1500,
  tokensPerSecond: 166.6,
  forwardCalls: 1400,
  tokensFed: 1580,
};

function laneOf(thinking: number | 'max', answer: string | null, extra: Partial<LaneOutcome> = {}): { settings: LaneSettings; outcome: LaneOutcome } {
  return {
    settings: {
      modelId: 'E1-Math-1.5B',
      thinking,
      solution: 512,
      sampling: { kind: 'sample', temperature: 0.6, topP: 0.95, topK: 0, seed: 7 },
    },
    outcome: {
      thinkingText: `Let me think (t=${thinking}) about $x^2$...`,
      thinkingTokens: thinking === 'max' ? 3000 : thinking,
      thinkingEnd: thinking === 'max' ? 'model' : 'budget',
      solutionText: answer === null ? 'I could not finish' : `The answer is $\\boxed{${answer}}$.`,
      solutionTokens: 40,
      solutionEnd: answer === null ? 'budget' : 'eos',
      answer,
      stats: null,
      error: null,
      ...extra,
    },
  };
}

const SWEEP: ComparisonRecord = {
  id: 'cmp-123',
  createdAt: Date.UTC(2025, 4, 6, 7, 8, 9),
  mode: 'sweep',
  problem: 'Every morning Aya goes for a $9$-kilometer-long walk. Find the number of minutes.',
  paperSuffix: true,
  reference: { id: 'aime2024-I-1', source: 'aime2024', answer: '204' },
  lanes: [laneOf(512, '200'), laneOf(1024, '204'), laneOf('max', '204.0'), laneOf(256, null)],
  sweep: { traceText: 'Let me think about $x^2$... and more', decodedTokens: 3200, separateTokens: 4800 },
  status: 'finished',
};

const SINGLE: ComparisonRecord = {
  id: 'run-1',
  createdAt: Date.UTC(2024, 0, 2, 3, 4, 5),
  mode: 'single',
  problem: 'What is $1+1$?',
  paperSuffix: false,
  reference: null,
  lanes: [{ ...laneOf(100, '2'), outcome: { ...laneOf(100, '2').outcome, stats: STATS } }],
  sweep: null,
  status: 'stopped',
};

function errorOf(text: string): string {
  const r = fromJson(text);
  expect(r).toHaveProperty('error');
  return (r as { error: string }).error;
}

function mutated(f: (o: Record<string, any>) => void): string {
  const o = JSON.parse(toJson(SWEEP)) as Record<string, any>;
  f(o);
  return JSON.stringify(o);
}

describe('toJson / fromJson', () => {
  it('writes a versioned, pretty document', () => {
    const text = toJson(SWEEP);
    const o = JSON.parse(text);
    expect(o.format).toBe(EXPORT_FORMAT);
    expect(o.version).toBe(1);
    expect(text).toContain('\n  "id": "cmp-123"');
  });

  it.each([
    ['sweep', SWEEP],
    ['single with stats', SINGLE],
  ] as const)('round-trips a %s record', (_label, record) => {
    expect(fromJson(toJson(record))).toEqual(record);
  });

  it('round-trips what a batched run measured: steps, rows and wall time of the sweep and of each lane', () => {
    const batched: ComparisonRecord = {
      ...SWEEP,
      lanes: SWEEP.lanes.map((l) => ({ ...l, outcome: { ...l.outcome, stats: { ...STATS, rows: 87, wallMs: 46_290.5 } } })),
      sweep: { ...SWEEP.sweep!, steps: 49, rows: 87, wallMs: 46_290.5 },
    };
    const back = fromJson(toJson(batched)) as ComparisonRecord;
    expect(back).toEqual(batched);
    expect(back.sweep).toMatchObject({ steps: 49, rows: 87, wallMs: 46_290.5 });
    // Older records without them stay without them.
    expect(fromJson(toJson(SWEEP))).not.toHaveProperty('sweep.steps');
    // And a bad value is refused with its path.
    expect(errorOf(toJson({ ...batched, sweep: { ...batched.sweep!, steps: -2 } }))).toMatch(/sweep\.steps: expected a whole number ≥ 0, got -2/);
    expect(errorOf(toJson({ ...batched, lanes: [{ ...batched.lanes[0]!, outcome: { ...batched.lanes[0]!.outcome, stats: { ...STATS, wallMs: 'long' as never } } }] }))).toMatch(
      /lanes\[0\]\.outcome\.stats\.wallMs: expected a finite number/,
    );
  });

  it('round-trips greedy sampling, null ends, errors and odd text', () => {
    const r: ComparisonRecord = {
      ...SINGLE,
      lanes: [
        {
          settings: { ...SINGLE.lanes[0]!.settings, sampling: { kind: 'greedy' }, thinking: 'max' },
          outcome: { ...SINGLE.lanes[0]!.outcome, thinkingEnd: null, solutionEnd: null, answer: null, error: 'device lost', solutionText: '```\n"quotes" \\ \u0000 \u{1F600}' },
        },
      ],
      status: 'failed',
    };
    expect(fromJson(toJson(r))).toEqual(r);
  });

  it('drops unknown fields instead of carrying them along', () => {
    const text = mutated((o) => {
      o.extra = 'x';
      o.lanes[0].outcome.injected = { a: 1 };
    });
    const r = fromJson(text) as ComparisonRecord;
    expect(r).not.toHaveProperty('extra');
    expect(r).not.toHaveProperty('format');
    expect(r.lanes[0]!.outcome).not.toHaveProperty('injected');
    expect(r).toEqual(SWEEP);
  });

  it('rejects text that is not JSON', () => {
    expect(errorOf('{"format": ')).toMatch(/^not valid JSON/);
    expect(errorOf('')).toMatch(/^not valid JSON/);
  });

  it('rejects JSON that is not an object or not an export', () => {
    expect(errorOf('[1,2]')).toMatch(/expected a JSON object, got an array/);
    expect(errorOf('null')).toMatch(/got null/);
    expect(errorOf('{"version":1}')).toMatch(/not an exported comparison/);
    expect(errorOf(mutated((o) => (o.format = 'something-else')))).toMatch(/not an exported comparison \(format is "something-else"/);
  });

  it('refuses oversized input before parsing it', () => {
    expect(errorOf(' '.repeat(MAX_IMPORT_CHARS + 1))).toMatch(/^file too large/);
  });

  it('rejects another version', () => {
    expect(errorOf(mutated((o) => (o.version = 2)))).toBe('unsupported version 2 (this app reads version 1)');
    expect(errorOf(mutated((o) => delete o.version))).toMatch(/unsupported version undefined/);
  });

  it('rejects missing or empty lanes', () => {
    expect(errorOf(mutated((o) => delete o.lanes))).toBe('lanes: expected a non-empty array, got undefined');
    expect(errorOf(mutated((o) => (o.lanes = [])))).toBe('lanes: expected a non-empty array, got an array');
    expect(errorOf(mutated((o) => (o.lanes = { 0: 1 })))).toMatch(/^lanes: expected a non-empty array, got an object/);
  });

  it('names the path of each wrong field', () => {
    const err = errorOf(
      mutated((o) => {
        o.lanes[1].outcome.thinkingTokens = -3;
        o.lanes[2].settings.thinking = 'lots';
        o.lanes[0].settings.sampling.temperature = 0;
        o.lanes[3].outcome.solutionEnd = 'maybe';
        o.mode = 'parallel';
        o.createdAt = 'yesterday';
        o.reference.answer = 204;
        o.sweep.decodedTokens = 1.5;
      }),
    );
    expect(err).toContain('lanes[1].outcome.thinkingTokens: expected a whole number ≥ 0, got -3');
    expect(err).toContain('lanes[2].settings.thinking: expected a whole number ≥ 0 or "max", got "lots"');
    expect(err).toContain('lanes[0].settings.sampling: temperature must be');
    expect(err).toContain('lanes[3].outcome.solutionEnd: expected one of "eos", "budget", "aborted" or null, got "maybe"');
    expect(err).toContain('mode: expected one of "single", "sweep", "independent", got "parallel"');
    expect(err).toContain('createdAt: expected a finite number, got "yesterday"');
    expect(err).toContain('reference.answer: expected a string, got 204');
    expect(err).toContain('sweep.decodedTokens: expected a whole number ≥ 0, got 1.5');
  });

  it('checks lane objects, stats and nullable fields', () => {
    expect(errorOf(mutated((o) => (o.lanes[0] = 'lane')))).toBe('lanes[0]: expected an object, got "lane"');
    expect(errorOf(mutated((o) => delete o.lanes[0].settings))).toBe('lanes[0].settings: expected an object, got undefined');
    expect(errorOf(mutated((o) => (o.lanes[0].outcome.stats = { promptTokens: 1 })))).toContain('lanes[0].outcome.stats.prefillMs: expected a finite number, got undefined');
    expect(errorOf(mutated((o) => (o.lanes[0].outcome.answer = 5)))).toBe('lanes[0].outcome.answer: expected a string, got 5');
    expect(errorOf(mutated((o) => (o.reference = 'aime')))).toBe('reference: expected an object or null, got "aime"');
    expect(errorOf(mutated((o) => (o.sweep = [])))).toBe('sweep: expected an object or null, got an array');
    expect(errorOf(mutated((o) => (o.paperSuffix = 'yes')))).toBe('paperSuffix: expected true or false, got "yes"');
    expect(errorOf(mutated((o) => (o.status = 'done')))).toMatch(/^status: expected one of "finished", "stopped", "failed"/);
    expect(errorOf(mutated((o) => (o.lanes[0].settings.sampling = { kind: 'beam' })))).toBe('lanes[0].settings.sampling.kind: expected "greedy" or "sample", got "beam"');
  });

  it('caps the list of problems', () => {
    const err = errorOf(mutated((o) => (o.lanes = Array.from({ length: 20 }, () => 1))));
    expect(err.split('; ')).toHaveLength(11);
    expect(err).toMatch(/… and 10 more$/);
  });

  it('is not fooled by __proto__ keys', () => {
    const text = toJson(SWEEP).replace('"id": "cmp-123"', '"__proto__": { "polluted": true }, "id": "cmp-123"');
    const r = fromJson(text) as ComparisonRecord;
    expect(r).toEqual(SWEEP);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('toMarkdown', () => {
  const md = toMarkdown(SWEEP);

  it('has a title, the date, the problem and the reference answer', () => {
    expect(md.startsWith('# Elastic Reasoning budget sweep\n')).toBe(true);
    expect(md).toContain('2025-05-06 07:08:09 UTC');
    expect(md).toContain('Every morning Aya goes for a $9$-kilometer-long walk.');
    expect(md).toContain('**Reference answer:** `204`');
    expect(md).toContain("Let's think step by step");
  });

  it('has a settings table with one row per lane and a verdict column', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(rows[0]).toBe('| lane | model | t | s | sampling | thinking | solution | answer | correct? |');
    expect(rows).toHaveLength(1 + SWEEP.lanes.length);
    expect(rows[1]).toBe('| 1 | E1-Math-1.5B | 512 | 512 | T 0.6 · top-p 0.95 · seed 7 | 512 tokens, cut at budget | 40 tokens, EOS | `200` | ✗ |');
    expect(rows[2]).toContain('| `204` | ✓ |');
    expect(rows[3]).toContain('| max | 512 |');
    expect(rows[3]).toContain('3000 tokens, closed by the model');
    expect(rows[3]).toContain('| `204.0` | ✓ |');
    expect(rows[4]).toContain('40 tokens, cut at solution budget | — | ✗ |');
  });

  it('summarises the answers and the sweep cost', () => {
    expect(md).toContain('**Answers:** `204` from lanes 2, 3; `200` from lane 1; no answer from lane 4.');
    expect(md).toContain('**Sweep cost:** decoded 3,200 tokens; running each budget separately would decode 4,800 (1.50× fewer).');
    expect(toMarkdown(SINGLE)).not.toContain('Sweep cost');
  });

  it('contains every lane, with its thinking and solution in collapsible sections', () => {
    for (let i = 0; i < SWEEP.lanes.length; i++) {
      const lane = SWEEP.lanes[i]!;
      expect(md).toContain(`### Lane ${i + 1} — t = ${lane.settings.thinking}, s = 512`);
      expect(md).toContain(`\`\`\`text\n${lane.outcome.thinkingText}\n\`\`\``);
      expect(md).toContain(`\`\`\`text\n${lane.outcome.solutionText}\n\`\`\``);
    }
    expect(md.match(/<details>/g)).toHaveLength(2 * SWEEP.lanes.length + 1); // + the shared trace
    expect(md.match(/<\/details>/g)).toHaveLength(2 * SWEEP.lanes.length + 1);
    expect(md).toContain('<details><summary>Thinking (512 tokens, cut at budget)</summary>\n\n```text');
  });

  it('omits the verdict column without a reference, and shows errors', () => {
    const r: ComparisonRecord = { ...SINGLE, lanes: [laneOf(100, null, { error: 'out of <memory>' })] };
    const m = toMarkdown(r);
    expect(m).toContain('| lane | model | t | s | sampling | thinking | solution | answer |\n');
    expect(m).not.toContain('correct?');
    expect(m).toContain('**Error:** out of &lt;memory&gt;');
    expect(m.startsWith('# Elastic Reasoning run\n')).toBe(true);
  });

  it('uses verdicts passed in (symbolic grading)', async () => {
    const r: ComparisonRecord = { ...SWEEP, reference: { id: 'x', source: 'math500', answer: '3\\sqrt{5}' }, lanes: [laneOf(100, '\\sqrt{45}')] };
    expect(toMarkdown(r)).toContain('| `\\sqrt{45}` | ✗ |');
    const s = await summarizeAsync(r.lanes.map((l) => l.outcome), r.reference);
    expect(toMarkdown(r, s)).toContain('| `\\sqrt{45}` | ✓ |');
  });

  it("a solution containing ``` does not break out of its fence", () => {
    const evil = 'Here:\n```\n</details>\n# Injected heading\n````\nstill inside\n~~~\n';
    const r: ComparisonRecord = { ...SINGLE, lanes: [laneOf(100, '2', { solutionText: evil, thinkingText: 'a ` b `` c' })] };
    const m = toMarkdown(r);
    expect(m).toContain('`````text\n' + evil + '`````');
    expect(m).toContain('```text\na ` b `` c\n```');
    // the injected lines only appear inside the fence
    const lines = m.split('\n');
    const open = lines.indexOf('`````text');
    const close = lines.indexOf('`````', open + 1);
    expect(open).toBeGreaterThan(0);
    expect(lines.indexOf('# Injected heading')).toBeGreaterThan(open);
    expect(lines.indexOf('# Injected heading')).toBeLessThan(close);
    expect(lines[close + 2]).toBe('</details>');
  });

  it('keeps table rows intact whatever the answer and model contain', () => {
    const r: ComparisonRecord = {
      ...SINGLE,
      lanes: [{ ...laneOf(100, 'a|b `c`\nd'), settings: { ...laneOf(100, null).settings, modelId: 'x|<b>y</b>\n' } }],
    };
    const row = toMarkdown(r).split('\n').find((l) => l.startsWith('| 1 |'))!;
    expect(row).toBe('| 1 | x\\|&lt;b&gt;y&lt;/b&gt; | 100 | 512 | T 0.6 · top-p 0.95 · seed 7 | 100 tokens, cut at budget | 40 tokens, EOS | ``a\\|b `c` d`` |');
  });
});

describe('fenced', () => {
  it.each([
    ['plain', '```'],
    ['one ` tick', '```'],
    ['```', '````'],
    ['a ```` b', '`````'],
    ['``````', '```````'],
  ])('%j gets a fence of %j', (text, fence) => {
    expect(fenced(text)).toBe(`${fence}text\n${text}\n${fence}`);
  });
});

describe('exportFileName', () => {
  it('uses the mode, the UTC time and the bundled problem id', () => {
    expect(exportFileName(SWEEP, 'md')).toBe('elastic-reasoning-sweep-20250506-070809-aime2024-i-1.md');
    expect(exportFileName({ ...SWEEP, reference: { id: 'test/precalculus/477.json', source: 'math500', answer: '1' } }, '.json')).toBe(
      'elastic-reasoning-sweep-20250506-070809-test-precalculus-477.json',
    );
  });

  it('otherwise the first words of the problem, reduced to safe characters', () => {
    expect(exportFileName(SINGLE, 'json')).toBe('elastic-reasoning-single-20240102-030405-what-is-1-1.json');
    const r = { ...SINGLE, problem: '../../etc/passwd <script> ' + 'x'.repeat(100) };
    const name = exportFileName(r, 'md/../x');
    expect(name).toMatch(/^elastic-reasoning-single-20240102-030405-[a-z0-9-]+\.mdx$/);
    expect(name.length).toBeLessThan(100);
    expect(exportFileName({ ...SINGLE, problem: '   ', createdAt: NaN }, '')).toBe('elastic-reasoning-single-undated.txt');
  });
});
