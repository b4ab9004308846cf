// Prompt assembly that does not need a tokenizer.

/** The paper's instruction, appended to every problem (Elastic-Reasoning's dataset script). */
export const PAPER_SUFFIX = "Let's think step by step and output the final answer within \\boxed{}.";

export function userMessage(problem: string, paperSuffix: boolean): string {
  const p = problem.trim();
  return paperSuffix ? `${p} ${PAPER_SUFFIX}` : p;
}

/**
 * Some R1-family chat templates end the generation prompt at `<｜Assistant｜>` without opening
 * `<think>`. Phase 1 must be thinking, so we open it the way the current template does:
 * `<think>` then a newline.
 */
export function ensureThinkingOpen(promptIds: readonly number[], thinkOpen: number, newline: readonly number[]): number[] {
  const ids = [...promptIds];
  const tail = ids.slice(-(newline.length + 1));
  if (tail[0] === thinkOpen && newline.every((n, i) => tail[i + 1] === n)) return ids;
  if (ids[ids.length - 1] === thinkOpen) return [...ids, ...newline];
  return [...ids, thinkOpen, ...newline];
}
