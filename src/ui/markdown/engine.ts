// The renderer's heavy half (markdown-it, @mdit/plugin-tex, KaTeX and its CSS: about 100 KB of
// gzipped JS), in its own chunk: loaded with the first model load or the first view that shows
// output (./lazy.ts), never before the first paint.
import 'katex/dist/katex.min.css';

export { renderMarkdown } from './render.ts';
export { renderTex } from './tex.ts';
