// Tests folders, test_*.py, *_test.py, Django-style tests.py and conftest.py: code that tasks leave out unless asked.
const TEST_FILE = /(^|\/)(tests?|testing)\/|(^|\/)(test_[^/]*|[^/]*_test|conftest|tests)\.py$/;

/** Whether a repository path (relative, `/` separators) is a test file. */
export function isTestFile(path: string): boolean {
  return TEST_FILE.test(path);
}
