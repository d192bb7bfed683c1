import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexRepo } from '../../../src/analysis/index.js';
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

  it('skips a file found on disk but not given, naming why', async () => {
    const given = new Map(await loadRepoFiles(repo));
    given.delete('pkg/core.py');
    const index = await indexRepo(repo, { files: given, cache: false });
    expect(index.definitions.some((d) => d.file === 'pkg/core.py')).toBe(false);
    expect(index.skipped).toContainEqual(expect.objectContaining({ file: 'pkg/core.py', reason: 'unreadable', detail: 'not among the files given' }));
  });

  it('rejects something other than a Map with a clear error', async () => {
    await expect(indexRepo(repo, { files: { 'pkg/core.py': new Uint8Array() } as never })).rejects.toThrow(/files.*Map/);
  });
});
