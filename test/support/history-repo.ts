import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** Strings that exist only in the fix commit (code and message) and in the later commit. */
export const MARKERS = { fix: 'FIX_MARKER_7d2c', later: 'LATER_MARKER_41b9' } as const;

export const CORE_BASE = `"""Small calculator functions."""

PRECISION = 10


def add(a, b):
    return a + b


def subtract(a, b):
    return a - b


def multiply(a, b):
    return a * b


def divide(a, b):
    return a / b


def power(base, exp):
    result = 1
    for _ in range(exp):
        result *= base
    return result


def mean(values):
    return sum(values) / len(values)


class Accumulator:
    def __init__(self):
        self.total = 0

    def push(self, value):
        self.total = add(self.total, value)
        return self.total
`;

/** `divide` (lines 18-19 of the base) gains a guard between its two lines. */
const CORE_FIX = CORE_BASE.replace(
  'def divide(a, b):\n    return a / b\n',
  `def divide(a, b):\n    if b == 0:\n        raise ValueError("${MARKERS.fix}: cannot divide by zero")\n    return a / b\n`,
);

const UTIL = `from calc.core import add


def total(values):
    out = 0
    for v in values:
        out = add(out, v)
    return out
`;

const TESTS_BASE = `from calc.core import add, divide


def test_add():
    assert add(1, 2) == 3


def test_divide():
    assert divide(6, 3) == 2
`;

const TESTS_FIX = `${TESTS_BASE}

def test_divide_by_zero():
    import pytest
    with pytest.raises(ValueError):
        divide(1, 0)
`;

export interface HistoryRepo {
  dir: string;
  baseCommit: string;
  fixCommit: string;
  laterCommit: string;
  markers: typeof MARKERS;
  /** A SWE-bench-form row of the fix against the base. */
  row: {
    instance_id: string;
    repo: string;
    base_commit: string;
    problem_statement: string;
    patch: string;
    test_patch: string;
    FAIL_TO_PASS: string;
    PASS_TO_PASS: string;
    created_at: string;
  };
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Fixture', GIT_AUTHOR_EMAIL: 'fixture@example.com', GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
};

/**
 * A small Python package with history, built with real git in `dir` (a new temp folder by default):
 * base (calc/core.py with seven functions and a class, calc/util.py, tests/test_core.py, plus a
 * symlink, a submodule entry, a committed .pyc and an .egg-info folder), the fix of `divide` with its
 * test (tagged `v1.1`), and a later commit on top.
 */
export async function makeHistoryRepo(dir?: string): Promise<HistoryRepo> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'hg-history-')));
  await mkdir(root, { recursive: true });
  let tick = 0;
  const git = async (...args: string[]): Promise<string> => {
    const date = `2024-01-0${1 + Math.min(tick, 8)}T12:00:00Z`;
    const r = await execa('git', ['-C', root, '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      env: { ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
    return r.stdout;
  };
  const write = async (rel: string, text: string) => {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  };
  await git('init', '-q', '-b', 'main');
  await write('calc/__init__.py', '');
  await write('calc/core.py', CORE_BASE);
  await write('calc/util.py', UTIL);
  await write('tests/test_core.py', TESTS_BASE);
  await write('calc/__pycache__/core.cpython-311.pyc', 'compiled');
  await write('calc.egg-info/PKG-INFO', 'Name: calc\n');
  await write('README.md', '# calc\n');
  await symlink('core.py', join(root, 'calc/alias.py'));
  await git('add', '-f', '.');
  // A submodule entry (a gitlink) without a submodule: ls-tree lists it as a commit.
  await git('update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},vendor/lib`);
  await git('commit', '-q', '-m', 'Base: calculator functions');
  const baseCommit = (await git('rev-parse', 'HEAD')).trim();

  tick++;
  await write('calc/core.py', CORE_FIX);
  await write('tests/test_core.py', TESTS_FIX);
  await git('add', 'calc/core.py', 'tests/test_core.py');
  await git('commit', '-q', '-m', `Fix divide by zero (${MARKERS.fix})`);
  const fixCommit = (await git('rev-parse', 'HEAD')).trim();
  await git('tag', '-a', 'v1.1', '-m', `Release 1.1 with ${MARKERS.fix}`);

  tick++;
  await write('calc/util.py', `${UTIL}\n\n# ${MARKERS.later}\ndef later():\n    return "${MARKERS.later}"\n`);
  await write('calc/extra.py', `VALUE = "${MARKERS.later}"\n`);
  await git('add', 'calc/util.py', 'calc/extra.py');
  await git('commit', '-q', '-m', `Later work (${MARKERS.later})`);
  const laterCommit = (await git('rev-parse', 'HEAD')).trim();

  const diff = (...paths: string[]) => git('diff', '--no-color', '--no-ext-diff', '--src-prefix=a/', '--dst-prefix=b/', baseCommit, fixCommit, '--', ...paths);
  const patch = `${await diff('.', ':(exclude)tests')}\n`;
  const testPatch = `${await diff('tests')}\n`;
  return {
    dir: root,
    baseCommit,
    fixCommit,
    laterCommit,
    markers: MARKERS,
    row: {
      instance_id: 'example__calc-1',
      repo: 'example/calc',
      base_commit: baseCommit,
      problem_statement: '\n  divide(1, 0) raises ZeroDivisionError; it should raise ValueError with a clear message.\n',
      patch,
      test_patch: testPatch,
      FAIL_TO_PASS: JSON.stringify(['tests/test_core.py::test_divide_by_zero']),
      PASS_TO_PASS: JSON.stringify(['tests/test_core.py::test_add', 'tests/test_core.py::test_divide']),
      created_at: '2024-01-02T12:00:00Z',
    },
  };
}

/** Writes rows as JSON lines. */
export async function rowsFile(rows: ReadonlyArray<unknown>, path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}
