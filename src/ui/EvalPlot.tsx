// Accuracy against mean tokens: one line per model measured here, the model card's AIME 2024
// points drawn for reference. Library: Observable Plot (ISC, @observablehq/plot, kept by
// Observable). Chosen for accessibility and a small API: it draws SVG (so the figure is in the
// DOM, scales, prints and screenshots crisply), takes `ariaLabel`/`ariaDescription` for the
// figure and every mark, and a `title` channel that becomes a <title> (a native tooltip, read by
// screen readers) on each point. Canvas libraries (Chart.js ~60 kB gzipped, uPlot ~20 kB) draw
// pixels a screen reader cannot read; Chartist (~12 kB) is SVG but has no ARIA support of its
// own. Cost: ~92 kB gzipped, in a chunk of its own that this module pulls in the first time a
// plot is shown (this module is itself imported lazily), never in the page's initial JavaScript.
// The table beside the plot carries the same numbers as text.
import { useEffect, useRef, useState } from 'react';
import { PAPER_AIME2024, type TableRow } from '../core/avgk.ts';
import { budgetLabel } from '../core/evaluation.ts';

interface Point {
  readonly series: string;
  readonly tokens: number;
  readonly accuracy: number;
  readonly label: string;
  readonly paper: boolean;
}

export function plotPoints(rows: readonly TableRow[]): Point[] {
  const measured = rows
    .filter((r) => r.samples > 0)
    .map((r) => ({ series: r.model, tokens: r.tokens, accuracy: 100 * r.accuracy, label: `${r.model}, t ${budgetLabel(r.budget)}: ${(100 * r.accuracy).toFixed(1)}% at ${r.tokens.toFixed(0)} tokens`, paper: false }));
  const paper = PAPER_AIME2024.flatMap((m) =>
    m.points.map((p) => ({ series: `${m.model} (paper, AIME 2024)`, tokens: p.tokens, accuracy: p.accuracy, label: `Paper: ${m.model}, ${p.label}: ${p.accuracy}% at ${p.tokens} tokens`, paper: true })),
  );
  return [...measured, ...paper];
}

export default function EvalPlot({ rows }: { rows: readonly TableRow[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    let figure: Element | null = null;
    void import('./plot-lib.ts')
      .then((Plot) => {
        if (cancelled || !box.current) return;
        const points = plotPoints(rows);
        const byTokens = [...points].sort((a, b) => a.tokens - b.tokens);
        const measured = byTokens.filter((p) => !p.paper);
        const paper = byTokens.filter((p) => p.paper);
        figure = Plot.plot({
          width: Math.max(320, Math.min(760, box.current.clientWidth || 640)),
          height: 340,
          marginLeft: 50,
          grid: true,
          ariaLabel: 'Accuracy against mean tokens',
          ariaDescription: 'One line per model measured here; dashed lines and hollow points are the paper’s AIME 2024 figures.',
          // log: budgets grow geometrically (512 … 3072) and the unconstrained points sit far right
          x: { label: 'Mean tokens (thinking + solution) →', type: 'log', domain: [Math.min(...points.map((p) => p.tokens)) / 1.3, Math.max(...points.map((p) => p.tokens)) * 1.3] },
          y: { label: '↑ Accuracy (%)', domain: [0, Math.max(50, ...points.map((p) => p.accuracy))] },
          color: { legend: true },
          marks: [
            // ariaLabel is a channel (one label per point or line); ariaDescription names the mark.
            Plot.line(paper, { x: 'tokens', y: 'accuracy', stroke: 'series', strokeDasharray: '4,3', strokeOpacity: 0.6, ariaLabel: 'series', ariaDescription: 'paper lines' }),
            Plot.dot(paper, { x: 'tokens', y: 'accuracy', stroke: 'series', fill: 'white', r: 3, title: 'label', ariaLabel: 'label', ariaDescription: 'paper points' }),
            Plot.line(measured, { x: 'tokens', y: 'accuracy', stroke: 'series', strokeWidth: 2, ariaLabel: 'series', ariaDescription: 'measured lines' }),
            Plot.dot(measured, { x: 'tokens', y: 'accuracy', fill: 'series', r: 4, title: 'label', ariaLabel: 'label', ariaDescription: 'measured points' }),
          ],
        });
        box.current.replaceChildren(figure);
      })
      .catch((e: unknown) => setFailed(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
      figure?.remove();
    };
  }, [rows]);
  return (
    <figure className="eval-plot" data-testid="eval-plot">
      <div ref={box} />
      <figcaption className="muted">
        {failed ? `The plot could not be drawn: ${failed}` : 'Accuracy against mean tokens; hollow points and dashed lines: the paper’s AIME 2024 figures.'}
      </figcaption>
    </figure>
  );
}
