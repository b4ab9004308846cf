import { describe, it, expect } from 'vitest';
import { IncrementalDecoder, type DecodeFn } from './detokenize.ts';
import { createRng } from './rng.ts';

const utf8 = new TextEncoder();
// ignoreBOM: a window starting at U+FEFF must not lose it (real tokenizers keep it).
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A fake byte-level tokenizer: each id stands for a byte sequence; decode
 * concatenates the bytes and decodes them as UTF-8 with replacement, exactly
 * as a byte-level BPE decoder does. Also counts the ids it is asked to decode.
 */
class FakeTokenizer {
  readonly vocab: Uint8Array[] = [];
  decodedIds = 0;
  decodeCalls = 0;

  add(bytes: readonly number[] | string): number {
    this.vocab.push(typeof bytes === 'string' ? utf8.encode(bytes) : Uint8Array.from(bytes));
    return this.vocab.length - 1;
  }

  readonly decode: DecodeFn = (ids) => {
    this.decodeCalls++;
    this.decodedIds += ids.length;
    let len = 0;
    for (const id of ids) len += this.vocab[id]!.length;
    const buf = new Uint8Array(len);
    let at = 0;
    for (const id of ids) {
      buf.set(this.vocab[id]!, at);
      at += this.vocab[id]!.length;
    }
    return textDecoder.decode(buf);
  };

  /** Splits text into tokens of 1..maxBytes bytes, cutting through characters freely. */
  tokenize(text: string, rng: { next(): number }, maxBytes = 3): number[] {
    const bytes = utf8.encode(text);
    const ids: number[] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = Math.min(bytes.length - i, 1 + Math.floor(rng.next() * maxBytes));
      ids.push(this.add(Array.from(bytes.subarray(i, i + n))));
      i += n;
    }
    return ids;
  }
}

function stream(dec: IncrementalDecoder, ids: readonly number[]): string[] {
  return ids.map((id) => dec.push(id));
}

