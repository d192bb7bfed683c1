import { expect } from 'vitest';
import { issueLocalizeTask, type SyntheticIssueInstance } from '../../src/tasks/issue-localize/index.js';

/**
 * The acceptance check on a synthetic instance's issue text: none of the function's lines (from
 * its first decorator to its last line, as the agent's workspace has them) of 8 characters or more,
 * and neither the mutated nor the original text of the changed lines, is in it.
 */
export async function expectNoLeak(i: SyntheticIssueInstance): Promise<void> {
  const files = await issueLocalizeTask.workspace(i);
  const text = files.get(i.mutation.file)!.toString('utf8');
  const { parsePythonSource } = await import('../../src/analysis/index.js');
  const defs = parsePythonSource(text, i.mutation.file).definitions.filter((d) => d.qualname === i.mutation.qualname && d.anchorLine <= i.mutation.line && i.mutation.line <= d.endLine);
  expect(defs, `${i.id}: the function is in the workspace`).toHaveLength(1);
  const fn = defs[0]!;
  const lines = text.split('\n').slice(fn.anchorLine - 1, fn.endLine).map((l) => l.trim()).filter((l) => l.length >= 8);
  for (const l of lines) expect(i.problemStatement, `${i.id} shows a line of ${fn.qualname}`).not.toContain(l);
  for (const side of [i.mutation.original, i.mutation.mutated]) {
    for (const l of side.split('\n').map((x) => x.trim()).filter((x) => x.length >= 3)) expect(i.problemStatement, `${i.id} shows the changed text`).not.toContain(l);
  }
}
