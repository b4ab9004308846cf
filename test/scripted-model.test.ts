// The scripted test model itself: its script, and that it notices a corrupt cache.
// Drives model.forward() by hand so that each fault can be injected on purpose.
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScript, expectedGreedy, type Script } from '../tools/testmodels/scripted-model.ts';
import { SPECIAL } from '../tools/testmodels/tokenizer.ts';
import { VARIANTS } from '../tools/testmodels/write.ts';
import { TEST_MODELS_DIR } from './paths.ts';

env.allowRemoteModels = false;
env.localModelPath = `${TEST_MODELS_DIR}/`;

type Out = Record<string, Tensor>;
type Past = Record<string, Tensor>;

const i64 = (v: number[], dims: number[]) => new Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);

let model: { forward(i: Record<string, unknown>): Promise<Out>; dispose(): Promise<unknown> };
let prompt: number[];
let script: Script;

beforeAll(async () => {
  script = buildScript();
  const tok = await AutoTokenizer.from_pretrained('scripted-think48');
  const text = tok.apply_chat_template([{ role: 'user', content: 'Hi' }], { tokenize: false, add_generation_prompt: true }) as string;
  prompt = tok.encode(text, { add_special_tokens: false }) as number[];
  model = (await AutoModelForCausalLM.from_pretrained('scripted-think48', { dtype: 'fp32', device: 'cpu' })) as never;
});
afterAll(async () => {
  await model.dispose();
});

/** One forward call with full control over positions and mask. */
async function step(past: Past | null, pastLen: number, ids: number[], opts: { positions?: number[]; maskLen?: number } = {}) {
  const positions = opts.positions ?? ids.map((_, i) => pastLen + i);
  const maskLen = opts.maskLen ?? pastLen + ids.length;
  const out = await model.forward({
    input_ids: i64(ids, [1, ids.length]),
    attention_mask: i64(Array(maskLen).fill(1), [1, maskLen]),
    position_ids: i64(positions, [1, ids.length]),
    num_logits_to_keep: i64([1], []),
    past_key_values: past,
  });
  const row = out['logits']!.data as Float32Array;
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  const next: Past = {};
  for (const [k, v] of Object.entries(out)) if (k.startsWith('present.')) next[k.replace('present.', 'past_key_values.')] = v;
  return { best, past: next, len: maskLen };
}

async function greedyFrom(past: Past, len: number, first: number, n: number) {
  const out: number[] = [];
  let tokenId = first;
  for (let i = 0; i < n; i++) {
    const r = await step(past, len, [tokenId]);
    past = r.past;
    len += 1;
    out.push(r.best);
    tokenId = r.best;
  }
  return out;
}

