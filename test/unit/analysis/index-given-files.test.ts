import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexRepo, pythonFiles } from '../../../src/analysis/index.js';
import { pythonFilesAmong } from '../../../src/analysis/python/discover.js';
import { loadRepoFiles } from '../../../src/workspace/files.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/analysis/calls');

let dir: string;
let repo: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hg-index-given-'));
  repo = path.join(dir, 'calls');
  cpSync(FIXTURE, repo, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('indexing bytes already read (the files option)', () => {
  it('describes the bytes given, not what the disk holds by then', async () => {
    const given = await loadRepoFiles(repo);
    const before = (await indexRepo(repo, { cache: false })).definitions;
    writeFileSync(path.join(repo, 'pkg', 'util.py'), 'def only_on_disk():\n    return 1\n');
    for (const cache of [false, path.join(dir, 'cache')] as const) {
      const index = await indexRepo(repo, { files: given, cache });
      const names = index.definitions.filter((d) => d.file === 'pkg/util.py').map((d) => d.name);
      expect(names).not.toContain('only_on_disk');
      expect(names.length).toBeGreaterThan(0);
      expect(index.definitions).toEqual(before);
    }
  });

  it('takes its files and module layout from the paths given: a file deleted on disk is still there, one added is not', async () => {
    const given = await loadRepoFiles(repo);
    const before = await indexRepo(repo, { cache: false });
    rmSync(path.join(repo, 'pkg', 'core.py'));
    writeFileSync(path.join(repo, 'pkg', 'added.py'), 'def added():\n    return 1\n');
    for (const cache of [false, path.join(dir, 'cache')] as const) {
      const index = await indexRepo(repo, { files: given, cache });
      expect(index.files.map((f) => f.file)).toEqual(before.files.map((f) => f.file));
      expect([...index.modules]).toEqual([...before.modules]);
      expect(index.definitions).toEqual(before.definitions);
      expect(index.skipped).toEqual([]);
    }
    // A path left out of the map is no part of the repository: neither indexed nor a module.
    const without = new Map(given);
    without.delete('pkg/util.py');
    const index = await indexRepo(repo, { files: without, cache: false });
    expect(index.files.map((f) => f.file)).not.toContain('pkg/util.py');
    expect([...index.modules.values()]).not.toContain('pkg/util.py');
  });

  it('finds among the paths given the files discovery finds on disk: hidden, build and environment folders left out', async () => {
    for (const f of ['.hidden/a.py', 'node_modules/b.py', 'env/pyvenv.cfg', 'env/lib/c.py', 'x.egg-info/d.py', 'pkg/sub/__pycache__/e.py', 'build/g.py', 'pkg/notes.txt']) {
      mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      writeFileSync(path.join(repo, f), 'def f():\n    pass\n');
    }
    symlinkSync(path.join(repo, 'pkg', 'core.py'), path.join(repo, 'pkg', 'linked.py'));
    // Entries named pyvenv.cfg that are no file: no environment for either.
    mkdirSync(path.join(repo, 'envdir', 'pyvenv.cfg'), { recursive: true });
    writeFileSync(path.join(repo, 'envdir', 'm.py'), 'x = 1\n');
    mkdirSync(path.join(repo, 'envlink'));
    symlinkSync(path.join(repo, 'env', 'pyvenv.cfg'), path.join(repo, 'envlink', 'pyvenv.cfg'));
    writeFileSync(path.join(repo, 'envlink', 'm.py'), 'x = 1\n');
    const found = await pythonFiles(repo);
    expect(pythonFilesAmong((await loadRepoFiles(repo)).keys())).toEqual(found);
    expect(found).toEqual(expect.arrayContaining(['envdir/m.py', 'envlink/m.py']));
    expect(found).not.toContain('env/lib/c.py');
  });

  it('rejects something other than a Map with a clear error', async () => {
    await expect(indexRepo(repo, { files: { 'pkg/core.py': new Uint8Array() } as never })).rejects.toThrow(/files.*Map/);
  });
});
