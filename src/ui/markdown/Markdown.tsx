import { memo, useRef } from 'react';
import './markdown.css';
import { useRenderer } from './lazy.ts';
import { blockRuns, splitBlocks, type SplitCache } from './split-blocks.ts';

type Render = (source: string) => string;

/**
 * A finished block: rendered once. `splitBlocks` guarantees its text never changes while the
 * answer grows, so React.memo (string props compared by value) skips it on every later token.
 * The HTML comes from `renderMarkdown`: raw HTML in the source is escaped, KaTeX runs with
 * `trust: false`, links are checked by markdown-it's validateLink.
 */
const StableBlock = memo(function StableBlock({ source, render }: { source: string; render: Render }) {
  return <div className="md-block" dangerouslySetInnerHTML={{ __html: render(source) }} />;
});

/** A run of finished blocks: the same array while nothing in it changes, so one comparison skips it. */
const BlockRun = memo(function BlockRun({ blocks, render }: { blocks: readonly string[]; render: Render }) {
  // Index keys: block i only ever holds one text while an answer streams; a new answer with
  // different text re-renders it through memo's prop comparison.
  return blocks.map((source, i) => <StableBlock key={i} source={source} render={render} />);
});

/** The part still being written: re-rendered on each token, unfinished delimiters shown as text. */
const TailBlock = memo(function TailBlock({ source, streaming, render }: { source: string; streaming: boolean; render: Render }) {
  return <div className={streaming ? 'md-block md-tail md-streaming' : 'md-block md-tail'} dangerouslySetInnerHTML={{ __html: render(source) }} />;
});

export function StreamingMarkdown({ text, streaming }: { text: string; streaming: boolean }) {
  const { module, error } = useRenderer();
  // Each view keeps its own split cache, so panes streaming side by side each scan only their new text.
  const cache = useRef<SplitCache>({ last: null });
  const runs = useRef<readonly (readonly string[])[]>([]);
  if (!module) {
    // Until the renderer's chunk is there (it loads with the first model load): the text as written.
    return (
      <div className="md-root">
        {error && <p className="muted">Formatting could not load ({error}): the text is shown as written.</p>}
        {text && <div className="md-block md-plain">{text}</div>}
      </div>
    );
  }
  const { stable, tail } = splitBlocks(text, cache.current);
  runs.current = blockRuns(stable, runs.current);
  const render = module.renderMarkdown;
  return (
    <div className="md-root">
      {runs.current.map((blocks, k) => (
        <BlockRun key={k} blocks={blocks} render={render} />
      ))}
      {tail !== '' && <TailBlock key="tail" source={tail} streaming={streaming} render={render} />}
    </div>
  );
}

/** A formula inline (a boxed answer); its source as written until the renderer has loaded. */
export function InlineTex({ tex, testId }: { tex: string; testId?: string }) {
  const { module } = useRenderer();
  if (!module) return <span data-testid={testId}>{tex}</span>;
  return <span data-testid={testId} dangerouslySetInnerHTML={{ __html: module.renderTex(tex, false) }} />;
}
