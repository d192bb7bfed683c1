import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CodeCheck, CodeCheckResult, CodeRunner } from '../../../src/tasks/code-check.js';
import { buildTestMap, hashFiles } from '../../../src/testrun/test-map.js';

interface FakeTest {
  traced: string;
  plain: string;
  fns?: string[];
  /** The process dies in this test (os._exit). */
  exits?: boolean;
}

/** Plays pytest: reads the check's config and writes the records our plugin would. */
class FakeRunner implements CodeRunner {
  calls: Array<{ trace: boolean; tests: string[]; image?: string }> = [];
  constructor(private readonly suite: Record<string, FakeTest>) {}
  async run(_files: Map<string, Buffer>, check: CodeCheck, options: { image?: string } = {}): Promise<CodeCheckResult> {
    const cfg = JSON.parse(String(check.support!['private/config.json']));
    this.calls.push({ trace: cfg.trace, tests: cfg.tests, ...(options.image ? { image: options.image } : {}) });
    const ids = cfg.tests.length ? cfg.tests : Object.keys(this.suite);
    const out: object[] = [
      ...(cfg.tests.length ? [] : [{ t: 'collect', nodeid: 'tests/test_c.py', message: "ModuleNotFoundError: No module named 'six'" }]),
      { t: 'collected', nodeids: ids },
    ];
    const fnIds = new Map<string, number>();
    let died = false;
    for (const id of ids) {
      const t = this.suite[id]!;
      out.push({ t: 'start', nodeid: id });
      if (t.exits) {
        died = true;
        break;
      }
      if (cfg.trace) {
        for (const f of t.fns ?? []) {
          if (!fnIds.has(f)) {
            fnIds.set(f, fnIds.size);
            const [file, qualname, line] = f.split(':');
            out.push({ t: 'fn', id: fnIds.get(f), file, qualname, line: Number(line) });
          }
        }
      }
      out.push({ t: 'test', nodeid: id, outcome: cfg.trace ? t.traced : t.plain, duration: 0.001 });
      if (cfg.trace) out.push({ t: 'cover', nodeid: id, fns: (t.fns ?? []).map((f) => fnIds.get(f)) });
    }
    if (!died) out.push({ t: 'session', exitStatus: 1, counts: {} });
    const text = out.map((r) => JSON.stringify({ ...r, n: cfg.nonce })).join('\n');
    return { exitCode: died ? 0 : 1, output: '', timedOut: false, truncated: false, durationMs: 1, collected: { 'results.jsonl': Buffer.from(text) } };
  }
}

const SUITE: Record<string, FakeTest> = {
  'tests/test_a.py::test_ok': { traced: 'passed', plain: 'passed', fns: ['pkg/m.py:f:3', 'pkg/m.py:C.g:10'] },
  'tests/test_a.py::test_ok2': { traced: 'passed', plain: 'passed', fns: ['pkg/m.py:f:3'] },
  'tests/test_a.py::test_fails': { traced: 'failed', plain: 'failed', fns: ['pkg/m.py:h:20'] },
  'tests/test_a.py::test_flaky': { traced: 'failed', plain: 'passed', fns: ['pkg/n.py:k:1'] },
  'tests/test_a.py::test_skip': { traced: 'skipped', plain: 'skipped' },
  'tests/test_b.py::test_exit': { traced: 'passed', plain: 'passed', exits: true },
  'tests/test_b.py::test_after': { traced: 'passed', plain: 'passed', fns: ['pkg/a.py:z:2'] },
};

