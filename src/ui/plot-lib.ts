// The parts of Observable Plot the evaluation plot uses. Imported dynamically (by EvalPlot), so
// the library is a chunk of its own; named imports (not the namespace) let the bundler drop the
// marks we do not draw.
export { dot, line, plot } from '@observablehq/plot';
