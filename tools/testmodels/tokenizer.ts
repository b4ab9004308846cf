// A generated DeepSeek-R1-Distill-style tokenizer: byte-level BPE with the real special ids,
// the real chat template, and a small vocabulary of words that the scripted model speaks.
// Ids that the real tokenizer uses for ordinary text are filled with placeholders so that
// every special token keeps its real id.

export const SPECIAL = {
  eos: 151643,
  user: 151644,
  assistant: 151645,
  bos: 151646,
  eot: 151647,
  thinkOpen: 151648,
  thinkClose: 151649,
} as const;

export const VOCAB_SIZE = 151936;
/** Ids NUM_BASE + n (n < NUM_COUNT) decode to " n": the scripted solution states counts in one token. */
export const NUM_BASE = 30000;
export const NUM_COUNT = 100000;

// The DeepSeek-R1-Distill-Qwen chat template, verbatim (its generation prompt ends in
// `<｜Assistant｜><think>\n`).
export const CHAT_TEMPLATE = String.raw`{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` + '```json' + String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` + '```' + String.raw`' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` + '```json' + String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` + '```' + String.raw`' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %}`;

// Added tokens as the real tokenizer lists them; only BOS and EOS are `special`.
const ADDED: readonly (readonly [number, string, boolean])[] = [
  [151643, '<｜end▁of▁sentence｜>', true],
  [151644, '<｜User｜>', false],
  [151645, '<｜Assistant｜>', false],
  [151646, '<｜begin▁of▁sentence｜>', true],
  [151647, '<|EOT|>', false],
  [151648, '<think>', false],
  [151649, '</think>', false],
  [151650, '<|quad_start|>', false],
  [151651, '<|quad_end|>', false],
  [151652, '<|vision_start|>', false],
  [151653, '<|vision_end|>', false],
  [151654, '<|vision_pad|>', false],
  [151655, '<|image_pad|>', false],
  [151656, '<|video_pad|>', false],
  [151657, '<tool_call>', false],
  [151658, '</tool_call>', false],
  [151659, '<|fim_prefix|>', false],
  [151660, '<|fim_middle|>', false],
  [151661, '<|fim_suffix|>', false],
  [151662, '<|fim_pad|>', false],
  [151663, '<|repo_name|>', false],
  [151664, '<|file_sep|>', false],
];

/**
 * GPT-2's byte order, which Qwen's byte-level BPE uses for its first 256 ids: printable bytes
 * first (each stands for itself), then the rest, mapped to code points from 256 on.
 */
const BYTE_ORDER: readonly number[] = (() => {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) bs.push(b);
  return bs;
})();

/** Byte → its character in the vocabulary. */
const BYTE_TO_CHAR: readonly string[] = (() => {
  const table: string[] = new Array(256);
  let extra = 0;
  BYTE_ORDER.forEach((b, i) => (table[b] = String.fromCodePoint(i < 188 ? b : 256 + extra++)));
  return table;
})();

/** Byte-level form of a text, as it appears in the vocabulary. */
export function byteLevel(text: string): string {
  return [...new TextEncoder().encode(text)].map((b) => BYTE_TO_CHAR[b]).join('');
}

export interface Vocabulary {
  /** Word → id for the words the scripts use (texts as decoded, e.g. " Let"). */
  readonly words: ReadonlyMap<string, number>;
  readonly tokenizerJson: string;
  readonly tokenizerConfigJson: string;
  /** Decodes ids the way the generated tokenizer does (for expectations in tests). */
  decode(ids: readonly number[]): string;
}

const WORD_BASE = 256;

export function buildVocabulary(words: readonly string[]): Vocabulary {
  const unique = [...new Set(words)];
  if (WORD_BASE + unique.length > NUM_BASE) throw new Error('too many script words');
    const vocab: Record<string, number> = {};
  const idToText = new Map<number, string>();
  BYTE_ORDER.forEach((b, id) => {
    vocab[BYTE_TO_CHAR[b]!] = id;
    idToText.set(id, new TextDecoder().decode(new Uint8Array([b])));
  });
  const wordIds = new Map<string, number>();
  let next = WORD_BASE;
  for (const w of unique) {
    const key = byteLevel(w);
    const num = /^ (\d+)$/.exec(w);
    if (num && Number(num[1]) < NUM_COUNT) {
      // " 7" is a number token, shared with the counts the solution states.
      wordIds.set(w, NUM_BASE + Number(num[1]));
      continue;
    }
    const existing = vocab[key];
    if (existing !== undefined) {
      // A one-byte word ("\n") is its byte token.
      wordIds.set(w, existing);
      continue;
    }
    vocab[key] = next;
    wordIds.set(w, next);
    idToText.set(next, w);
    next++;
  }
  for (let id = next; id < SPECIAL.eos; id++) {
    if (id >= NUM_BASE && id < NUM_BASE + NUM_COUNT) {
      const text = ` ${id - NUM_BASE}`;
      vocab[byteLevel(text)] = id;
      idToText.set(id, text);
    } else {
      // Placeholders keep the real ids of the special tokens; nothing emits them.
      vocab[`<unused_${id}>`] = id;
    }
  }
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ADDED.map(([id, content, special]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
          },
          behavior: 'Isolated',
          invert: false,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<｜begin▁of▁sentence｜>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<｜begin▁of▁sentence｜>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<｜begin▁of▁sentence｜>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: {
        '<｜begin▁of▁sentence｜>': { id: '<｜begin▁of▁sentence｜>', ids: [SPECIAL.bos], tokens: ['<｜begin▁of▁sentence｜>'] },
      },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [] as string[],
    },
  };
  const added_tokens_decoder = Object.fromEntries(
    ADDED.map(([id, content, special]) => [
      String(id),
      { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special },
    ]),
  );
  const tokenizerConfig = {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder,
    bos_token: '<｜begin▁of▁sentence｜>',
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<｜end▁of▁sentence｜>',
    legacy: true,
    model_max_length: 16384,
    pad_token: '<｜end▁of▁sentence｜>',
    sp_model_kwargs: {},
    tokenizer_class: 'LlamaTokenizerFast',
    unk_token: null,
    use_default_system_prompt: false,
  };
  for (const [id, content] of ADDED) idToText.set(id, content);
  return {
    words: wordIds,
    tokenizerJson: JSON.stringify(tokenizer),
    tokenizerConfigJson: JSON.stringify(tokenizerConfig, null, 2),
    decode: (ids) => ids.map((id) => idToText.get(id) ?? '').join(''),
  };
}
