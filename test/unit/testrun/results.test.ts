import { describe, expect, it } from 'vitest';
import type { CodeCheckResult } from '../../../src/tasks/code-check.js';
import { parsePytestResults, parseTrace } from '../../../src/testrun/results.js';

const NONCE = 'n0nce0000000aaaa';

const line = (r: Record<string, unknown>, nonce: string | null = NONCE): string =>
  JSON.stringify(nonce === null ? r : { ...r, n: nonce });

const result = (lines: string[] | undefined, extra: Partial<CodeCheckResult> = {}): CodeCheckResult => ({
  exitCode: 1,
  output: '',
  timedOut: false,
  truncated: false,
  durationMs: 10,
  collected: { 'results.jsonl': lines === undefined ? undefined : Buffer.from(`${lines.join('\n')}\n`) },
  ...extra,
});

const test = (nodeid: string, outcome: string, more: Record<string, unknown> = {}) => line({ t: 'test', nodeid, outcome, duration: 0.25, ...more });
const session = (exitStatus: number) => line({ t: 'session', exitStatus, counts: {} });
/** The stream an honest run writes: collected, then a start and a result per test. */
const honest = (...tests: Array<[string, string]>): string[] => [
  line({ t: 'collected', nodeids: tests.map(([id]) => id) }),
  ...tests.flatMap(([id, outcome]) => [line({ t: 'start', nodeid: id }), test(id, outcome)]),
];

