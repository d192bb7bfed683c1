import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseOptions } from '../options.js';
import type { CodeCheck } from '../tasks/code-check.js';
import { BOOTSTRAP_SOURCE, PLUGIN_SOURCE } from './python-sources.js';

/** The file of `out` the plugin writes, one JSON record a line. */
export const RESULTS_FILE = 'results.jsonl';

/**
 * Paths a test map does not count as code under test: tests folders, test_*.py, *_test.py and
 * conftest.py (the same rule as the tasks' test files). A regular expression valid in JS and Python.
 */
export const TEST_PATH_PATTERN = String.raw`(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_test|conftest|tests)\.py$`;

export const PytestCheckOptionsSchema = z
  .object({
    /** Node ids to run (relative to the repo root); all the suite's tests when absent. */
    tests: z.array(z.string().min(1)).optional(),
    /** Hard limit of the whole run. @default the runner's (300000) */
    timeoutMs: z.number().int().positive().optional(),
    /** Record which in-repo functions each test enters (for the test map); slows the run. @default false */
    trace: z.boolean().default(false),
    /** More pytest arguments, after ours. @default [] */
    extraArgs: z.array(z.string()).default([]),
    /** Plugins the suite needs, loaded with `-p` (module names): entry-point autoload is off. @default [] */
    plugins: z.array(z.string().min(1)).default([]),
    /** Directories (relative to the repo root) put on sys.path after the root, e.g. `src`. @default [] */
    pythonPath: z.array(z.string().min(1)).default([]),
    /** Keep the repo's `addopts` (dropped by default: they often name plugins the sandbox lacks, or -x). @default false */
    keepAddopts: z.boolean().default(false),
    /** Paths (regex over repo-relative paths) whose functions tracing leaves out. @default TEST_PATH_PATTERN */
    traceExclude: z.string().default(TEST_PATH_PATTERN),
    /** The results' nonce; a fresh random one when absent (tests pass a fixed one). */
    nonce: z.string().regex(/^[0-9A-Za-z]{8,64}$/).optional(),
    /** The interpreter in the sandbox. @default 'python3' */
    python: z.string().min(1).default('python3'),
    /** The check's name. @default 'pytest' */
    name: z.string().min(1).default('pytest'),
  })
  .strict();

export type PytestCheckOptions = z.input<typeof PytestCheckOptionsSchema>;

/**
 * What a repository's suite needs from every pytest run of it (the test map's, a task's): the
 * pytestCheck options that describe the suite, none of them defaulted, so that an empty object
 * means "as the suite is".
 */
export const SuitePytestOptionsSchema = z
  .object({
    plugins: z.array(z.string().min(1)).optional(),
    pythonPath: z.array(z.string().min(1)).optional(),
    keepAddopts: z.boolean().optional(),
    extraArgs: z.array(z.string()).optional(),
    python: z.string().min(1).optional(),
  })
  .strict();
export type SuitePytestOptions = z.output<typeof SuitePytestOptionsSchema>;

/** A pytest code check, with what reading its results needs: the nonce and the selected tests. */
export interface PytestCheck extends CodeCheck {
  /** Records not carrying it are ignored. */
  nonce: string;
  /** The node ids it selected; undefined for the whole suite. */
  tests?: string[];
}

// Hermetic and cheap: no cache dir, no bytecode, no colours, all of the suite despite a module
// that does not import, short tracebacks in the records.
const BASE_ARGS = ['-q', '-p', 'no:cacheprovider', '--tb=short', '--color=no', '--continue-on-collection-errors'];

/**
 * A code check that runs pytest on the workspace with our plugin; read its results with
 * `parsePytestResults(result, check)`. The command is `python3 -I -B run_pytest.py ...`: isolated
 * mode ignores PYTHON* variables, the user site and the script's folder, so nothing planted outside
 * the repo's own code paths (sitecustomize.py, .pth files, an installed-looking plugin) is loaded.
 */
export function pytestCheck(options: PytestCheckOptions = {}): PytestCheck {
  const o = parseOptions(PytestCheckOptionsSchema, options, 'pytestCheck options');
  const nonce = o.nonce ?? randomBytes(16).toString('hex');
  const args = [...BASE_ARGS];
  if (!o.keepAddopts) args.push('-o', 'addopts=');
  for (const plugin of o.plugins) args.push('-p', plugin);
  args.push(...o.extraArgs);
  const config = {
    nonce,
    args,
    tests: o.tests ?? [],
    trace: o.trace,
    traceExclude: o.traceExclude,
    pythonPath: o.pythonPath,
  };
  return {
    name: o.name,
    nonce,
    ...(o.tests ? { tests: [...o.tests] } : {}),
    argv: (dirs) => [o.python, '-I', '-B', `${dirs.support}/run_pytest.py`, dirs.support, dirs.out, dirs.workdir],
    support: {
      'run_pytest.py': BOOTSTRAP_SOURCE,
      'hybrid_gym_pytest.py': PLUGIN_SOURCE,
      'private/config.json': JSON.stringify(config),
    },
    collect: [RESULTS_FILE],
    outputFds: [RESULTS_FILE],
    // The files of the selected tests come from the pristine copy whatever they are named (a
    // Django-style tests.py, spec/*_spec.py), not only what the task's protected rule covers.
    ...(o.tests ? { protect: [...new Set(o.tests.map((t) => t.split('::')[0]!))] } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    // The bootstrap sets these itself too; here they document the run and cover a python without -I.
    env: { PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', PYTHONDONTWRITEBYTECODE: '1' },
  };
}
