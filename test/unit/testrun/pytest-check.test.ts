import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { pytestCheck, RESULTS_FILE, TEST_PATH_PATTERN } from '../../../src/testrun/pytest-check.js';

const dirs = { workdir: '/workspace', support: '/chk/support', out: '/chk/out' };
const config = (c: ReturnType<typeof pytestCheck>) => JSON.parse(String(c.support!['private/config.json']));

describe('pytestCheck', () => {
  it('runs our bootstrap in isolated mode from the support dir and collects the results file', () => {
    const c = pytestCheck({ tests: ['tests/test_a.py::test_x'], timeoutMs: 1000 });
    expect(c.argv(dirs)).toEqual(['python3', '-I', '-B', '/chk/support/run_pytest.py', '/chk/support', '/chk/out', '/workspace']);
    expect(Object.keys(c.support!).sort()).toEqual(['hybrid_gym_pytest.py', 'private/config.json', 'run_pytest.py']);
    expect(c.collect).toEqual([RESULTS_FILE]);
    expect(c.timeoutMs).toBe(1000);
    expect(c.tests).toEqual(['tests/test_a.py::test_x']);
    expect(c.env).toMatchObject({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' });
    const cfg = config(c);
    expect(cfg.nonce).toBe(c.nonce);
    expect(cfg.tests).toEqual(['tests/test_a.py::test_x']);
    expect(cfg.args).toEqual(expect.arrayContaining(['-p', 'no:cacheprovider', '--continue-on-collection-errors', '-o', 'addopts=']));
    expect(cfg.trace).toBe(false);
  });

  it('picks a fresh random nonce per check unless given one', () => {
    const a = pytestCheck();
    const b = pytestCheck();
    expect(a.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(a.nonce).not.toBe(b.nonce);
    expect(pytestCheck({ nonce: 'fixed1234' }).nonce).toBe('fixed1234');
  });

  it('passes plugins, extra args, pythonPath, tracing and addopts on request', () => {
    const cfg = config(pytestCheck({ plugins: ['pytest_asyncio.plugin'], extraArgs: ['-k', 'fast'], pythonPath: ['src'], trace: true, keepAddopts: true }));
    expect(cfg.args).not.toContain('addopts=');
    expect(cfg.args.slice(-4)).toEqual(['-p', 'pytest_asyncio.plugin', '-k', 'fast']);
    expect(cfg.pythonPath).toEqual(['src']);
    expect(cfg.trace).toBe(true);
    expect(cfg.traceExclude).toBe(TEST_PATH_PATTERN);
  });

  it('rejects unknown and bad options by name', () => {
    expect(() => pytestCheck({ test: ['x'] } as never)).toThrow(ValidationError);
    expect(() => pytestCheck({ test: ['x'] } as never)).toThrow(/tests/);
    expect(() => pytestCheck({ timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(() => pytestCheck({ nonce: 'has space' })).toThrow(/nonce/);
  });

  it('the test-path rule means the same in JS as the tasks\' test files', () => {
    const re = new RegExp(TEST_PATH_PATTERN);
    for (const p of ['tests/test_a.py', 'pkg/tests/helpers.py', 'test_x.py', 'pkg/x_test.py', 'conftest.py', 'pkg/testing/util.py']) expect(re.test(p), p).toBe(true);
    for (const p of ['pkg/calc.py', 'pkg/contest.py', 'pkg/attest.py', 'setup.py']) expect(re.test(p), p).toBe(false);
  });
});
