import { CheckSandboxError } from '../errors.js';
import type { RunCheck } from '../tasks/code-check.js';
import { pytestCheck, type PytestCheckOptions } from './pytest-check.js';
import { parsePytestResults, type PytestResults } from './results.js';

/**
 * Run tests with pytest through a verifier's `ctx.run` and read the results channel: what a task's
 * verifier usually wants. A sandbox that cannot start pytest at all (no pytest in the image) is
 * infrastructure, not the agent's zero: it throws a CheckSandboxError, which ends the episode as
 * `truncated` with `info.infraError`.
 */
export async function runPytest(run: RunCheck, options: PytestCheckOptions = {}): Promise<PytestResults> {
  const check = pytestCheck(options);
  const results = parsePytestResults(await run(check), check);
  if (results.setupError !== undefined) {
    throw new CheckSandboxError(check.name, `the sandbox cannot run pytest: ${results.setupError}`);
  }
  return results;
}
