// Run: npx tsx tools/bench-markdown.ts
//
// What streaming costs the page per batch of tokens: the incremental renderer (finished blocks
// rendered once, only the tail re-rendered — what StreamingMarkdown does through React.memo)
// against rendering the whole text again on every batch. Same text, same batches, one run;
// prints ms per batch and the ratio.
import { renderMarkdown } from '../src/ui/markdown/render.ts';
import { splitBlocks } from '../src/ui/markdown/split-blocks.ts';
import { THINK_WORDS } from './testmodels/scripted-model.ts';

const TOKENS = 6000;
const BATCH = 4; // tokens per animation frame at ~240 tokens/s
const words = Array.from({ length: TOKENS }, (_, i) => THINK_WORDS[i % THINK_WORDS.length]!);

function incremental(): number {
  const rendered = new Map<string, string>(); // stands in for React.memo on stable blocks
  let text = '';
  const t0 = performance.now();
  for (let i = 0; i < TOKENS; i += BATCH) {
    text += words.slice(i, i + BATCH).join('');
    const { stable, tail } = splitBlocks(text);
    for (const b of stable) if (!rendered.has(b)) rendered.set(b, renderMarkdown(b));
    renderMarkdown(tail);
  }
  return performance.now() - t0;
}

function naive(): number {
  let text = '';
  const t0 = performance.now();
  for (let i = 0; i < TOKENS; i += BATCH) {
    text += words.slice(i, i + BATCH).join('');
    renderMarkdown(text);
  }
  return performance.now() - t0;
}

incremental(); // warm up KaTeX and the JIT
const batches = Math.ceil(TOKENS / BATCH);
const inc = incremental();
const nai = naive();
console.log(`${TOKENS} tokens in ${batches} batches of ${BATCH}`);
console.log(`incremental (stable blocks once, tail per batch): ${(inc / batches).toFixed(3)} ms/batch, ${inc.toFixed(0)} ms total`);
console.log(`whole text per batch:                             ${(nai / batches).toFixed(3)} ms/batch, ${nai.toFixed(0)} ms total`);
console.log(`ratio: ${(nai / inc).toFixed(1)}x less work per frame with the incremental renderer`);
