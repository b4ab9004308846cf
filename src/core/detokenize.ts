/**
 * Incremental detokenization for streaming, after vLLM's
 * `detokenize_incrementally` (the approach HF's TextStreamer also relies on).
 *
 * Decoding each token on its own is wrong twice over: byte-level BPE splits
 * multi-byte UTF-8 characters across tokens (each half decodes to U+FFFD),
 * and tokenizers whose decode depends on context (e.g. dropping a leading
 * space) change text at token boundaries. Re-decoding everything each step is
 * right but O(n) per token. Instead keep two offsets into the ids:
 * prefixOffset..readOffset is text already emitted, kept as context, and
 * readOffset..end is new. Each push decodes only ids[prefixOffset:] and emits
 * what it adds beyond decode(ids[prefixOffset:readOffset]), unless the result
 * ends in U+FFFD, i.e. the last bytes may be an incomplete character.
 */

export type DecodeFn = (ids: readonly number[]) => string;

const REPLACEMENT = '\uFFFD';

/**
 * Held-back tokens beyond which invalid bytes, or tokens that decode to
 * nothing, are let through (see push), so that such a run cannot make the
 * window, and the work per push, grow without bound.
 */
const MAX_PENDING = 8;

export class IncrementalDecoder {
  readonly #decode: DecodeFn;
  readonly #hidden: ReadonlySet<number>;
  /** ids[prefixOffset:]; older ids are never decoded again. */
  #window: number[] = [];
  /** readOffset − prefixOffset. */
  #read = 0;
  /** decode(#window[0:#read]), cached while the offsets stay put. */
  #prefixText = '';
  #text = '';

  /** `hidden` ids (e.g. <think>, </think>) are dropped: never decoded, never shown. */
  constructor(decode: DecodeFn, hidden: ReadonlySet<number> = new Set()) {
    this.#decode = decode;
    this.#hidden = hidden;
  }

  /** All text emitted so far (the deltas concatenated). */
  get text(): string {
    return this.#text;
  }

  /** Adds one generated id; returns the newly finalised text ('' if none yet). */
  push(id: number): string {
    if (this.#hidden.has(id)) return '';
    const win = this.#window;
    win.push(id);
    const full = this.#decode(win);
    const prefixLen = this.#prefixText.length;
    const complete = !full.endsWith(REPLACEMENT);
    if (complete && full.length > prefixLen) return this.#advance(full, win.length);
    if (win.length - this.#read <= MAX_PENDING) return '';
    // Held back for long. If nothing is incomplete, the tokens decode to
    // nothing: move on (emits ''). A valid stream can also stay held for many
    // tokens when token splits keep landing inside multi-byte characters (any
    // token end on a character boundary would have been emitted above); then
    // the only U+FFFD is the trailing incomplete character, so keep waiting.
    // A U+FFFD before the end can only come from invalid bytes, which later
    // bytes cannot fix: emit.
    const fresh = full.indexOf(REPLACEMENT, prefixLen);
    if (complete || (fresh >= 0 && fresh < full.length - 1)) return this.#advance(full, win.length);
    return '';
  }

  /**
   * Returns whatever is still held back, even if incomplete (U+FFFD allowed).
   * Ends the stream: ids pushed afterwards are decoded without the earlier
   * ones as context.
   */
  flush(): string {
    let delta = '';
    if (this.#window.length > this.#read) {
      const full = this.#decode(this.#window);
      if (full.length > this.#prefixText.length) delta = full.slice(this.#prefixText.length);
    }
    this.#window = [];
    this.#read = 0;
    this.#prefixText = '';
    this.#text += delta;
    return delta;
  }

  /** Emits `upTo` = decode(#window[0:k]) beyond the prefix, then moves both offsets. */
  #advance(upTo: string, k: number): string {
    // Like vLLM, slice by length: the prefix's text is a prefix of upTo
    // because the window starts on a character boundary.
    const delta = upTo.slice(this.#prefixText.length);
    this.#window = this.#window.slice(this.#read);
    this.#read = k - this.#read;
    this.#prefixText = this.#decode(this.#window.slice(0, this.#read));
    this.#text += delta;
    return delta;
  }
}
