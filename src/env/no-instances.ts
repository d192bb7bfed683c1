import { indexRepo } from '../analysis/index.js';
import type { Definition } from '../analysis/types.js';
import { NoInstancesError } from '../errors.js';
import { isTestFile } from '../tasks/test-files.js';

const SKIP_REASONS: Record<string, string> = {
  'too-large': 'too large',
  'not-decodable': 'not decodable text',
  'parse-failed': 'could not be parsed',
  unreadable: 'unreadable',
};

/** Per built-in task: why a file's definitions give that task nothing, or null when they might. */
const TASK_RULES: Record<string, (defs: readonly Definition[]) => string | null> = {
  'func-localize': (defs) => (defs.some((d) => d.docstring !== null && !d.qualname.includes('<locals>')) ? null : 'no docstrings'),
  'dep-search': (defs) => (defs.some((d) => d.kind !== 'class' && !d.name.startsWith('_')) ? null : 'no public functions'),
};

/**
 * Why a generator made nothing from `repo` (`options`: the generator's, for `includeTests` and `cache`): the number of Python files and, for each file, the
 * first reason it could give nothing (test file, syntax errors, no functions, no docstrings...).
 * Files that pass every check are counted as "passed over by the <task> rules".
 */
export async function explainNoInstances(
  task: string,
  repo: string,
  options: { includeTests?: unknown; cache?: unknown } = {},
): Promise<NoInstancesError> {
  // The generator's own cache setting (a folder, or false for none): an explanation writes nowhere the generation did not.
  const cache = options.cache === false || (typeof options.cache === 'string' && options.cache !== '') ? options.cache : undefined;
  const index = await indexRepo(repo, { calls: false, ...(cache !== undefined && { cache }) });
  const reasons = new Map<string, number>();
  const count = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
  for (const s of index.skipped) count(SKIP_REASONS[s.reason] ?? s.reason);
  const rule = TASK_RULES[task];
  for (const f of index.files) {
    const defs = index.definitionsIn(f.file);
    if (options.includeTests !== true && isTestFile(f.file)) count('test files (includeTests is off)');
    else if (f.hasErrors) count('syntax errors');
    else if (defs.length === 0) count('no functions or classes');
    else count(rule?.(defs) ?? `passed over by the ${task} rules`);
  }
  return new NoInstancesError(task, repo, index.files.length + index.skipped.length, Object.fromEntries(reasons));
}
