// Where in a trace's raw text a click landed: exact in the raw view; in the rendered view (Markdown,
// KaTeX) the rendered text around the click is looked up in the raw text.

/**
 * The text of `container` (cut markers and KaTeX's hidden MathML left out) and how many of its
 * characters come before the point (x, y); null when the point is not on its text.
 */
export function textAtPoint(container: Element, x: number, y: number): { text: string; offset: number } | null {
  const doc = container.ownerDocument;
  let node: Node | null = null;
  let offset = 0;
  const byPosition = (doc as Document & { caretPositionFromPoint?: (x: number, y: number) => { offsetNode: Node; offset: number } | null }).caretPositionFromPoint;
  if (byPosition) {
    const p = byPosition.call(doc, x, y);
    if (p) ({ offsetNode: node, offset } = p);
  } else {
    const r = doc.caretRangeFromPoint?.(x, y);
    if (r) ({ startContainer: node, startOffset: offset } = r);
  }
  if (!node || node.nodeType !== Node.TEXT_NODE || !container.contains(node)) return null;
  const walker = doc.createTreeWalker(container, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement?.closest('.cut-marker, .katex-mathml') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  let text = '';
  let at: number | null = null;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n === node) at = text.length + offset;
    text += n.textContent ?? '';
  }
  return at === null ? null : { text, offset: at };
}

/**
 * Maps an offset in rendered text to the raw text it came from: the words just before the click
 * are found in the raw text, at the occurrence nearest the same relative position; without a match,
 * the relative position itself.
 */
export function renderedToRaw(rendered: string, offset: number, raw: string): number {
  const guess = rendered.length === 0 ? 0 : Math.round((offset / rendered.length) * raw.length);
  for (const n of [24, 12, 6]) {
    const snippet = rendered.slice(Math.max(0, offset - n), offset);
    if (snippet.trim().length < 4) continue;
    let best: number | null = null;
    for (let i = raw.indexOf(snippet); i >= 0; i = raw.indexOf(snippet, i + 1)) {
      const end = i + snippet.length;
      if (best === null || Math.abs(end - guess) < Math.abs(best - guess)) best = end;
    }
    if (best !== null) return best;
  }
  return Math.min(raw.length, Math.max(0, guess));
}
