// Tests folders, test_*.py, *_test.py and conftest.py: code that tasks leave out unless asked.
const TEST_FILE = /(^|\/)(tests?|testing)\/|(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/;

/** Whether a repository path (relative, `/` separators) is a test file. */
export function isTestFile(path: string): boolean {
  return TEST_FILE.test(path);
}
