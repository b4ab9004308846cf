// Run: npx tsx tools/bench-grade.ts
//
// What grading costs, in one run: the synchronous grader (exact + normalised) against the symbolic
// stage once the CAS is loaded, per comparison; and the slowest rejection of hostile input (what the
// vetting before evaluation bounds). These were timed assertions in grade.test.ts; timings live here.
import { gradeAnswer, gradeAnswerWithEngine, loadSymbolicEngine } from '../src/core/grade.ts';

const SYMBOLIC: readonly [string, string][] = [
  ['-q+p', 'p - q'],
  ['\\sqrt{45}', '3 \\sqrt{5}'],
  ['\\frac{1}{\\sqrt{3}}', '\\frac{\\sqrt{3}}{3}'],
  ['\\frac{\\sqrt{27}}{4}', '\\frac{3\\sqrt{3}}{4}'],
  ['2^{90}', '4^{45}'],
  ['\\frac{x^2-1}{x-1}', 'x+1'],
];
const HOSTILE = [
  '10^{10^{10}}',
  '((2^{1000})^{1000})^{1000}',
  '\\sum_{n=1}^{1000000000} n',
  '99999!',
  'e^{e^{e^{10}}}',
  '('.repeat(200) + '1' + ')'.repeat(200),
  '\\frac{'.repeat(100) + '1}{2}'.repeat(100),
  '1+'.repeat(2000) + '1',
];
const ROUNDS = 5;

const ce = await loadSymbolicEngine();
function perCall(f: () => void, calls: number): number {
  const t0 = performance.now();
  for (let k = 0; k < ROUNDS; k++) f();
  return (performance.now() - t0) / (ROUNDS * calls);
}
const quick = perCall(() => SYMBOLIC.forEach(([g, r]) => gradeAnswer(g, r)), SYMBOLIC.length);
const symbolic = perCall(() => SYMBOLIC.forEach(([g, r]) => gradeAnswerWithEngine(ce, g, r)), SYMBOLIC.length);
let worst = 0;
let worstInput = '';
for (const h of HOSTILE) {
  const ms = perCall(() => void gradeAnswerWithEngine(ce, h, '\\sqrt{2}'), 1);
  if (ms > worst) [worst, worstInput] = [ms, h.slice(0, 30)];
}
console.log(`grade, exact+normalised: ${quick.toFixed(3)} ms per comparison`);
console.log(`grade, with symbolic:    ${symbolic.toFixed(3)} ms per comparison (${(symbolic / quick).toFixed(0)}x)`);
console.log(`slowest hostile rejection: ${worst.toFixed(2)} ms (${JSON.stringify(worstInput)})`);
