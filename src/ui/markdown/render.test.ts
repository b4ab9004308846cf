import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './render.ts';
import { blockRuns, MAX_OPEN_MATH_LINES, splitBlocks } from './split-blocks.ts';
import { KATEX_OPTIONS, MAX_TEX_CHARS } from './tex.ts';

/** Text of the HTML with tags removed and the common entities decoded (KaTeX's MathML dropped). */
function visibleText(html: string): string {
  return html
    .replace(/<math[\s\S]*?<\/math>/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The TeX sources KaTeX typeset (from its MathML annotation), in order. */
function texSources(html: string): string[] {
  return [...html.matchAll(/<annotation encoding="application\/x-tex">([\s\S]*?)<\/annotation>/g)].map((m) =>
    (m[1] ?? '').trim(),
  );
}

/** Every `<span class="katex-error" …>…</span>`'s text. */
function katexErrors(html: string): string[] {
  return [...html.matchAll(/<span class="katex-error"[^>]*>([\s\S]*?)<\/span>/g)].map((m) => m[1] ?? '');
}

/** Names of all attributes of all tags in the HTML. */
function attributeNames(html: string): string[] {
  const names: string[] = [];
  for (const tag of html.matchAll(/<[a-zA-Z][^>]*>/g)) {
    const attrs = tag[0].replace(/^<[a-zA-Z0-9-]+/, '').replace(/"[^"]*"/g, '""');
    for (const a of attrs.matchAll(/([^\s=/>]+)\s*=/g)) names.push((a[1] ?? '').toLowerCase());
  }
  return names;
}

describe('renderMarkdown: math', () => {
  it('renders $…$ inline and $$…$$ as display math', () => {
    const inline = renderMarkdown('Let $x^2 + 1$ be positive.');
    expect(inline).toContain('class="katex"');
    expect(inline).not.toContain('katex-display');
    expect(texSources(inline)).toEqual(['x^2 + 1']);
    expect(visibleText(inline)).toMatch(/^Let .* be positive\.\s*$/);

    const display = renderMarkdown('We get\n\n$$\n\\frac{a}{b} = c\n$$\n\nso done.');
    expect(display).toContain('class="katex-display"');
    expect(texSources(display)).toEqual(['\\frac{a}{b} = c']);
    expect(display).toContain('<p>so done.</p>');
  });

  it('renders \\(…\\) inline and \\[…\\] as display math, on their own lines or mid-paragraph', () => {
    const html = renderMarkdown('Since \\(a+b=3\\), we have\n\\[\nab \\le \\tfrac94\n\\]\nand also \\[c=1\\] here.');
    expect(texSources(html)).toEqual(['a+b=3', 'ab \\le \\tfrac94', 'c=1']);
    expect(html.match(/class="katex-display"/g)).toHaveLength(2);
    expect(visibleText(html)).toContain('here.');
    expect(visibleText(html)).not.toContain('\\[');
  });

  it('renders $$…$$ mid-line and does not let a line starting with $$x$$ swallow what follows', () => {
    const html = renderMarkdown('$$x=1$$ is the answer.\n\nMore text, and $$y$$ inline.');
    expect(texSources(html)).toEqual(['x=1', 'y']);
    expect(html).toContain('is the answer.</p>');
    expect(html).toMatch(/<p>More text, and <span class="katex-display">/);
  });

  it('does not let a line starting with \\[x\\] swallow text up to a later \\]', () => {
    const html = renderMarkdown('\\[x\\] is the answer.\n\nThen\n\\[\ny\n\\]');
    expect(texSources(html)).toEqual(['x', 'y']);
    expect(html).toContain('is the answer.</p>');
    expect(html).toContain('<p>Then</p>');
  });

  it('pairs a mid-line $$ opener with the $$ closer on its own line', () => {
    const html = renderMarkdown('Then $$\nx = 2\n$$\nso x is even.\n\nNext:\n$$\ny = 3\n$$');
    expect(texSources(html)).toEqual(['x = 2', 'y = 3']);
    expect(html).toContain('<p>Next:</p>');
    expect(katexErrors(html)).toEqual([]);
  });

  it('renders a bare \\boxed{…} outside delimiters, and \\boxed inside math', () => {
    const bare = renderMarkdown('**Final Answer**: \\boxed{\\frac{1}{2}}.');
    expect(texSources(bare)).toEqual(['\\boxed{\\frac{1}{2}}']);
    expect(bare).toContain('<strong>Final Answer</strong>');
    expect(texSources(renderMarkdown('\\[\n\\boxed{42}\n\\]'))).toEqual(['\\boxed{42}']);
  });

  it('keeps code spans and fences literal', () => {
    const html = renderMarkdown('Use `$x$` or\n\n```js\nconst s = "$$a$$";\n```');
    expect(html).not.toContain('class="katex"');
    expect(html).toContain('<code>$x$</code>');
    expect(html).toContain('<pre><code class="language-js">const s = &quot;$$a$$&quot;;\n</code></pre>');
  });

  it('renders lists, bold and headings', () => {
    const html = renderMarkdown('## Steps\n\n1. **Add** $1+1$.\n2. Done.\n');
    expect(html).toContain('<h2>Steps</h2>');
    expect(html).toMatch(/<ol>\s*<li><strong>Add<\/strong> <span class="katex">/);
  });
});

describe('renderMarkdown: streaming tails', () => {
  const unfinished = ['We have $\\frac{1}{', '$$x = ', 'text \\[', '```js\ncode', 'so \\(a+', '$$\n\\frac{1}{2', '\\[\nx = '];

  it.each(unfinished)('%j renders as plain text / code, without KaTeX errors', (tail) => {
    const html = renderMarkdown(tail);
    expect(katexErrors(html)).toEqual([]);
    expect(html).not.toContain('class="katex"');
    if (tail.startsWith('```')) {
      expect(html).toBe('<pre><code class="language-js">code</code></pre>\n');
    } else {
      // what the model wrote so far, delimiters and backslashes included
      expect(visibleText(html).replace(/\s+/g, ' ').trim()).toBe(tail.replace(/\s+/g, ' ').trim());
    }
  });

  it.each(unfinished.filter((t) => !t.startsWith('```')))('%j does not swallow the text after it', (tail) => {
    const html = renderMarkdown(`${tail}\n\nLater paragraph with $y$.`);
    expect(katexErrors(html)).toEqual([]);
    expect(html).toMatch(/<p>Later paragraph with <span class="katex">/);
    expect(texSources(html)).toEqual(['y']);
  });

  it('an unfinished \\frac{ inside closed $…$ is confined KaTeX error text', () => {
    const html = renderMarkdown('So $\\frac{1}{$ and then $z$ follows.');
    const errors = katexErrors(html);
    expect(errors).toEqual(['\\frac{1}{']);
    expect(texSources(html)).toEqual(['z']);
    expect(visibleText(html)).toContain('and then');
    expect(visibleText(html)).toContain('follows.');
  });

  it('never throws, for arbitrary prefixes and odd inputs', () => {
    const nasty = '$$\\[\\(`$~~~\n```\n\\]$$$ \\boxed{{{ \\frac{ **_ > - 1. | a |\n|---|\n\u0000\uffff\ud800';
    for (let i = 0; i <= nasty.length; i++) {
      expect(() => renderMarkdown(nasty.slice(0, i))).not.toThrow();
      expect(() => renderMarkdown(nasty.slice(i))).not.toThrow();
    }
    expect(() => renderMarkdown(undefined as unknown as string)).not.toThrow();
    // anything that does throw inside falls back to escaped text
    const evil = { toString: () => { throw new Error('boom <b>'); } } as unknown as string;
    expect(renderMarkdown(evil)).toBe('<pre class="md-fallback" title="boom &lt;b&gt;"></pre>');
  });
});

describe('renderMarkdown: untrusted input', () => {
  const hostile = [
    '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>',
    'a <b onmouseover="alert(1)">b</b>',
    '<a href="javascript:alert(1)">x</a>',
    '[click](javascript:alert(1)) and <javascript:alert(1)> and [d](data:text/html;base64,PHNjcmlwdD4=)',
    '![x](https://example.com/pixel.png)',
    '$\\href{javascript:alert(1)}{x}$ $\\url{javascript:alert(1)}$ $\\htmlClass{x}{y}$ $\\htmlData{onclick=alert(1)}{y}$',
    '$\\includegraphics{https://example.com/a.png}$',
    '$<img src=x onerror=alert(1)>$ and $$</p><script>alert(1)</script>$$',
    '```html\n<script>alert(1)</script>\n```',
    '\\boxed{<img src=x onerror=alert(1)>}',
  ];

  it.each(hostile)('%j yields no tags, event handlers or script URLs', (src) => {
    const html = renderMarkdown(src);
    expect(html).not.toMatch(/<(script|img|iframe|object|embed|style|svg|form|input)\b/i);
    expect(attributeNames(html).filter((n) => n.startsWith('on'))).toEqual([]);
    expect(html).not.toMatch(/(href|src)\s*=\s*"\s*(javascript|data|vbscript):/i);
  });

  it('shows raw HTML as text', () => {
    expect(renderMarkdown('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n');
    expect(renderMarkdown('x <img src=x onerror=alert(1)> y')).toBe('<p>x &lt;img src=x onerror=alert(1)&gt; y</p>\n');
  });

  it('links get rel=noopener and open in a new tab', () => {
    expect(renderMarkdown('[a](https://example.com)')).toBe(
      '<p><a href="https://example.com" rel="noopener noreferrer nofollow" target="_blank">a</a></p>\n',
    );
  });

  it('a self-expanding macro stops with error text', () => {
    for (const src of ['$\\def\\a{\\a\\a}\\a$', '$\\def\\a{\\a\\a\\a\\a}\\a$', '$\\gdef\\b{\\b\\b}\\b$', '$$\\newcommand{\\c}{\\c\\c}\\c$$']) {
      const html = renderMarkdown(src);
      expect(katexErrors(html)).toHaveLength(1);
    }
  });

  it('huge sizes are capped and deep nesting finishes', () => {
    const rule = renderMarkdown('$\\rule{10000em}{10000em}$ $\\kern{50000em}$');
    expect(rule).toContain('class="katex"');
    const withoutSource = rule.replace(/<annotation[\s\S]*?<\/annotation>/g, '');
    expect(withoutSource).toMatch(/border-top-width:20em/);
    expect(withoutSource).not.toMatch(/[0-9]{3,}(\.[0-9]+)?em/);

    const underbraces = `$${'\\underbrace{'.repeat(300)}x${'}'.repeat(300)}$`;
    const braces = `${'{'.repeat(2_000)}x${'}'.repeat(2_000)}`; // KaTeX: RangeError (call stack)
    const sqrts = `${'\\sqrt{'.repeat(1000)}x${'}'.repeat(1000)}`; // KaTeX: RangeError (call stack)
    const huge = `${'{'.repeat(5_000)}x${'}'.repeat(5_000)}`;
    expect(huge.length).toBeGreaterThan(MAX_TEX_CHARS);
    expect(renderMarkdown(underbraces)).toContain('class="katex"');
    for (const tex of [braces, sqrts, huge]) {
      const html = renderMarkdown(`Before $${tex}$ after.\n\nNext.`);
      // confined to its formula: the paragraph around it and the next one still render
      expect(katexErrors(html)).toEqual([tex]);
      expect(html).toMatch(/^<p>Before <span class="katex-error"[^>]*>[^<]*<\/span> after\.<\/p>\n<p>Next\.<\/p>\n$/);
    }
    expect(renderMarkdown(`$${huge}$`)).toContain(`title="Formula longer than ${MAX_TEX_CHARS} characters"`);
  });

  it('KaTeX runs untrusted, with finite limits', () => {
    expect(KATEX_OPTIONS).toMatchObject({ throwOnError: false, trust: false, strict: 'ignore' });
    expect(KATEX_OPTIONS.maxExpand).toBeLessThanOrEqual(1000);
    expect(KATEX_OPTIONS.maxSize).toBeLessThanOrEqual(50);
    expect(KATEX_OPTIONS.macros).toBeUndefined();
  });

  it('a \\gdef in one formula does not define anything for the next', () => {
    const html = renderMarkdown('$\\gdef\\foo{HACKED}$ then $\\foo$');
    expect(visibleText(html)).not.toContain('HACKED');
    // KaTeX prints an undefined command in its error colour inside the formula
    expect(html).toMatch(/<span class="mord" style="color:#cc0000;">\\foo<\/span>/);
  });
});

// A long R1-style answer: lists with indented continuations, $$ and \[ blocks with blank lines
// inside, a code fence with blank lines and $$ inside, inline code with $$, a mid-line $$ opener.
const SAMPLE = [
  'Okay, so I need to find $x$ such that $x^2 = 4$. Hmm.',
  '',
  'First, recall:',
  '',
  '$$',
  'x^2 - 4 = 0',
  '',
  '(x-2)(x+2) = 0',
  '$$',
  '',
  '1. **Case 1**: \\(x = 2\\).',
  '',
  '   \\[',
  '   2^2 = 4',
  '',
  '   \\]',
  '',
  '2. **Case 2**: $x = -2$.',
  '',
  '```python',
  'import sympy',
  '',
  'print("$$")  # not math',
  '',
  '```',
  '',
  'Inline code `$$` does not open math.',
  '',
  'And $a$$b$ are two formulas.',
  '',
  'Then $$',
  'y = 1',
  '',
  '$$ closes it.',
  '',
  '~~~~',
  '\\[',
  '',
  '~~~~',
  '',
  '> quote with $q$',
  '',
  '    indented code',
  '',
  'Wait, let me double-check.',
  '',
  '',
  'So the answer is \\(\\boxed{2}\\) or $\\boxed{-2}$.',
  '',
  '**Final Answer**',
  '\\[',
  '\\boxed{\\pm 2}',
  '\\]',
  '',
].join('\n');

describe('splitBlocks', () => {
  it('splits the sample at safe blank lines only', () => {
    const { stable, tail } = splitBlocks(SAMPLE);
    expect(stable).toEqual([
      'Okay, so I need to find $x$ such that $x^2 = 4$. Hmm.\n\n',
      'First, recall:\n\n',
      '$$\nx^2 - 4 = 0\n\n(x-2)(x+2) = 0\n$$\n\n',
      '1. **Case 1**: \\(x = 2\\).\n\n   \\[\n   2^2 = 4\n\n   \\]\n\n',
      '2. **Case 2**: $x = -2$.\n\n',
      '```python\nimport sympy\n\nprint("$$")  # not math\n\n```\n\n',
      'Inline code `$$` does not open math.\n\n',
      'And $a$$b$ are two formulas.\n\n',
      'Then $$\ny = 1\n\n$$ closes it.\n\n',
      '~~~~\n\\[\n\n~~~~\n\n',
      '> quote with $q$\n\n    indented code\n\n',
      'Wait, let me double-check.\n\n\n',
      'So the answer is \\(\\boxed{2}\\) or $\\boxed{-2}$.\n\n',
    ]);
    expect(tail).toBe('**Final Answer**\n\\[\n\\boxed{\\pm 2}\n\\]\n');
  });

  it('is exact and stable for every prefix (cut at each character)', () => {
    const full = splitBlocks(SAMPLE).stable;
    const check = (n: number) => {
      const prefix = SAMPLE.slice(0, n);
      const { stable, tail } = splitBlocks(prefix);
      expect(stable.join('') + tail).toBe(prefix);
      expect(stable).toEqual(full.slice(0, stable.length));
      expect(stable.every((b) => b.length > 0)).toBe(true);
      return stable.length;
    };
    // growing, as while streaming (exercises the incremental path) …
    let previous = 0;
    for (let n = 0; n <= SAMPLE.length; n++) {
      const count = check(n);
      expect(count).toBeGreaterThanOrEqual(previous);
      previous = count;
    }
    // … and in a scrambled order (mostly full rescans)
    for (let n = SAMPLE.length; n >= 0; n -= 7) check(n);
    for (let k = 0; k <= SAMPLE.length; k++) check((k * 7919) % (SAMPLE.length + 1));
  });

  it('every stable block renders the same alone as when more text follows it', () => {
    const { stable } = splitBlocks(SAMPLE);
    const rendered = stable.map((b) => renderMarkdown(b));
    expect(rendered.some((h) => h.includes('katex-error'))).toBe(false);
    // the $$ block with a blank line inside is one formula
    expect(texSources(rendered[2] ?? '')).toEqual(['x^2 - 4 = 0\n\n(x-2)(x+2) = 0']);
    // the indented \[ … \] stays inside its list item
    expect(rendered[3]).toMatch(/<li>[\s\S]*katex-display[\s\S]*<\/li>/);
  });

  it('does not split inside an open $$, \\[ or fence, nor before an indented line', () => {
    for (const open of ['$$\na', '\\[\na', '```\na', '~~~\na', 'x $$ a', 'x \\[ a']) {
      const text = `${open}\n\n  \n\nb\n\nc`;
      expect(splitBlocks(text)).toEqual({ stable: [], tail: text });
    }
    expect(splitBlocks('1. item\n\n   more\n\nc')).toEqual({ stable: ['1. item\n\n   more\n\n'], tail: 'c' });
    // a blank line closes a block only once the next line has started in column 0
    expect(splitBlocks('a\n\n')).toEqual({ stable: [], tail: 'a\n\n' });
    expect(splitBlocks('a\n\n ')).toEqual({ stable: [], tail: 'a\n\n ' });
    expect(splitBlocks('a\n\nb')).toEqual({ stable: ['a\n\n'], tail: 'b' });
    expect(splitBlocks('a\r\n\r\nb')).toEqual({ stable: ['a\r\n\r\n'], tail: 'b' });
    expect(splitBlocks('')).toEqual({ stable: [], tail: '' });
  });

  it('a stray $$ stops blocking splits after MAX_OPEN_MATH_LINES lines', () => {
    const paragraphs = ['Costs $$ 5.', ...Array.from({ length: MAX_OPEN_MATH_LINES }, (_, i) => `line ${i}`)];
    const text = paragraphs.join('\n\n');
    const { stable, tail } = splitBlocks(text);
    expect(stable.join('') + tail).toBe(text);
    // one block: the opener line, MAX_OPEN_MATH_LINES more lines, the blank line that closes it …
    expect(stable[0]?.match(/\n/g)).toHaveLength(1 + MAX_OPEN_MATH_LINES + 1);
    // … then one block per paragraph
    expect(stable.length).toBe(MAX_OPEN_MATH_LINES / 2);
    expect(stable[1]).toBe(`line ${MAX_OPEN_MATH_LINES / 2}\n\n`);
  });
});

describe('blockRuns', () => {
  const blocks = (n: number, tag = 'b') => Array.from({ length: n }, (_, i) => `${tag}${i}\n\n`);

  it('holds every block once, in order, in runs of the given size', () => {
    for (const n of [0, 1, 3, 4, 5, 9]) {
      const runs = blockRuns(blocks(n), [], 4);
      expect(runs.flat()).toEqual(blocks(n));
      expect(runs.map((r) => r.length)).toEqual(Array.from({ length: Math.ceil(n / 4) }, (_, k) => Math.min(4, n - 4 * k)));
    }
  });

  it('keeps the same array for a run whose blocks did not change, a new one where they did', () => {
    const first = blockRuns(blocks(6), [], 4);
    // the answer grew by one block: the full run is kept, the partial one is new
    const grown = blockRuns(blocks(7), first, 4);
    expect(grown[0]).toBe(first[0]);
    expect(grown[1]).not.toBe(first[1]);
    expect(grown[1]).toEqual(blocks(7).slice(4));
    // nothing new: both runs kept
    const same = blockRuns(blocks(7), grown, 4);
    expect(same[0]).toBe(grown[0]);
    expect(same[1]).toBe(grown[1]);
    // another answer (same count, other text): nothing is kept
    const other = blockRuns(blocks(7, 'c'), same, 4);
    expect(other[0]).not.toBe(same[0]);
    expect(other.flat()).toEqual(blocks(7, 'c'));
    // a shorter answer: fewer runs, the changed one rebuilt
    const shorter = blockRuns(blocks(2), other, 4);
    expect(shorter).toEqual([blocks(2)]);
  });
});
