/**
 * Grading a final answer against a reference, the way the Elastic Reasoning paper's grader does
 * (SalesforceAIResearch/Elastic-Reasoning @ 8871a3c, rllm/rewards/math_utils/utils.py, called from
 * rllm/rewards/math_reward.py as `grade_answer_mathd(given, truth) or grade_answer_sympy(given, truth)`).
 *
 * Three stages, cheapest first; the first that says "equal" names the method:
 *  1. `exact`: the trimmed strings are identical.
 *  2. `normalized`: equal after `normalizeAnswer` (port of `mathd_normalize_answer` / `_strip_string`,
 *     Hendrycks' MATH normaliser) or after `normalizeAnswerLoose` (port of `_normalize`, the first step
 *     of `grade_answer_sympy`). Synchronous, no dependency: `gradeAnswer`.
 *  3. `symbolic`: the reference's `grade_answer_sympy` with SymPy replaced by a JavaScript CAS; its
 *     guards are kept (tuple/interval splitting with matching brackets, unreduced fractions compared
 *     as strings, an integer reference needs an integer answer, at most two unknowns). Asynchronous
 *     because the CAS is loaded on demand: `gradeAnswerAsync`.
 * This module is the grading API; stage 2a lives in normalize-math.ts, 2b in normalize-loose.ts, and
 * stage 3's vetting and equality in grade-symbolic.ts.
 *
 * Library for stage 3: @cortex-js/compute-engine (MIT, github.com/cortex-js/compute-engine, the CAS
 * behind MathLive). Chosen because it parses LaTeX itself (`ce.parse('\\frac{3\\sqrt3}{4}')`), so no
 * hand-written LaTeX→expression translation stands between the model's output and the algebra; it
 * evaluates exactly (rationals, radicals, π) or with arbitrary precision (decimal.js inside), has
 * complex numbers, ships ESM with its own types and two small dependencies. Alternatives looked at:
 * mathjs (Apache-2.0, well kept, but parses only its own ASCII syntax: we would have to port
 * pylatexenc's latex2text first, the lossy step that makes the reference accept `\frac{a+b}{c}` for
 * `a+\frac{b}{c}`), nerdamer / algebrite (no LaTeX input, little recent maintenance).
 * Version: 0.27.x is the last release whose `engines` allows Node 20 (0.28+ asks for Node ≥ 21.7), so
 * package.json keeps `^0.27.0` (which, for a 0.x version, stays within 0.27); it brings decimal.js and
 * complex-esm. Size: a ~660 kB chunk in a Vite build (~160 kB gzipped). It is only ever reached through
 * a dynamic `import()`, so Vite splits it off and fetches it the first time `loadSymbolicEngine` runs;
 * this module itself is ~16 kB. Cost once loaded: a few ms per symbolic comparison.
 *
 * Safety: model output is untrusted. The CAS can be made to hang or exhaust memory (`10^{10^{10}}`
 * evaluated numerically, `\sum_{n=1}^{10^9}`, `99999!`), and JavaScript cannot interrupt a synchronous
 * call, so every expression is vetted *before* anything is evaluated: length caps, an allow-list of
 * operators (no sums, products, integrals, limits), bounded exponents and factorials, ≤ 2 unknowns.
 * Anything outside that is simply not graded symbolically (`correct: false`). Equality is decided
 * numerically on exact/50-digit values with a tolerance that never accepts two different integers,
 * nor a rounded decimal for an irrational (SymPy also rejects those).
 *
 * Deviations from the reference, checked against it (pylatexenc 2.10 + SymPy) on the MATH500 answers:
 * stricter where its text conversion is lossy (it equates `\frac{a+b}{c}` with `a+\frac{b}{c}`,
 * `\sqrt[3]{2}` with `\sqrt{2}`, `x^{2y}` with `x^{2}y`, and strips `-y=` like `y=`); more lenient
 * where it misses plain equalities (a trailing full stop, a parenthesised value, a set in another
 * order, `2^{90}` vs `4^{45}` which its exponent filter refuses, `\frac{x^2-1}{x-1}` vs `x+1`).
 */

