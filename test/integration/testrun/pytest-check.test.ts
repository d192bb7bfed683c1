import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxCodeRunner } from '../../../src/env/code-runner.js';
import { DockerProvider } from '../../../src/sandbox/docker/docker-provider.js';
import { parsePytestResults, pytestCheck } from '../../../src/testrun/index.js';
import { loadRepoFiles, type WorkspaceFiles } from '../../../src/workspace/files.js';
import { dockerReady } from '../helpers.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/testrun/basic', import.meta.url));

const outcomes = (r: ReturnType<typeof parsePytestResults>) => Object.fromEntries(r.tests.map((t) => [t.nodeid, t.outcome]));

describe.runIf(dockerReady())('pytest check in a verification sandbox (docker)', () => {
  let provider: DockerProvider;
  let runner: SandboxCodeRunner;
  let files: WorkspaceFiles;

  beforeAll(async () => {
    provider = await DockerProvider.start();
    runner = new SandboxCodeRunner(provider);
    files = await loadRepoFiles(FIXTURE);
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('reports each outcome from the results channel; os._exit leaves the rest missing and the run incomplete', async () => {
    const check = pytestCheck();
    const result = await runner.run(files, check);
    const r = parsePytestResults(result, check);
    expect(outcomes(r)).toEqual({
      'tests/test_calc.py::test_add': 'passed',
      'tests/test_calc.py::test_accumulator': 'passed',
      'tests/test_calc.py::test_square_and_outer': 'passed',
      'tests/test_calc.py::test_add_wrong': 'failed',
      'tests/test_calc.py::test_divide_by_zero': 'failed',
      'tests/test_calc.py::test_uses_broken_fixture': 'error',
      'tests/test_calc.py::test_skipped': 'skipped',
      'tests/test_calc.py::test_known_bug': 'xfailed',
      'tests/test_calc.py::test_flaky_under_tracing': 'passed',
      'tests/test_calc.py::test_add_cases[1-2-3]': 'passed',
      'tests/test_calc.py::test_add_cases[0-0-0]': 'passed',
      'tests/test_hooks.py::test_no_planted_hooks': 'passed',
      // It printed a pytest summary and tried to write forged records (one without a nonce, one with another): it failed.
      'tests/test_noise.py::test_forged_summary': 'failed',
      'tests/test_zexit.py::test_before_exit': 'passed',
    });
    // The results file is root's and could not be opened by its path; what it wrote through the descriptor lacks the nonce.
    expect(r.ignoredLines).toBe(3);
    // The os._exit(0) in the code under test: exit code 0, but no session end and two tests never reported.
    expect(result.exitCode).toBe(0);
    expect(r.complete).toBe(false);
    expect(r.exitStatus).toBeUndefined();
    expect(r.crashed).toBe('tests/test_zexit.py::test_exit_midway');
    expect(r.missing).toEqual(['tests/test_zexit.py::test_after_exit', 'tests/test_zexit.py::test_exit_midway']);

    const wrong = r.tests.find((t) => t.nodeid === 'tests/test_calc.py::test_add_wrong')!;
    expect(wrong.phase).toBe('call');
    expect(wrong.message).toContain('two and two make five');
    expect(wrong.frames).toEqual([{ file: 'tests/test_calc.py', line: 24 }]);
    const zero = r.tests.find((t) => t.nodeid === 'tests/test_calc.py::test_divide_by_zero')!;
    expect(zero.message).toBe('ZeroDivisionError: division by zero');
    expect(zero.frames!.at(-1)).toEqual({ file: 'calc/core.py', line: 9 });
    expect(zero.traceback).toContain('return a / b');
    expect(r.tests.find((t) => t.nodeid.endsWith('test_uses_broken_fixture'))).toMatchObject({ phase: 'setup', message: 'RuntimeError: fixture broke' });
    expect(r.tests.find((t) => t.nodeid.endsWith('test_skipped'))!.message).toContain('not today');
  });

  it('a forged summary on stdout (capture off) and forged records do not make a pass', async () => {
    const check = pytestCheck({ tests: ['tests/test_noise.py'], extraArgs: ['-s'] });
    const result = await runner.run(files, check);
    const r = parsePytestResults(result, check);
    expect(result.output).toContain('=== 5 passed in 0.01s ===');
    expect(outcomes(r)).toEqual({ 'tests/test_noise.py::test_forged_summary': 'failed' });
    expect(r).toMatchObject({ complete: true, exitStatus: 1, ignoredLines: 3 });
  });

  it('runs the selected tests only, and a complete run says so', async () => {
    const check = pytestCheck({ tests: ['tests/test_calc.py::test_add', 'tests/test_calc.py::test_add_cases', 'tests/test_calc.py::test_add_wrong'] });
    const r = parsePytestResults(await runner.run(files, check), check);
    expect(outcomes(r)).toEqual({
      'tests/test_calc.py::test_add': 'passed',
      'tests/test_calc.py::test_add_cases[1-2-3]': 'passed',
      'tests/test_calc.py::test_add_cases[0-0-0]': 'passed',
      'tests/test_calc.py::test_add_wrong': 'failed',
    });
    expect(r).toMatchObject({ complete: true, exitStatus: 1, missing: [] });
  });

  it('a selected test that does not exist is missing, not passed', async () => {
    const check = pytestCheck({ tests: ['tests/test_calc.py::test_add', 'tests/test_calc.py::test_nope'] });
    const r = parsePytestResults(await runner.run(files, check), check);
    expect(r.complete).toBe(false);
    expect(r.missing).toContain('tests/test_calc.py::test_nope');
    expect(r.tests.some((t) => t.nodeid.endsWith('test_nope'))).toBe(false);
  });

  it('ignores hooks planted outside the repo\'s code paths: sitecustomize.py, usercustomize.py, .pth files, an entry-point plugin', async () => {
    const planted: WorkspaceFiles = new Map(files);
    const set = (path: string, text: string) => planted.set(path, Buffer.from(text));
    set('sitecustomize.py', 'import builtins\nbuiltins.PLANTED_SITECUSTOMIZE = True\n');
    set('usercustomize.py', 'import builtins\nbuiltins.PLANTED_USERCUSTOMIZE = True\n');
    set('planted.pth', 'import builtins; builtins.PLANTED_PTH = True\n');
    set('calc/planted.pth', 'import builtins; builtins.PLANTED_PTH = True\n');
    set('evil_plugin.py', 'import builtins\nbuiltins.PLANTED_PLUGIN = True\n');
    set('evil-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n');
    set('evil-1.0.dist-info/entry_points.txt', '[pytest11]\nevil = evil_plugin\n');
    // The control: a plain `python3 -m pytest` in the workspace does pick them up.
    const naive = await runner.run(planted, { name: 'naive', argv: () => ['python3', '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_hooks.py'] });
    expect(naive.exitCode, naive.output).toBe(1);
    expect(naive.output).toContain('PLANTED_');
    const check = pytestCheck({ tests: ['tests/test_hooks.py'] });
    const result = await runner.run(planted, check);
    const r = parsePytestResults(result, check);
    expect(outcomes(r), result.output).toEqual({ 'tests/test_hooks.py::test_no_planted_hooks': 'passed' });
    expect(r.complete).toBe(true);
  });

  it('leaves no cache or bytecode in the workspace', async () => {
    const check = pytestCheck({ tests: ['tests/test_calc.py::test_add'], extraArgs: [] });
    const probe = {
      ...check,
      argv: (d: Parameters<typeof check.argv>[0]) => ['sh', '-c', `"$@"; find . -name __pycache__ -o -name .pytest_cache -o -name '*.pyc' | sed 's/^/LEFT:/'`, 'sh', ...check.argv(d)],
    };
    const result = await runner.run(files, probe);
    expect(parsePytestResults(result, check).tests).toHaveLength(1);
    expect(result.output).not.toContain('LEFT:');
  });
});
