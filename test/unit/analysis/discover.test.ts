import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callees, indexRepo, type AnalyzedRepo } from '../../../src/analysis/index.js';
import { ValidationError } from '../../../src/errors.js';

// Built in a temporary folder: names like build/ and dist/ would be ignored by git in test/fixtures.
let root: string;
let index: AnalyzedRepo;

function put(rel: string, content: string | Buffer): void {
  const full = path.join(root, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hg-analysis-'));
  for (const skipped of ['.hidden/x.py', 'venv/lib/y.py', 'env1/lib/z.py', 'node_modules/a.py', 'build/b.py',
    'dist/c.py', 'mylib.egg-info/d.py', 'src/mylib/__pycache__/e.py']) put(skipped, 'def skipped(): pass\n');
  put('env1/pyvenv.cfg', 'home = /usr/bin\n');
  put('src/mylib/__init__.py', '');
  put('src/mylib/core.py', 'def core():\n    return 1\n');
  put('tests/helpers.py', 'def h():\n    return 2\n');
  put('tests/test_core.py', 'from mylib.core import core\nfrom helpers import h\n\n\ndef test_core():\n    core()\n    h()\n');
  put('ns/part/mod.py', 'def in_namespace():\n    pass\n');
  put('ns/user.py', 'from ns.part.mod import in_namespace\n\n\ndef use():\n    in_namespace()\n');
  put('scripts/my-tool.py', 'def tool():\n    pass\n');
  put('latin.py', Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\ndef f():\n    "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]));
  put('bad_utf8.py', Buffer.concat([Buffer.from('def g():\n    "'), Buffer.from([0xff, 0xfe]), Buffer.from('"\n')]));
  put('bom.py', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('def b():\n    "x"\n')]));
  put('broken.py', 'def ok():\n    return 1\n\ndef broken(:\n    pass\n\nclass After:\n    def m(self):\n        pass\n');
  put('big.py', `X = [${'1, '.repeat(400)}]\n`);
  index = await indexRepo(root, { maxFileBytes: 1000 });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('discovery', () => {
  it('lists Python files sorted, skipping hidden folders, environments and build output', () => {
    expect(index.files.map((f) => f.file)).toEqual([
      'bom.py', 'broken.py', 'latin.py', 'ns/part/mod.py', 'ns/user.py', 'scripts/my-tool.py',
      'src/mylib/__init__.py', 'src/mylib/core.py', 'tests/helpers.py', 'tests/test_core.py',
    ]);
  });

  it('names modules from a src/ layout, namespace packages, and not for non-identifier paths', () => {
    const moduleOf = (f: string) => index.file(f)?.module;
    expect(moduleOf('src/mylib/core.py')).toBe('mylib.core');
    expect(moduleOf('src/mylib/__init__.py')).toBe('mylib');
    expect(moduleOf('ns/part/mod.py')).toBe('ns.part.mod');
    expect(moduleOf('tests/test_core.py')).toBe('tests.test_core');
    expect(moduleOf('scripts/my-tool.py')).toBeNull();
    expect(index.modules.get('mylib.core')).toBe('src/mylib/core.py');
  });

  it('resolves imports through the src/ layout, namespace packages and a test folder on sys.path', () => {
    const test = index.find('tests/test_core.py', 'test_core');
    expect(test && callees(index, test).map((d) => d.id)).toEqual(['src/mylib/core.py::core', 'tests/helpers.py::h']);
    const use = index.find('ns/user.py', 'use');
    expect(use && callees(index, use).map((d) => d.id)).toEqual(['ns/part/mod.py::in_namespace']);
  });

  it('reports files it cannot use with a reason instead of failing', () => {
    expect(index.skipped).toEqual([
      { file: 'bad_utf8.py', reason: 'not-decodable', detail: 'invalid utf-8' },
      { file: 'big.py', reason: 'too-large', detail: expect.stringContaining('> 1000') as unknown as string },
    ]);
  });

  it('decodes by coding cookie and strips a byte-order mark (counting it in byte offsets)', () => {
    expect(index.file('latin.py')?.encoding).toBe('latin-1');
    expect(index.find('latin.py', 'f')?.docstring?.value).toBe('café');
    const b = index.find('bom.py', 'b')?.docstring;
    expect(b).toMatchObject({ startIndex: 13, startByte: 16, value: 'x' });
  });

  it('indexes what tree-sitter recovers from a file with syntax errors and flags it', () => {
    expect(index.file('broken.py')?.hasErrors).toBe(true);
    expect(index.file('src/mylib/core.py')?.hasErrors).toBe(false);
    const names = index.definitionsIn('broken.py').map((d) => d.qualname);
    expect(names).toContain('ok');
    expect(names).toContain('After.m');
  });

  it('finds definitions by file and line', () => {
    expect(index.definitionAt('broken.py', 9)?.qualname).toBe('After.m');
    expect(index.definitionAt('broken.py', 3)).toBeUndefined();
  });

  it('validates options', async () => {
    await expect(indexRepo(root, { maxFileBytes: -1 })).rejects.toBeInstanceOf(ValidationError);
  });
});
