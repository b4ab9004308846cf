// The scripted test model: an ONNX graph with the real Qwen2 decoder signature whose greedy
// output is a designed script, not a neural network.
//
// How it works: every forward call appends one KV entry per new token that records the
// token id and its position (split in two base-256 digits so fp16 caches hold them exactly).
// The graph then reads the whole history back out of the cache and decides the next token:
//   thinking:  script words, then `</think>` after `thinkLength` tokens (or never, or EOS at
//              `eosAt`, by variant);
//   solution:  "... (thought: N tokens) ... \boxed{42}$." then EOS, where N is the number of
//              thinking tokens it finds between `<think>\n` and `</think>` in its cache.
// Because the answer depends only on what the cache holds, any cache bug shows up: wrong
// positions, an attention mask whose length is not past+new, a prompt fed twice, a token fed
// twice in a row, or layers that disagree make it emit MARKER instead.
//
// Logits: target 4, an alternative word 2 (alternating between two words so that sampled
// alternatives never repeat a token), everything else -30. At temperature 1 the target has
// p ≈ 0.881, so top_p ≤ 0.88 must always pick the target while sampling without top_p would
// not; greedy always picks the target.
import { DType, GraphBuilder, tensor, type Dim } from '../../src/convert/onnx-builder.ts';
import { NUM_BASE, NUM_COUNT, SPECIAL, VOCAB_SIZE, buildVocabulary, type Vocabulary } from './tokenizer.ts';

export const TARGET_LOGIT = 4;
export const ALT_LOGIT = 2;
export const OFF_LOGIT = -30;

export const MARKER_TEXT = ' [CACHE-CORRUPT]';
export const ALT_WORDS = [' Hmm,', ' Wait,'] as const;

// Thinking words: math split across tokens on purpose (`$\frac{` … `}$`), so streaming
// renderers meet unfinished LaTeX. No word follows itself, including across the wrap.
export const THINK_WORDS = [
  'Let', ' me', ' think', ' about', ' this', ' step', ' by', ' step.', ' We', ' need', ' $x^2', ' +', ' 2x',
  ' =', ' 3$,', ' so', ' $(x', ' +', ' 1)^2', ' =', ' 4$', ' and', ' $x', ' =', ' 1$.', ' Also', ' $\\frac{',
  '1}{2}', ' +', ' \\frac{1}{3}', ' =', ' \\frac{5}{6}$.', '\n\n', 'Check', ' again:', ' the', ' answer', ' is',
  ' **42**', ' because', ' $6', ' \\times', ' 7', ' =', ' 42$.', '\n',
] as const;

// Solution words; NUMBER is replaced by the thinking-token count as a single token " N".
const NUMBER = '\u0000N';
export const SOLUTION_WORDS = [
  '\n\n', '**Solution**', ' (thought:', NUMBER, ' tokens)', '\n\n', 'We', ' have', ' $6', ' \\times', ' 7', ' =',
  ' 42$,', ' so', ' the', ' answer', ' is', ' $\\boxed{42}$.',
] as const;

export interface ScriptedVariant {
  /** Thinking tokens before the model closes `</think>` itself; null never closes. */
  readonly thinkLength: number | null;
  /** Emit EOS as the thinking token with this index (0-based); null never does. */
  readonly eosAt: number | null;
}

