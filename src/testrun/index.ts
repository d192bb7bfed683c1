// Python test suites as data: the check that runs pytest, its results channel, the test map.
export {
  pytestCheck,
  PytestCheckOptionsSchema,
  RESULTS_FILE,
  TEST_PATH_PATTERN,
  type PytestCheck,
  type PytestCheckOptions,
} from './pytest-check.js';
export { runPytest } from './run-pytest.js';
export {
  parsePytestResults,
  parseTrace,
  TEST_OUTCOMES,
  type PytestResults,
  type ResultsKey,
  type TestOutcome,
  type TestResult,
  type TraceData,
} from './results.js';
export {
  buildTestMap,
  hashFiles,
  defaultCacheDir,
  TestMapSchema,
  BuildTestMapOptionsSchema,
  TestMapError,
  type TestMap,
  type BuildTestMapOptions,
} from './test-map.js';
