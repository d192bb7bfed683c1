import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxCodeRunner } from '../../../src/env/code-runner.js';
import { DockerProvider } from '../../../src/sandbox/docker/docker-provider.js';
import { buildTestMap, type TestMap } from '../../../src/testrun/index.js';
import { loadRepoFiles, type WorkspaceFiles } from '../../../src/workspace/files.js';
import { debianPythonModule } from '../../support/debian-repos.js';
import { dockerReady } from '../helpers.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/testrun/basic', import.meta.url));

/** A workspace holding the given top-level modules of a Debian package's dist-packages, under their names. */
async function debianRepo(deb: string, modules: string[]): Promise<WorkspaceFiles> {
  const files: WorkspaceFiles = new Map();
  for (const m of modules) {
    const dir = debianPythonModule(deb, m);
    for (const [path, content] of await loadRepoFiles(dir)) files.set(`${m}/${path}`, content);
  }
  return files;
}

const summary = (name: string, m: TestMap) => ({
  name,
  tests: m.tests.length,
  functions: m.functions.length,
  buildMs: m.buildMs,
  failing: m.excluded.failing,
  flaky: m.excluded.flaky,
  skipped: m.excluded.skipped.length,
  collectErrors: m.collectErrors,
});

describe.runIf(dockerReady())('test map built in the sandbox (docker)', () => {
  let provider: DockerProvider;
  let runner: SandboxCodeRunner;
  let cacheDir: string;

  beforeAll(async () => {
    provider = await DockerProvider.start();
    runner = new SandboxCodeRunner(provider);
    cacheDir = mkdtempSync(join(tmpdir(), 'hg-testmap-'));
  });
  afterAll(async () => {
    await provider?.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('on the fixture: maps passing tests to functions; failing, crashing and flaky tests are excluded and listed', async () => {
    const files = await loadRepoFiles(FIXTURE);
    const map = await buildTestMap(runner, files, { cacheDir });
    expect(map.tests).toEqual([
      'tests/test_calc.py::test_accumulator',
      'tests/test_calc.py::test_add',
      'tests/test_calc.py::test_add_cases[0-0-0]',
      'tests/test_calc.py::test_add_cases[1-2-3]',
      'tests/test_calc.py::test_square_and_outer',
      'tests/test_hooks.py::test_no_planted_hooks',
      'tests/test_zexit.py::test_after_exit',
      'tests/test_zexit.py::test_before_exit',
    ]);
    expect(map.excluded).toEqual({
      failing: [
        'tests/test_calc.py::test_add_wrong',
        'tests/test_calc.py::test_divide_by_zero',
        'tests/test_calc.py::test_uses_broken_fixture',
        'tests/test_noise.py::test_forged_summary',
        'tests/test_zexit.py::test_exit_midway',
      ],
      flaky: ['tests/test_calc.py::test_flaky_under_tracing'],
      skipped: ['tests/test_calc.py::test_known_bug', 'tests/test_calc.py::test_skipped'],
    });
    const fn = (qualname: string) => map.functions.find((f) => f.qualname === qualname);
    expect(map.functions.map((f) => `${f.file}:${f.line}:${f.qualname}`)).toEqual([
      'calc/core.py:4:add',
      'calc/core.py:13:_logged.<locals>.wrapper',
      'calc/core.py:20:square',
      'calc/core.py:25:outer',
      'calc/core.py:26:outer.<locals>.inner',
      'calc/core.py:33:Accumulator.__init__',
      'calc/core.py:36:Accumulator.push',
      'calc/core.py:40:Accumulator.total',
    ]);
    expect(fn('add')!.tests).toEqual([
      'tests/test_calc.py::test_add',
      'tests/test_calc.py::test_add_cases[0-0-0]',
      'tests/test_calc.py::test_add_cases[1-2-3]',
      'tests/test_zexit.py::test_after_exit',
      'tests/test_zexit.py::test_before_exit',
    ]);
    // divide is only reached by tests that fail or xfail; noise.py only by the failing and the crashing one.
    expect(fn('divide')).toBeUndefined();
    expect(map.functions.some((f) => f.file.startsWith('tests/'))).toBe(false);
    // Cached: the same map, no sandbox run.
    const again = await buildTestMap({ run: () => Promise.reject(new Error('should come from the cache')) }, files, { cacheDir });
    expect(again).toEqual(map);
  });

  const REAL = [
    { name: 'simplejson', deb: 'python3-simplejson', modules: ['simplejson'] },
    { name: 'toolz', deb: 'python3-toolz', modules: ['toolz', 'tlz'] },
  ];
  for (const pkg of REAL) {
    it(`on Debian's ${pkg.name}, with its own tests`, async () => {
      const files = await debianRepo(pkg.deb, pkg.modules);
      const map = await buildTestMap(runner, files, { cacheDir, refresh: true });
      process.stderr.write(`[testrun] ${JSON.stringify(summary(pkg.name, map))}\n`);
      expect(map.tests.length).toBeGreaterThan(50);
      expect(map.functions.length).toBeGreaterThan(30);
      expect(map.functions.every((f) => f.tests.length > 0 && !/(^|\/)tests\//.test(f.file))).toBe(true);
      // Everything mapped is the package's own code.
      expect(map.functions.every((f) => pkg.modules.some((m) => f.file.startsWith(`${m}/`)))).toBe(true);
      expect(dirname(map.functions[0]!.file)).not.toBe('.');
    }, 600_000);
  }
});