export interface ScriptedModelSpec {
  readonly variant: ScriptedVariant;
  readonly kvDtype: 'float32' | 'float16';
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

export interface Script {
  readonly vocab: Vocabulary;
  readonly thinkIds: readonly number[];
  readonly solutionIds: readonly number[];
  /** Index in solutionIds of the count token. */
  readonly numberIndex: number;
  readonly markerId: number;
  readonly altIds: readonly [number, number];
}

export function buildScript(): Script {
  const words = [...THINK_WORDS, ...SOLUTION_WORDS.filter((w) => w !== NUMBER), MARKER_TEXT, ...ALT_WORDS];
  const vocab = buildVocabulary(words);
  const id = (w: string) => {
    const v = vocab.words.get(w);
    if (v === undefined) throw new Error(`missing word ${w}`);
    return v;
  };
  const thinkIds = THINK_WORDS.map(id);
  const numberIndex = SOLUTION_WORDS.indexOf(NUMBER);
  const solutionIds = SOLUTION_WORDS.map((w) => (w === NUMBER ? -1 : id(w)));
  for (const seq of [thinkIds, solutionIds]) {
    for (let i = 1; i < seq.length; i++) if (seq[i] === seq[i - 1]) throw new Error('script repeats a token');
  }
  if (thinkIds[0] === thinkIds[thinkIds.length - 1]) throw new Error('thinking script repeats across the wrap');
  return {
    vocab,
    thinkIds,
    solutionIds,
    numberIndex,
    markerId: id(MARKER_TEXT),
    altIds: [id(ALT_WORDS[0]), id(ALT_WORDS[1])],
  };
}

/** What the greedy model says, for expectations in tests. */
export function expectedGreedy(script: Script, variant: ScriptedVariant, thinkingBudget: number) {
  const think: number[] = [];
  let closedByModel = false;
  for (let n = 0; n < thinkingBudget; n++) {
    const next = thinkingToken(script, variant, n);
    think.push(next);
    if (next === SPECIAL.thinkClose || next === SPECIAL.eos) {
      closedByModel = next === SPECIAL.thinkClose;
      break;
    }
  }
  // The count the solution states: tokens between `<think>\n` and `</think>`.
  const seen = think.filter((t) => t !== SPECIAL.thinkClose).length;
  return { think, closedByModel, seen, solution: [...solutionIdsFor(script, seen), SPECIAL.eos] };
}

/** The thinking text of the first `n` scripted thinking tokens. */
export function thinkingTextFor(script: Script, n: number): string {
  return script.vocab.decode(Array.from({ length: n }, (_, i) => script.thinkIds[i % script.thinkIds.length]!));
}

/** The solution text (without EOS) after `seen` thinking tokens. */
export function solutionTextFor(script: Script, seen: number): string {
  return script.vocab.decode(solutionIdsFor(script, seen));
}

/** The solution's words (without EOS) after `seen` thinking tokens. */
export function solutionIdsFor(script: Script, seen: number): number[] {
  return script.solutionIds.map((t) => (t === -1 ? NUM_BASE + Math.min(seen, NUM_COUNT - 1) : t));
}

function thinkingToken(script: Script, v: ScriptedVariant, n: number): number {
  if (v.eosAt !== null && n === v.eosAt) return SPECIAL.eos;
  if (v.thinkLength !== null && n >= v.thinkLength) return SPECIAL.thinkClose;
  return script.thinkIds[n % script.thinkIds.length]!;
}

const NEVER = 2 ** 40;

export function buildScriptedOnnx(script: Script, spec: ScriptedModelSpec): Uint8Array {
  const { layers, kvHeads: H, headDim: D } = spec;
  if (D < 4) throw new Error('headDim must be at least 4');
  const g = new GraphBuilder('scripted_qwen2');
  const kvType = spec.kvDtype === 'float16' ? DType.float16 : DType.float32;
  const kvDims = (len: string): Dim[] => ['batch_size', H, len, D];

  const inputIds = g.input('input_ids', DType.int64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DType.int64, ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', DType.int64, ['batch_size', 'sequence_length']);
  const past: { key: string; value: string }[] = [];
  for (let i = 0; i < layers; i++) {
    past.push({
      key: g.input(`past_key_values.${i}.key`, kvType, kvDims('past_sequence_length')),
      value: g.input(`past_key_values.${i}.value`, kvType, kvDims('past_sequence_length')),
    });
  }
  const keep = g.input('num_logits_to_keep', DType.int64, []);

  const i64 = (v: number) => g.scalarI64(v);
  const flat = (x: string) => g.op('Reshape', [x, g.i64(-1)]);
  const toF = (x: string) => g.op('Cast', [x], { to: DType.float32 });
  const toI = (x: string) => g.op('Cast', [x], { to: DType.int64 });
  const col = (x: string) => g.op('Unsqueeze', [x, g.i64(1)]);

  // New cache entries: [tok_hi, tok_lo, pos_hi, pos_lo, 0, …] per token.
  const ids = flat(inputIds);
  const pos = flat(positionIds);
  const digits = (x: string) => [g.op('Div', [x, i64(256)]), g.op('Mod', [x, i64(256)])];
  const feats = g.op('Concat', [...digits(ids), ...digits(pos)].map((d) => col(toF(d))), { axis: 1 });
  const padded = g.op('Pad', [feats, g.i64(0, 0, 0, D - 4)]);
  let entries = g.op('Expand', [g.op('Unsqueeze', [padded, g.i64(0, 1)]), g.i64(1, H, 1, D)]);
  if (kvType === DType.float16) entries = g.op('Cast', [entries], { to: DType.float16 });

  const presentKeys: string[] = [];
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value'] as const) {
      const out = `present.${i}.${kind}`;
      g.nodeWithOutputs('Concat', [past[i]![kind], entries], [out], { axis: 2 });
      g.output(out, kvType, kvDims('total_sequence_length'));
      presentKeys.push(out);
    }
  }