describe('scripted model', () => {
  it('follows its script greedily: thinking, </think>, a solution stating the count, EOS', async () => {
    const expected = expectedGreedy(script, VARIANTS['scripted-think48'], 1000);
    let r = await step(null, 0, prompt);
    const got = [r.best];
    let len = prompt.length;
    let past = r.past;
    while (got.at(-1) !== SPECIAL.eos && got.length < 200) {
      r = await step(past, len, [got.at(-1)!]);
      past = r.past;
      len += 1;
      got.push(r.best);
    }
    expect(got).toEqual([...expected.think, ...expected.solution]);
    expect(script.vocab.decode(expected.solution)).toContain('(thought: 48 tokens)');
  });

  it('counts the thinking tokens it saw when </think> is forced early', async () => {
    const pre = await step(null, 0, prompt);
    const x = pre.best;
    const cut = await step(pre.past, prompt.length, [x, SPECIAL.thinkClose]);
    const rest = await greedyFrom(cut.past, prompt.length + 2, cut.best, 5);
    expect(script.vocab.decode([cut.best, ...rest])).toContain('(thought: 1 tokens)');
  });

  describe('emits the marker on a corrupt cache', () => {
    let base: { past: Past; len: number; next: number };
    beforeAll(async () => {
      const r = await step(null, 0, prompt);
      base = { past: r.past, len: prompt.length, next: r.best };
    });

    it('is clean when fed correctly', async () => {
      expect((await step(base.past, base.len, [base.next])).best).not.toBe(script.markerId);
    });
    it('wrong positions', async () => {
      expect((await step(base.past, base.len, [base.next], { positions: [base.len + 1] })).best).toBe(script.markerId);
      expect((await step(base.past, base.len, [base.next], { positions: [0] })).best).toBe(script.markerId);
    });
    it('a mask longer or shorter than past + new', async () => {
      expect((await step(base.past, base.len, [base.next], { maskLen: base.len + 2 })).best).toBe(script.markerId);
      expect((await step(base.past, base.len, [base.next], { maskLen: base.len })).best).toBe(script.markerId);
    });
    it('the prompt fed again (re-prefill)', async () => {
      expect((await step(base.past, base.len, prompt)).best).toBe(script.markerId);
      expect((await step(base.past, base.len, [base.next, ...prompt])).best).toBe(script.markerId);
    });
    it('a token fed twice', async () => {
      const once = await step(base.past, base.len, [base.next]);
      expect((await step(once.past, base.len + 1, [base.next])).best).toBe(script.markerId);
    });
    it('layers that disagree (a cache assembled from different places)', async () => {
      const once = await step(base.past, base.len, [base.next]);
      const bad = { ...once.past, 'past_key_values.1.key': shifted(once.past['past_key_values.1.key']!) };
      expect((await step(bad, base.len + 1, [once.best])).best).toBe(script.markerId);
    });
  });
});

describe('scripted model, rows of a batch', () => {
  /** One call over rows left-padded to one width: `null` ids are masked padding. */
  async function rows(feeds: (number | null)[][], positions: number[][]) {
    const S = feeds[0]!.length;
    const out = await model.forward({
      input_ids: i64(feeds.flat().map((t) => t ?? 0), [feeds.length, S]),
      attention_mask: i64(feeds.flat().map((t) => (t === null ? 0 : 1)), [feeds.length, S]),
      position_ids: i64(positions.flat(), [feeds.length, S]),
      num_logits_to_keep: i64([1], []),
      past_key_values: null,
    });
    const data = out['logits']!.data as Float32Array;
    const V = data.length / feeds.length;
    return feeds.map((_, b) => {
      let best = 0;
      for (let i = 1; i < V; i++) if (data[b * V + i]! > data[b * V + best]!) best = i;
      return best;
    });
  }
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  it('each row reads its own history: rows of different lengths, left padding skipped', async () => {
    const [t1, t2] = expectedGreedy(script, VARIANTS['scripted-think48'], 3).think;
    const n = prompt.length;
    const best = await rows(
      [
        [...prompt, t1!],
        [null, ...prompt],
      ],
      [range(0, n + 1), [0, ...range(0, n)]],
    );
    expect(best).toEqual([t2, t1]);
  });

  it('flags a corrupt row alone', async () => {
    const [t1, t2] = expectedGreedy(script, VARIANTS['scripted-think48'], 3).think;
    const n = prompt.length;
    // Row 1's positions start at 1: its padding counted as a position.
    const shifted = await rows([[...prompt, t1!], [null, ...prompt]], [range(0, n + 1), range(0, n + 1)]);
    expect(shifted).toEqual([t2, script.markerId]);
    // Row 0's padding unmasked (an id the row never fed, at the position its first real id takes).
    const unmasked = await rows([[0, ...prompt], [null, ...prompt]], [[0, ...range(0, n)], [0, ...range(0, n)]]);
    expect(unmasked).toEqual([script.markerId, t1]);
  });
});

/** A copy of a cache tensor with one entry's token id changed. */
function shifted(t: Tensor): Tensor {
  const data = Float32Array.from(t.data as Float32Array);
  data[1] = (data[1]! + 1) % 256;
  return new Tensor('float32', data, t.dims);
}