const files = new Map([['pkg/m.py', Buffer.from('def f(): pass\n')]]);
let dirs: string[] = [];
const cacheDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hg-testmap-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('buildTestMap', () => {
  it('maps passing, deterministic tests to the functions they entered; excludes and counts the others', async () => {
    const runner = new FakeRunner(SUITE);
    const map = await buildTestMap(runner, files, { cacheDir: cacheDir(), image: 'img:1' });
    expect(map.tests).toEqual(['tests/test_a.py::test_ok', 'tests/test_a.py::test_ok2', 'tests/test_b.py::test_after']);
    expect(map.excluded).toEqual({
      failing: ['tests/test_a.py::test_fails', 'tests/test_b.py::test_exit'],
      flaky: ['tests/test_a.py::test_flaky'],
      skipped: ['tests/test_a.py::test_skip'],
    });
    expect(map.functions).toEqual([
      { file: 'pkg/a.py', qualname: 'z', line: 2, tests: ['tests/test_b.py::test_after'] },
      { file: 'pkg/m.py', qualname: 'f', line: 3, tests: ['tests/test_a.py::test_ok', 'tests/test_a.py::test_ok2'] },
      { file: 'pkg/m.py', qualname: 'C.g', line: 10, tests: ['tests/test_a.py::test_ok'] },
    ]);
    expect(map.repoHash).toBe(hashFiles(files));
    expect(map.image).toBe('img:1');
    // A traced run, a rerun after the crash, then the same for the untraced run.
    expect(runner.calls).toEqual([
      { trace: true, tests: [], image: 'img:1' },
      { trace: true, tests: ['tests/test_b.py::test_after'], image: 'img:1' },
      { trace: false, tests: [], image: 'img:1' },
      { trace: false, tests: ['tests/test_b.py::test_after'], image: 'img:1' },
    ]);
  });

  it('is cached by content and image; a corrupt or foreign cache file is rebuilt, not trusted', async () => {
    const dir = cacheDir();
    const runner = new FakeRunner(SUITE);
    const first = await buildTestMap(runner, files, { cacheDir: dir });
    expect(runner.calls).toHaveLength(4);
    const again = await buildTestMap(runner, files, { cacheDir: dir });
    expect(runner.calls).toHaveLength(4);
    expect(again).toEqual(first);
    await buildTestMap(runner, new Map([...files, ['pkg/new.py', Buffer.from('x = 1\n')]]), { cacheDir: dir });
    expect(runner.calls).toHaveLength(8);
    await buildTestMap(runner, files, { cacheDir: dir, image: 'other:1' });
    expect(runner.calls).toHaveLength(12);

    const cached = readdirSync(join(dir, 'test-maps'));
    expect(cached).toHaveLength(3);
    for (const f of cached) writeFileSync(join(dir, 'test-maps', f), JSON.stringify({ ...first, tests: 'all of them' }));
    const rebuilt = await buildTestMap(runner, files, { cacheDir: dir });
    expect(runner.calls).toHaveLength(16);
    expect(rebuilt.tests).toEqual(first.tests);
    for (const f of cached) writeFileSync(join(dir, 'test-maps', f), '{not json');
    await buildTestMap(runner, files, { cacheDir: dir });
    expect(runner.calls).toHaveLength(20);
  });

  it('lists the modules that failed to collect, with pytest\'s reason', async () => {
    const map = await buildTestMap(new FakeRunner(SUITE), files, { cacheDir: cacheDir() });
    expect(map.collectErrors).toEqual([{ nodeid: 'tests/test_c.py', message: "ModuleNotFoundError: No module named 'six'" }]);
  });

  it('takes the runner\'s own image when none is named, and keeps maps of different images apart', async () => {
    const dir = cacheDir();
    const plain = await buildTestMap(new FakeRunner(SUITE), files, { cacheDir: dir });
    const mine = Object.assign(new FakeRunner(SUITE), { image: 'mine:2' });
    const map = await buildTestMap(mine, files, { cacheDir: dir });
    expect(plain.image).toBe('hybrid-gym/sandbox:0.1.0-1');
    expect(map.image).toBe('mine:2');
    expect(mine.calls.length).toBeGreaterThan(0);
  });

  it('is the same map whatever order the tests ran in', async () => {
    const reversed = Object.fromEntries(Object.entries(SUITE).reverse());
    const a = await buildTestMap(new FakeRunner(SUITE), files, { cacheDir: cacheDir() });
    const b = await buildTestMap(new FakeRunner(reversed), files, { cacheDir: cacheDir() });
    expect({ ...b, buildMs: 0 }).toEqual({ ...a, buildMs: 0 });
  });

  it('says so when pytest gives no results at all', async () => {
    const runner: CodeRunner = {
      run: async () => ({ exitCode: 127, output: 'python3: not found', timedOut: false, truncated: false, durationMs: 1, collected: {} }),
    };
    await expect(buildTestMap(runner, files, { cacheDir: cacheDir() })).rejects.toThrow(/no results.*python3: not found/);
  });

  it('rejects unknown options by name', async () => {
    await expect(buildTestMap(new FakeRunner(SUITE), files, { cachedir: 'x' } as never)).rejects.toThrow(/cacheDir/);
  });
});
