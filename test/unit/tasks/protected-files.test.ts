import { describe, expect, it } from 'vitest';
import { isProtectedForChecks, withProtectedRestored } from '../../../src/tasks/protected-files.js';

const files = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));
const text = (m: Map<string, Buffer>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));

describe('protected files of code checks', () => {
  it('covers tests, test configuration and start-up hooks, not the code', () => {
    for (const p of ['tests/test_a.py', 'pkg/tests/helpers.py', 'test_x.py', 'pkg/x_test.py', 'app/tests.py', 'conftest.py', 'pkg/sub/conftest.py',
      'pytest.ini', 'sub/pytest.ini', 'tox.ini', 'setup.cfg', 'pyproject.toml', 'sitecustomize.py', 'pkg/usercustomize.py', 'evil.pth', 'a/b.pth']) {
      expect(isProtectedForChecks(p), p).toBe(true);
    }
    for (const p of ['pkg/calc.py', 'setup.py', 'README.md', 'pkg/contest.py', 'pkg/pth.py', 'docs/index.rst']) {
      expect(isProtectedForChecks(p), p).toBe(false);
    }
  });

  it('keeps the agent\'s code, restores edited and deleted protected files, drops planted ones', () => {
    const given = files({ 'calc.py': 'old', 'tests/test_calc.py': 'real test', 'conftest.py': 'real conftest', 'pytest.ini': '[pytest]' });
    const final = files({
      'calc.py': 'fixed',
      'tests/test_calc.py': 'def test_nothing(): pass',
      'pytest.ini': '[pytest]\naddopts = -k nothing',
      'pkg/conftest.py': 'planted',
      'sitecustomize.py': 'planted',
      'x.pth': 'import os',
      'new_module.py': 'agent code',
    });
    expect(text(withProtectedRestored(final, given))).toEqual({
      'calc.py': 'fixed',
      'conftest.py': 'real conftest',
      'new_module.py': 'agent code',
      'pytest.ini': '[pytest]',
      'tests/test_calc.py': 'real test',
    });
  });

  it('takes the task\'s own rule when it has one', () => {
    const given = files({ 'spec.txt': 'pristine', 'a.py': 'a' });
    const final = files({ 'spec.txt': 'edited', 'a.py': 'b', 'tests/test_a.py': 'agent test' });
    expect(text(withProtectedRestored(final, given, (p) => p === 'spec.txt'))).toEqual({ 'a.py': 'b', 'spec.txt': 'pristine', 'tests/test_a.py': 'agent test' });
  });

  it('also restores the exact paths a check protects (tests named however the repo names them)', () => {
    const given = files({ 'app/checks.py': 'real', 'app/models.py': 'm' });
    const final = files({ 'app/checks.py': 'def test(): pass', 'app/models.py': 'fixed' });
    expect(text(withProtectedRestored(final, given, undefined, ['app/checks.py']))).toEqual({ 'app/models.py': 'fixed', 'app/checks.py': 'real' });
    expect(text(withProtectedRestored(final, given))).toEqual({ 'app/models.py': 'fixed', 'app/checks.py': 'def test(): pass' });
  });
});
