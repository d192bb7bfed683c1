import { describe, expect, it } from 'vitest';
import type { TestResult } from '../../../../src/testrun/results.js';
import { writeIssueText } from '../../../../src/tasks/issue-localize/issue-text.js';

const MOD = ['def helper(x):', '    return x * 2', '', '', 'def scale(values, factor):', '    out = [helper(v) for v in values]', '    return [v * factor + 1 for v in out]', ''].join('\n');
const TEST = ['from pkg.mod import scale', '', 'def test_it():', '    assert run([1]) == [2]', ''].join('\n');
const files = new Map([['pkg/mod.py', Buffer.from(MOD)], ['tests/test_mod.py', Buffer.from(TEST)]]);
const fn = { file: 'pkg/mod.py', name: 'scale', line: 5, endLine: 7 };
const failure = (extra: Partial<TestResult> = {}): TestResult => ({
  nodeid: 'tests/test_mod.py::test_it', outcome: 'failed', durationMs: 1, message: 'assert [3] == [2]',
  frames: [{ file: 'tests/test_mod.py', line: 4 }, { file: 'pkg/mod.py', line: 7 }, { file: 'pkg/mod.py', line: 2 }, { file: '/usr/lib/python3/x.py', line: 9 }],
  ...extra,
});

describe('the offline issue text', () => {
  it('shows the test, its message and repository frames outside the mutated function', () => {
    const text = writeIssueText({ failures: [failure()], files, fn, changed: ['    return [v * factor for v in out]', '    return [v * factor + 1 for v in out]'] })!;
    expect(text).toContain('`tests/test_mod.py::test_it` fails');
    expect(text).toContain('assert [3] == [2]');
    expect(text).toContain('tests/test_mod.py, line 4');
    expect(text).toContain('pkg/mod.py, line 2'); // a callee's frame
    expect(text).not.toContain('pkg/mod.py, line 7'); // the mutated function's frame
    expect(text).not.toContain('/usr/lib');
    expect(text).not.toContain('v * factor');
    expect(text).not.toMatch(/\bscale\b/); // no test names it
  });

  it('keeps the name when the tests use it, drops any line that shows the function’s code, masks addresses', () => {
    const named = new Map(files).set('tests/test_mod.py', Buffer.from(TEST.replace('run([1])', 'scale([1], 1)')));
    const text = writeIssueText({
      failures: [failure({ message: 'TypeError: bad <function f at 0x7f81c825c7c0>\n    out = [helper(v) for v in values]' })],
      files: named, fn, changed: ['    return [v * factor for v in out]'],
    })!;
    expect(text).toContain('assert scale([1], 1) == [2]');
    expect(text).toContain('<function f at 0x...>');
    expect(text).not.toContain('out = [helper(v) for v in values]');
  });

  it('gives up when nothing could be shown', () => {
    expect(writeIssueText({ failures: [failure({ nodeid: 'tests/test_mod.py::test_it[out = [helper(v) for v in values]]' })], files, fn, changed: [] })).toBeNull();
  });
});