describe('parsePytestResults', () => {
  it('reads each test once, with outcome, duration, crash message and frames', () => {
    const r = parsePytestResults(
      result([
        line({ t: 'collected', nodeids: ['t.py::a', 't.py::b'] }),
        line({ t: 'start', nodeid: 't.py::a' }),
        test('t.py::a', 'passed'),
        line({ t: 'start', nodeid: 't.py::b' }),
        test('t.py::b', 'failed', { phase: 'call', message: 'AssertionError: no', traceback: 'E  no', frames: [{ file: 'pkg/m.py', line: 3 }] }),
        session(1),
      ]),
      NONCE,
    );
    expect(r.complete).toBe(true);
    expect(r.exitStatus).toBe(1);
    expect(r.missing).toEqual([]);
    expect(r.tests).toEqual([
      { nodeid: 't.py::a', outcome: 'passed', durationMs: 250 },
      { nodeid: 't.py::b', outcome: 'failed', durationMs: 250, phase: 'call', message: 'AssertionError: no', traceback: 'E  no', frames: [{ file: 'pkg/m.py', line: 3 }] },
    ]);
  });

  it('ignores lines without the nonce, with another nonce, or not in the format, and stdout altogether', () => {
    const r = parsePytestResults(
      result(
        [
          line({ t: 'collected', nodeids: ['t.py::a'] }),
          test('t.py::a', 'passed', {}).replace(NONCE, 'someoneelse00000'),
          line({ t: 'test', nodeid: 't.py::a', outcome: 'passed', duration: 0 }, null),
          '=== 5 passed in 0.01s ===',
          '{"n": "' + NONCE + '", "t": "test", "nodeid": "t.py::a", "outcome": "great"}',
          '[1, 2]',
          line({ t: 'session', exitStatus: 0, counts: { passed: 5 } }, 'forged'),
          test('t.py::a', 'failed'),
          session(1),
        ],
        { output: '=== 5 passed in 0.01s ===\n', exitCode: 1 },
      ),
      NONCE,
    );
    expect(r.tests.map((t) => [t.nodeid, t.outcome])).toEqual([['t.py::a', 'failed']]);
    expect(r.ignoredLines).toBe(6);
    expect(r.exitStatus).toBe(1);
  });

  it('keeps the first record of a test: a later one cannot turn a failure into a pass', () => {
    const r = parsePytestResults(result([test('t.py::a', 'failed'), test('t.py::a', 'passed'), session(1)]), NONCE);
    expect(r.tests).toHaveLength(1);
    expect(r.tests[0]!.outcome).toBe('failed');
  });

  it('an os._exit mid-run: no session line, the running test crashed, the rest missing, incomplete', () => {
    const r = parsePytestResults(
      result(
        [
          line({ t: 'collected', nodeids: ['t.py::a', 't.py::b', 't.py::c'] }),
          line({ t: 'start', nodeid: 't.py::a' }),
          test('t.py::a', 'passed'),
          line({ t: 'start', nodeid: 't.py::b' }),
        ],
        { exitCode: 0 },
      ),
      NONCE,
    );
    expect(r.complete).toBe(false);
    expect(r.exitStatus).toBeUndefined();
    expect(r.crashed).toBe('t.py::b');
    expect(r.missing).toEqual(['t.py::b', 't.py::c']);
  });

  it('no results file at all is an incomplete run with nothing passed', () => {
    const r = parsePytestResults(result(undefined, { exitCode: 0 }), NONCE);
    expect(r).toMatchObject({ complete: false, tests: [], missing: [] });
  });

  it('selected tests never reported are missing; a selection of a function, file or folder is answered by its tests', () => {
    const lines = [...honest(['tests/test_a.py::test_p[1]', 'passed'], ['tests/test_b.py::T::test_x', 'passed']), session(0)];
    const ok = parsePytestResults(result(lines, { exitCode: 0 }), {
      nonce: NONCE,
      tests: ['tests/test_a.py::test_p', 'tests/test_b.py', 'tests/'],
    });
    expect(ok.missing).toEqual([]);
    expect(ok.complete).toBe(true);
    const r = parsePytestResults(result(lines, { exitCode: 0 }), { nonce: NONCE, tests: ['tests/test_a.py::test_p[1]', 'tests/test_a.py::gone'] });
    expect(r.missing).toEqual(['tests/test_a.py::gone']);
    expect(r.complete).toBe(false);
  });

  it('a session whose process exited otherwise, an interrupt, or a timeout is not complete', () => {
    const lines = [...honest(['t.py::a', 'passed']), session(0)];
    expect(parsePytestResults(result(lines, { exitCode: 0 }), NONCE).complete).toBe(true);
    expect(parsePytestResults(result(lines, { exitCode: 3 }), NONCE).complete).toBe(false);
    expect(parsePytestResults(result(lines, { exitCode: 0, timedOut: true }), NONCE).complete).toBe(false);
    expect(parsePytestResults(result([...honest(['t.py::a', 'passed']), session(2)], { exitCode: 2 }), NONCE).complete).toBe(false);
  });

  // Code under test that found the nonce and wrote records: what the plugin writes as well shows it.
  it('records out of the plugin\'s one order mark the run as tampered, never complete', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['a forged pass before the real failure', [...honest(['t.py::a', 'passed']).slice(0, 3), line({ t: 'start', nodeid: 't.py::a' }), test('t.py::a', 'failed'), session(0)], /twice/],
      ['a pass without its start', [line({ t: 'collected', nodeids: ['t.py::a'] }), test('t.py::a', 'passed'), session(0)], /without starting/],
      ['a second collected record', [...honest(['t.py::a', 'passed']), line({ t: 'collected', nodeids: [] }), session(0)], /second collected/],
      ['records after the session', [...honest(['t.py::a', 'passed']), session(0), session(0)], /after the session/],
      ['the plugin\'s own checks', [...honest(['t.py::a', 'passed']), line({ t: 'session', exitStatus: 0, counts: {}, tampered: ['a pytest_runtest_makereport hook was added by X'] })], /makereport/],
    ];
    for (const [what, lines, why] of cases) {
      const r = parsePytestResults(result(lines, { exitCode: 0 }), NONCE);
      expect(r.complete, what).toBe(false);
      expect(r.tampered.join('; '), what).toMatch(why);
    }
    expect(parsePytestResults(result([...honest(['t.py::a', 'passed'], ['t.py::b', 'failed']), session(1)]), NONCE).tampered).toEqual([]);
  });

  it('reports collection errors', () => {
    const r = parsePytestResults(result([line({ t: 'collect', nodeid: 'tests/test_bad.py', message: 'ImportError: x' }), session(1)]), NONCE);
    expect(r.collectErrors).toEqual([{ nodeid: 'tests/test_bad.py', message: 'ImportError: x' }]);
  });
});

describe('parseTrace', () => {
  it('reads the function table and each test\'s functions, ignoring records without the nonce', () => {
    const t = parseTrace(
      result([
        line({ t: 'fn', id: 0, file: 'pkg/m.py', qualname: 'f', line: 1 }),
        line({ t: 'fn', id: 1, file: 'pkg/m.py', qualname: 'C.g', line: 5 }),
        line({ t: 'fn', id: 2, file: 'pkg/m.py', qualname: 'forged', line: 9 }, 'x'),
        line({ t: 'cover', nodeid: 't.py::a', fns: [0, 1] }),
      ]),
      NONCE,
    );
    expect([...t.functions.values()].map((f) => f.qualname)).toEqual(['f', 'C.g']);
    expect(t.cover.get('t.py::a')).toEqual([0, 1]);
  });
});