  // History, read back from layer 0's keys.
  const present0 = toF(presentKeys[0]!);
  const rows = g.op('Gather', [g.op('Gather', [present0, i64(0)], { axis: 0 }), i64(0)], { axis: 0 }); // [T, D]
  const field = (k: number) => toI(g.op('Round', [g.op('Gather', [rows, i64(k)], { axis: 1 })]));
  const tok = g.op('Add', [g.op('Mul', [field(0), i64(256)]), field(1)]);
  const hpos = g.op('Add', [g.op('Mul', [field(2), i64(256)]), field(3)]);
  const total = g.op('Gather', [g.op('Shape', [tok]), i64(0)], { axis: 0 });
  const idx = g.op('Range', [i64(0), total, i64(1)]);

  const count = (boolTensor: string) => g.op('ReduceSum', [g.op('Cast', [boolTensor], { to: DType.int64 })], { keepdims: 0 });
  const not = (b: string) => g.op('Not', [b]);
  const eq = (a: string, b: string) => g.op('Equal', [a, b]);
  const and = (a: string, b: string) => g.op('And', [a, b]);
  const flag = (scalarBool: string) => g.op('Cast', [scalarBool], { to: DType.int64 });
  const bad: string[] = [];

  // 1. Positions must be 0..T-1: a wrong position_ids or a re-fed prompt breaks this.
  bad.push(count(not(eq(hpos, idx))));
  // 2. The attention mask must cover exactly past + new, all ones (batch 1, no padding).
  const maskLen = g.op('Gather', [g.op('Shape', [mask]), i64(1)], { axis: 0 });
  bad.push(flag(not(eq(maskLen, total))));
  bad.push(flag(not(eq(g.op('ReduceSum', [mask], { keepdims: 0 }), maskLen))));
  // 3. The prompt appears once: exactly one `<think>`, at most one BOS.
  const isOpen = eq(tok, i64(SPECIAL.thinkOpen));
  bad.push(flag(not(eq(count(isOpen), i64(1)))));
  bad.push(flag(g.op('Greater', [count(eq(tok, i64(SPECIAL.bos))), i64(1)])));
  // 4. No generated token follows itself (the script never repeats one): a token fed twice does.
  const genStart = g.op('Add', [g.op('ArgMax', [g.op('Cast', [isOpen], { to: DType.float32 })], { axis: 0, keepdims: 0 }), i64(2)]);
  const prev = g.op('Slice', [tok, g.i64(0), g.i64(-1)]);
  const next = g.op('Slice', [tok, g.i64(1), g.i64(NEVER)]);
  const prevIdx = g.op('Slice', [idx, g.i64(0), g.i64(-1)]);
  bad.push(count(and(eq(prev, next), g.op('GreaterOrEqual', [prevIdx, genStart]))));
  // 5. All layers hold the same entries: a cache assembled from different steps does not.
  for (let i = 1; i < presentKeys.length; i++) {
    const diff = g.op('ReduceMax', [g.op('Abs', [g.op('Sub', [toF(presentKeys[i]!), present0])])], { keepdims: 0 });
    bad.push(flag(g.op('Greater', [diff, g.scalarF32(0)])));
  }
  const corrupt = g.op('Greater', [bad.reduce((a, b) => g.op('Add', [a, b])), i64(0)]);