describe('IncrementalDecoder', () => {
  it('holds back a character split over several tokens until it is complete', () => {
    const tok = new FakeTokenizer();
    const a = tok.add('a');
    // '∑' = E2 88 91, '😀' = F0 9F 98 80, 'é' = C3 A9
    const sum1 = tok.add([0xe2]);
    const sum2 = tok.add([0x88, 0x91]);
    const smile1 = tok.add([0xf0, 0x9f]);
    const smile2 = tok.add([0x98]);
    const smile3 = tok.add([0x80]);
    const e1 = tok.add([0xc3]);
    const e2 = tok.add([0xa9, 0x21]); // 'é' tail + '!'
    const dec = new IncrementalDecoder(tok.decode);
    const deltas = stream(dec, [a, sum1, sum2, smile1, smile2, smile3, e1, e2]);
    expect(deltas).toEqual(['a', '', '∑', '', '', '😀', '', 'é!']);
    expect(dec.flush()).toBe('');
    expect(dec.text).toBe('a∑😀é!');
  });

  it('never emits U+FFFD for valid text, and deltas concatenate to the full decode', () => {
    const text = 'Sum: ∑ᵢ xᵢ² = 😀 — café, naïve, 東京, 𝔽, Ω ≈ 2π\n\\frac{a}{b} 🧮👩‍👩‍👧';
    for (let seed = 0; seed < 50; seed++) {
      const tok = new FakeTokenizer();
      const ids = tok.tokenize(text, createRng(seed), 1 + (seed % 5));
      const dec = new IncrementalDecoder(tok.decode);
      const deltas = stream(dec, ids);
      for (const d of deltas) expect(d).not.toContain('\uFFFD');
      // Every intermediate text is a prefix of the final one.
      let acc = '';
      for (const d of deltas) {
        acc += d;
        expect(text.startsWith(acc)).toBe(true);
      }
      const rest = dec.flush();
      expect(acc + rest).toBe(text);
      expect(dec.text).toBe(tok.decode(ids));
    }
  });

  it('drops hidden ids: never decoded, never shown', () => {
    const tok = new FakeTokenizer();
    const think = tok.add('<think>');
    const endThink = tok.add('</think>');
    const ids = [think, ...tok.tokenize('Let me think… ∑', createRng(1)), endThink, ...tok.tokenize(' Answer: 42 😀', createRng(2))];
    const seen: number[][] = [];
    const dec = new IncrementalDecoder((xs) => {
      seen.push([...xs]);
      return tok.decode(xs);
    }, new Set([think, endThink]));
    expect(dec.push(think)).toBe('');
    const deltas = stream(dec, ids.slice(1));
    const out = deltas.join('') + dec.flush();
    expect(out).toBe('Let me think… ∑ Answer: 42 😀');
    expect(dec.text).toBe(out);
    expect(out).not.toContain('think>');
    for (const call of seen) {
      expect(call).not.toContain(think);
      expect(call).not.toContain(endThink);
    }
    const visible = ids.filter((id) => id !== think && id !== endThink);
    expect(out).toBe(tok.decode(visible));
  });

  it('flush returns an incomplete tail with replacement characters', () => {
    const tok = new FakeTokenizer();
    const a = tok.add('x');
    const half = tok.add([0xe2, 0x88]); // first two bytes of '∑'
    const dec = new IncrementalDecoder(tok.decode);
    expect(dec.push(a)).toBe('x');
    expect(dec.push(half)).toBe('');
    expect(dec.text).toBe('x');
    const rest = dec.flush();
    expect(rest).toBe('\uFFFD');
    expect(dec.text).toBe(tok.decode([a, half]));
    expect(dec.flush()).toBe('');
  });

  it('flush on an empty stream is empty, and pushing after flush starts afresh', () => {
    const tok = new FakeTokenizer();
    const dec = new IncrementalDecoder(tok.decode);
    expect(dec.flush()).toBe('');
    expect(dec.text).toBe('');
    const hi = tok.add('hi');
    dec.push(hi);
    dec.flush();
    expect(dec.push(tok.add(' there'))).toBe(' there');
    expect(dec.text).toBe('hi there');
  });

  it('uses the prefix window as context for decoders that depend on it', () => {
    // SentencePiece-style: '▁' marks a space, and decode drops a leading one.
    // Decoding tokens one at a time would lose every space.
    const pieces = ['▁Hello', ',', '▁world', '▁again', '!'];
    const decode: DecodeFn = (ids) => ids.map((i) => pieces[i]!).join('').replaceAll('▁', ' ').replace(/^ /, '');
    const dec = new IncrementalDecoder(decode);
    const deltas = stream(dec, [0, 1, 2, 3, 4]);
    expect(deltas).toEqual(['Hello', ',', ' world', ' again', '!']);
    expect(dec.text).toBe(decode([0, 1, 2, 3, 4]));
  });

  it('keeps U+FEFF mid-stream (window decodes must not eat a BOM)', () => {
    const tok = new FakeTokenizer();
    const ids = [tok.add('a'), tok.add('\uFEFF'), tok.add('b')];
    const dec = new IncrementalDecoder(tok.decode);
    expect(stream(dec, ids).join('') + dec.flush()).toBe('a\uFEFFb');
  });

  it('stays bounded on invalid bytes and still matches the full decode', () => {
    const tok = new FakeTokenizer();
    const cont = tok.add([0x80]); // a lone continuation byte: always U+FFFD
    const lead = tok.add([0xf0]); // a lead byte; 0x80 cannot follow F0, so never completed
    const a = tok.add('a');
    const ids: number[] = [];
    for (let i = 0; i < 2000; i++) ids.push(i % 100 === 99 ? a : i % 7 === 3 ? lead : cont);
    const dec = new IncrementalDecoder(tok.decode);
    const deltas = stream(dec, ids);
    expect(deltas.join('') + dec.flush()).toBe(tok.decode(ids));
    // Garbage is emitted as it comes (no unbounded hold), work stays small.
    expect(tok.decodedIds / ids.length).toBeLessThan(50);
    expect(dec.text.length).toBeGreaterThan(1900);
  });

  it('holds a long run of token splits inside multi-byte characters without emitting U+FFFD', () => {
    // Every token end lands inside a character for 15 tokens in a row.
    const tok = new FakeTokenizer();
    const bytes = Array.from(utf8.encode('😀😀😀😀😀😀😀😀😀😀'));
    const ids: number[] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = i === 0 ? 2 : 3; // 2, then 3s: offsets 2, 5, 8, ... never a multiple of 4 until the end
      ids.push(tok.add(bytes.slice(i, i + n)));
      i += n;
    }
    const dec = new IncrementalDecoder(tok.decode);
    const deltas = stream(dec, ids);
    expect(ids.length).toBeGreaterThan(12);
    for (const d of deltas) expect(d).not.toContain('\uFFFD');
    expect(deltas.join('') + dec.flush()).toBe('😀'.repeat(10));
  });

  it('moves on past a long run of tokens that decode to nothing', () => {
    const tok = new FakeTokenizer();
    const empty = tok.add([]);
    const a = tok.add('a');
    const ids = [a, ...new Array<number>(1000).fill(empty), a, empty, a];
    const dec = new IncrementalDecoder(tok.decode);
    expect(stream(dec, ids).join('') + dec.flush()).toBe('aaa');
    expect(tok.decodedIds / ids.length).toBeLessThan(50);
  });

  it('keeps work per push bounded on a 5,000-token stream', () => {
    const tok = new FakeTokenizer();
    const rng = createRng(9);
    const alphabet = ['a', 'b', ' ', '\n', 'é', '∑', '😀', '東', 'x²', '\\alpha'];
    let text = '';
    while (utf8.encode(text).length < 16_000) text += alphabet[Math.floor(rng.next() * alphabet.length)];
    const ids = tok.tokenize(text, rng, 4).slice(0, 5000);
    expect(ids.length).toBe(5000);
    const dec = new IncrementalDecoder(tok.decode);
    let maxPerPush = 0;
    for (const id of ids) {
      const before = tok.decodedIds;
      dec.push(id);
      maxPerPush = Math.max(maxPerPush, tok.decodedIds - before);
    }
    dec.flush();
    expect(dec.text).toBe(tok.decode(ids));
    const avg = tok.decodedIds / ids.length;
    expect(avg).toBeLessThan(50);
    // In practice a push decodes the last couple of tokens, twice.
    expect(avg).toBeLessThan(8);
    expect(maxPerPush).toBeLessThan(30);
    expect(tok.decodeCalls / ids.length).toBeLessThan(3);
  });

  it('re-decoding everything would be quadratic: sanity check of the counter', () => {
    // The naive approach decodes ~n²/2 ids over n pushes; the counter sees it.
    const tok = new FakeTokenizer();
    const ids = tok.tokenize('abc'.repeat(100), createRng(3));
    for (let i = 1; i <= ids.length; i++) tok.decode(ids.slice(0, i));
    expect(tok.decodedIds / ids.length).toBeGreaterThan(50);
  });
});
