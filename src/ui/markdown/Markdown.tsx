import { memo, useRef } from 'react';
import 'katex/dist/katex.min.css';
import './markdown.css';
import { renderMarkdown } from './render.ts';
import { splitBlocks, type SplitCache } from './split-blocks.ts';

/**
 * A finished block: rendered once. `splitBlocks` guarantees its text never changes while the
 * answer grows, so React.memo (string props compared by value) skips it on every later token.
 * The HTML comes from `renderMarkdown`: raw HTML in the source is escaped, KaTeX runs with
 * `trust: false`, links are checked by markdown-it's validateLink.
 */
const StableBlock = memo(function StableBlock({ source }: { source: string }) {
  return <div className="md-block" dangerouslySetInnerHTML={{ __html: renderMarkdown(source) }} />;
});

/** The part still being written: re-rendered on each token, unfinished delimiters shown as text. */
const TailBlock = memo(function TailBlock({ source, streaming }: { source: string; streaming: boolean }) {
  return (
    <div
      className={streaming ? 'md-block md-tail md-streaming' : 'md-block md-tail'}
      dangerouslySetInnerHTML={{ __html: renderMarkdown(source) }}
    />
  );
});

export function StreamingMarkdown({ text, streaming }: { text: string; streaming: boolean }) {
  // Each view keeps its own split cache, so panes streaming side by side each scan only their new text.
  const cache = useRef<SplitCache>({ last: null });
  const { stable, tail } = splitBlocks(text, cache.current);
  return (
    <div className="md-root">
      {stable.map((source, i) => (
        // Index keys: block i only ever holds one text while an answer streams; a new answer
        // with different text re-renders it through memo's prop comparison.
        <StableBlock key={i} source={source} />
      ))}
      {tail !== '' && <TailBlock key="tail" source={tail} streaming={streaming} />}
    </div>
  );
}