  // Phase and counts.
  const isClose = and(eq(tok, i64(SPECIAL.thinkClose)), g.op('GreaterOrEqual', [idx, genStart]));
  const hasClose = g.op('Greater', [count(isClose), i64(0)]);
  const closeAt = g.op('ArgMax', [g.op('Cast', [isClose], { to: DType.float32 })], { axis: 0, keepdims: 0 });
  const thinkingSoFar = g.op('Sub', [total, genStart]);
  const { thinkLength, eosAt } = spec.variant;

  const thinkTable = g.constant(tensor.i64(script.thinkIds));
  let thinkNext = g.op('Gather', [thinkTable, g.op('Mod', [thinkingSoFar, i64(script.thinkIds.length)])], { axis: 0 });
  thinkNext = g.op('Where', [g.op('GreaterOrEqual', [thinkingSoFar, i64(thinkLength ?? NEVER)]), i64(SPECIAL.thinkClose), thinkNext]);
  thinkNext = g.op('Where', [eq(thinkingSoFar, i64(eosAt ?? -1)), i64(SPECIAL.eos), thinkNext]);

  const seen = g.op('Min', [g.op('Sub', [closeAt, genStart]), i64(NUM_COUNT - 1)]);
  const solSoFar = g.op('Sub', [g.op('Sub', [total, closeAt]), i64(1)]);
  const solTable = g.constant(tensor.i64(script.solutionIds));
  const last = script.solutionIds.length - 1;
  let solNext = g.op('Gather', [solTable, g.op('Max', [g.op('Min', [solSoFar, i64(last)]), i64(0)])], { axis: 0 });
  solNext = g.op('Where', [eq(solSoFar, i64(script.numberIndex)), g.op('Add', [seen, i64(NUM_BASE)]), solNext]);
  solNext = g.op('Where', [g.op('Greater', [solSoFar, i64(last)]), i64(SPECIAL.eos), solNext]);

  let target = g.op('Where', [hasClose, solNext, thinkNext]);
  target = g.op('Where', [corrupt, i64(script.markerId), target]);
  const alt = g.op('Gather', [g.constant(tensor.i64(script.altIds)), g.op('Mod', [total, i64(2)])], { axis: 0 });

  // One row of logits: OFF everywhere, TARGET at target, ALT at alt (unless corrupt).
  const vocabRange = g.op('Range', [i64(0), i64(VOCAB_SIZE), i64(1)]);
  const oneHot = (t: string) => toF(eq(vocabRange, t));
  const altWeight = g.op('Where', [corrupt, g.scalarF32(0), g.scalarF32(ALT_LOGIT - OFF_LOGIT)]);
  const row = g.op('Add', [
    g.op('Add', [g.op('Mul', [oneHot(target), g.scalarF32(TARGET_LOGIT - OFF_LOGIT)]), g.op('Mul', [oneHot(alt), altWeight])]),
    g.scalarF32(OFF_LOGIT),
  ]);

  // Logits for the last `num_logits_to_keep` positions (0 = all), each the same row: the
  // script only defines the next token after the whole input.
  const seqLen = g.op('Gather', [g.op('Shape', [inputIds]), i64(1)], { axis: 0 });
  const kept = g.op('Where', [g.op('Greater', [keep, i64(0)]), g.op('Min', [keep, seqLen]), seqLen]);
  const outShape = g.op('Concat', [g.i64(1), g.op('Unsqueeze', [kept, g.i64(0)]), g.i64(VOCAB_SIZE)], { axis: 0 });
  const logitsType = kvType;
  let logits = g.op('Expand', [g.op('Reshape', [row, g.i64(1, 1, VOCAB_SIZE)]), outShape]);
  if (logitsType === DType.float16) logits = g.op('Cast', [logits], { to: DType.float16 });
  g.nodeWithOutputs('Identity', [logits], ['logits']);
  g.output('logits', logitsType, ['batch_size', 'sequence_length', VOCAB_SIZE]);

  return g.toBytes(17);
}