import type { ComputeEngine } from '@cortex-js/compute-engine';
import { symbolicEqual } from './grade-symbolic.ts';
import { normalizeAnswerLoose } from './normalize-loose.ts';
import { normalizeAnswer } from './normalize-math.ts';

export type GradeMethod = 'exact' | 'normalized' | 'symbolic' | 'none';

export interface Grade {
  readonly correct: boolean;
  /** How equality was established; `none` when it was not (or there was no answer). */
  readonly method: GradeMethod;
}

/** Longer answers are compared as exact strings only (normalisation is cheap but not free). */
export const MAX_NORMALIZE_CHARS = 2000;
/** Longer answers (either side) are never handed to the CAS. */
export const MAX_SYMBOLIC_CHARS = 300;

const NONE: Grade = Object.freeze({ correct: false, method: 'none' });

// ---------------------------------------------------------------------------------------------
// Stages 1-2: synchronous grading.
// ---------------------------------------------------------------------------------------------

/**
 * Exact and normalised comparison only (no CAS): `{ correct, method }`. A null or blank answer is
 * never correct. Same verdict as `gradeAnswerAsync` whenever this one says correct.
 */
export function gradeAnswer(given: string | null, reference: string): Grade {
  if (given === null) return NONE;
  const g = given.trim();
  const r = reference.trim();
  if (g.length === 0 || r.length === 0) return NONE;
  if (g === r) return { correct: true, method: 'exact' };
  if (g.length > MAX_NORMALIZE_CHARS || r.length > MAX_NORMALIZE_CHARS) return NONE;
  if (normalizeAnswer(g) === normalizeAnswer(r)) return { correct: true, method: 'normalized' };
  const ln = normalizeAnswerLoose(r);
  if (ln.length > 0 && ln === normalizeAnswerLoose(g)) return { correct: true, method: 'normalized' };
  return NONE;
}

// ---------------------------------------------------------------------------------------------
// Stage 3: symbolic equivalence with the compute engine.
// ---------------------------------------------------------------------------------------------

type Engine = ComputeEngine;
let enginePromise: Promise<Engine> | null = null;

/** Loads (once) and returns the CAS. Call early to warm it up; `gradeAnswerAsync` calls it itself. */
export function loadSymbolicEngine(): Promise<Engine> {
  enginePromise ??= import('@cortex-js/compute-engine').then((mod) => {
    const ce = new mod.ComputeEngine();
    ce.precision = 50; // digits; exact arithmetic stays exact
    return ce;
  });
  enginePromise.catch(() => {
    enginePromise = null; // let a later call retry (e.g. a chunk that failed to download)
  });
  return enginePromise;
}

/**
 * Full grading: `gradeAnswer`, then, when that fails, the reference's `grade_answer_sympy` logic
 * with the compute engine. Never throws; anything the CAS cannot vouch for is `none`.
 */
export async function gradeAnswerAsync(given: string | null, reference: string): Promise<Grade> {
  const quick = gradeAnswer(given, reference);
  if (quick.correct || given === null) return quick;
  if (!symbolicCandidate(given, reference)) return NONE;
  let ce: Engine;
  try {
    ce = await loadSymbolicEngine();
  } catch {
    return NONE;
  }
  return gradeAnswerWithEngine(ce, given, reference);
}

function symbolicCandidate(given: string, reference: string): boolean {
  const g = given.trim();
  const r = reference.trim();
  return g.length > 0 && r.length > 0 && g.length <= MAX_SYMBOLIC_CHARS && r.length <= MAX_SYMBOLIC_CHARS;
}

/** Synchronous full grading once the engine is loaded (`await loadSymbolicEngine()`). */
export function gradeAnswerWithEngine(ce: Engine, given: string | null, reference: string): Grade {
  const quick = gradeAnswer(given, reference);
  if (quick.correct || given === null) return quick;
  if (!symbolicCandidate(given, reference)) return NONE;
  try {
    return symbolicEqual(ce, given.trim(), reference.trim()) ? { correct: true, method: 'symbolic' } : NONE;
  } catch {
    return NONE;
  }
}

