import type { WorkspaceFiles } from '../workspace/files.js';
import { isTestFile } from './test-files.js';

// What configures pytest (an ini file anywhere up from a test decides the rootdir and options).
const TEST_CONFIG = new Set([
  'conftest.py', 'pytest.ini', '.pytest.ini', 'pytest.toml', '.pytest.toml', 'tox.ini', 'setup.cfg', 'pyproject.toml', 'noxfile.py',
]);
// What Python runs at start-up without being imported by the code: never the agent's to plant.
const STARTUP_HOOK = /(^|\/)(sitecustomize|usercustomize)\.py$|\.pth$/;

/**
 * The default protected files of code checks: tests, test configuration and start-up hooks. A code
 * check sees the host's pristine copy of each of them, whatever the agent wrote.
 */
export function isProtectedForChecks(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return isTestFile(path) || TEST_CONFIG.has(name) || STARTUP_HOOK.test(path);
}

/**
 * The files a code check judges: the agent's final files, except that every protected path holds
 * what it held in `given` (the host's pristine starting copy) and protected files the agent added
 * are left out. `alsoProtected` adds exact paths (a check's own `protect`).
 */
export function withProtectedRestored(
  final: WorkspaceFiles,
  given: WorkspaceFiles,
  isProtectedByTask: (path: string) => boolean = isProtectedForChecks,
  alsoProtected: Iterable<string> = [],
): WorkspaceFiles {
  const extra = new Set(alsoProtected);
  const isProtected = extra.size === 0 ? isProtectedByTask : (path: string) => extra.has(path) || isProtectedByTask(path);
  const checked: WorkspaceFiles = new Map();
  for (const [path, content] of final) if (!isProtected(path)) checked.set(path, content);
  for (const [path, content] of given) if (isProtected(path)) checked.set(path, content);
  return new Map([...checked].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
