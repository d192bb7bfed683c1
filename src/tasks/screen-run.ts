import type { SuitePytestOptions } from '../testrun/pytest-check.js';
import type { PytestResults } from '../testrun/results.js';
import { runPytest } from '../testrun/run-pytest.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import type { CodeRunner } from './code-check.js';

/** How a generator runs a candidate's tests while screening it. */
export interface ScreenInput {
  runner: CodeRunner;
  image: string | undefined;
  pytest: SuitePytestOptions;
  timeoutMs: number;
}

/** These tests on these files in a fresh sandbox; a sandbox that cannot run pytest throws (infrastructure). */
export function runScreenTests(files: WorkspaceFiles, tests: string[], s: ScreenInput, name: string): Promise<PytestResults> {
  return runPytest((check) => s.runner.run(files, check, s.image ? { image: s.image } : {}), { ...s.pytest, tests, timeoutMs: s.timeoutMs, name });
}
