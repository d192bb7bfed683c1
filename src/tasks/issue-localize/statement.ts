import type { TestResult } from '../../testrun/results.js';
import type { DescribeBug } from './describe.js';
import { hiddenText, leaks, word, writeIssueText } from './issue-text.js';
import type { MutantCandidate } from './mutant-pool.js';

/**
 * The problem statement of a caught mutant: the offline issue text, or the `describe` hook's
 * rewrite of it when that gives nothing away (checked like the offline text: no line of the
 * function's code, no changed line, and the function's name only when the offline text has it).
 * Null when no text can be written.
 */
export async function problemStatement(
  c: MutantCandidate,
  failures: readonly TestResult[],
  describe: DescribeBug | undefined,
  onProgress: ((line: string) => void) | undefined,
): Promise<string | null> {
  const input = { files: c.files, fn: { file: c.file, name: c.name, line: c.fn.line, endLine: c.fn.endLine }, changed: [c.mutant.original, c.mutant.mutated] };
  const text = writeIssueText({ ...input, failures });
  if (text === null || !describe) return text;
  const m = c.mutant;
  const rewrite = (await describe({ text, failures, mutation: { kind: m.kind, file: c.file, qualname: c.qualname, original: m.original, mutated: m.mutated } })).trim();
  const nameShown = word(c.name).test(text);
  const leak = rewrite === '' ? 'nothing' : leaks(rewrite, hiddenText(input), nameShown ? null : c.name);
  if (leak === null) return rewrite;
  onProgress?.(`issue-localize: the describe hook's text for ${c.file}:${c.qualname} shows ${JSON.stringify(leak.slice(0, 60))}; the offline text is used`);
  return text;
}
