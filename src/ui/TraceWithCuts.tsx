// A thinking trace with a marker at each cut: a sweep's lanes, or the re-cuts of a finished run.
import { Fragment } from 'react';
import { StreamingMarkdown } from './markdown/Markdown.tsx';

export interface TraceCut {
  /** Characters of the trace before the cut. */
  readonly at: number;
  readonly label: string;
}

export function TraceWithCuts({ text, cuts, streaming }: { text: string; cuts: readonly TraceCut[]; streaming: boolean }) {
  const sorted = [...cuts].sort((a, b) => a.at - b.at);
  const segments: { text: string; after: TraceCut | null }[] = [];
  let from = 0;
  for (const cut of sorted) {
    segments.push({ text: text.slice(from, cut.at), after: cut });
    from = Math.max(from, cut.at);
  }
  segments.push({ text: text.slice(from), after: null });
  return (
    <>
      {segments.map((seg, k) => (
        <Fragment key={k}>
          <StreamingMarkdown text={seg.text} streaming={streaming && k === segments.length - 1} />
          {seg.after && (
            <div className="cut-marker" role="separator" data-testid="cut-marker">
              {seg.after.label}
            </div>
          )}
        </Fragment>
      ))}
    </>
  );
}
