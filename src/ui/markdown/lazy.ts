// The Markdown + math renderer, on demand (issue 8, 2.6: the JS before the first interaction).
import { onDemand, useOnDemand } from '../on-demand.ts';

export type Renderer = typeof import('./engine.ts');

export const renderer = onDemand<Renderer>(() => import('./engine.ts'));

/** Starts loading the renderer without waiting for a view to need it (a model load began). */
export function preloadRenderer(): void {
  void renderer.load();
}

export function useRenderer() {
  return useOnDemand(renderer);
}
