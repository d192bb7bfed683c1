import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callSites, callees, indexRepo, type AnalyzedRepo, type IndexProgress } from '../../../src/analysis/index.js';
import { ValidationError } from '../../../src/errors.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/analysis/calls');

let dir: string;
let repo: string;
let cache: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hg-index-cache-'));
  repo = path.join(dir, 'calls');
  cache = path.join(dir, 'cache');
  cpSync(FIXTURE, repo, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Everything an index answers, as plain data: files, definitions, skips, and every definition's callees. */
function snapshot(index: AnalyzedRepo): unknown {
  return {
    files: index.files,
    definitions: index.definitions,
    skipped: index.skipped,
    callees: index.definitions.map((d) => [d.id, callees(index, d).map((c) => c.id)]),
  };
}

async function indexed(options: Parameters<typeof indexRepo>[1] = {}): Promise<{ index: AnalyzedRepo; last: IndexProgress | undefined }> {
  let last: IndexProgress | undefined;
  const index = await indexRepo(repo, { cache, ...options, onProgress: (p) => (last = p) });
  return { index, last };
}

describe('the persistent analysis cache', () => {
  it('answers a second indexing from the cache, exactly as the first', async () => {
    const uncached = snapshot(await indexRepo(repo, { cache: false }));
    const first = await indexed();
    expect(first.last).toMatchObject({ cached: 0 });
    expect(readdirSync(path.join(cache, 'analysis'))).toHaveLength(1);
    const second = await indexed();
    expect(second.last).toEqual({ done: second.last!.total, total: second.last!.total, cached: second.last!.total, workers: 0 });
    expect(second.last!.total).toBeGreaterThan(5);
    expect(snapshot(second.index)).toEqual(uncached);
    expect(snapshot(first.index)).toEqual(uncached);
  });

  it('indexes again only the files whose content changed', async () => {
    const { last: cold } = await indexed();
    const core = path.join(repo, 'pkg/core.py');
    writeFileSync(core, `${'def added_later():\n    """Added after the first run."""\n'}\n`, { flag: 'a' });
    const { index, last } = await indexed();
    expect(last).toMatchObject({ total: cold!.total, cached: cold!.total - 1 });
    expect(index.find('pkg/core.py', 'added_later')?.docstring?.value).toBe('Added after the first run.');
    expect(snapshot(index)).toEqual(snapshot(await indexRepo(repo, { cache: false })));
  });

  it('starts over when a file is added: module names and imports depend on the whole layout', async () => {
    await indexed();
    writeFileSync(path.join(repo, 'pkg/newmod.py'), 'def fresh():\n    pass\n');
    const { index, last } = await indexed();
    expect(last?.cached).toBe(0);
    expect(index.modules.get('pkg.newmod')).toBe('pkg/newmod.py');
  });

  it('ignores a torn or foreign cache file and writes a good one', async () => {
    await indexed();
    const [pack] = readdirSync(path.join(cache, 'analysis'));
    writeFileSync(path.join(cache, 'analysis', pack!), 'not a v8 serialization');
    const torn = await indexed();
    expect(torn.last?.cached).toBe(0);
    expect(snapshot(torn.index)).toEqual(snapshot(await indexRepo(repo, { cache: false })));
    expect((await indexed()).last?.cached).toBe(torn.last!.total);
  });

  it('writes nothing with cache: false', async () => {
    await indexRepo(repo, { cache: false });
    expect(existsSync(cache)).toBe(false);
  });

  it('an unwritable cache folder costs only the caching', async () => {
    const blocked = path.join(dir, 'file-not-folder');
    writeFileSync(blocked, '');
    const index = await indexRepo(repo, { cache: blocked });
    expect(snapshot(index)).toEqual(snapshot(await indexRepo(repo, { cache: false })));
  });
});

describe('indexing only what is used', () => {
  it('calls: false gives the same definitions and refuses call-site questions by name', async () => {
    const full = await indexRepo(repo, { cache: false });
    const outline = await indexRepo(repo, { cache: false, calls: false });
    expect(outline.definitions).toEqual(full.definitions);
    expect(outline.files).toEqual(full.files);
    const def = outline.definitions[0]!;
    expect(() => callSites(outline, def)).toThrow(ValidationError);
    expect(() => callees(outline, def)).toThrow(/calls: false/);
  });

  it('an outline and a full index are cached apart', async () => {
    await indexed({ calls: false });
    const { index, last } = await indexed();
    expect(last?.cached).toBe(0);
    expect(callees(index, index.find('pkg/client.py', 'main')!).length).toBeGreaterThan(0);
  });

  it('include: leaves files out of the index but not out of the module layout', async () => {
    const index = await indexRepo(repo, { cache: false, include: (f) => f !== 'pkg/util.py' });
    expect(index.file('pkg/util.py')).toBeUndefined();
    expect(index.definitions.some((d) => d.file === 'pkg/util.py')).toBe(false);
    expect(index.file('pkg/core.py')).toBeDefined();
  });

  it('workers: 2 from source indexes in this thread (no bundled worker script) with the same result', async () => {
    let workers = -1;
    const threaded = await indexRepo(repo, { cache: false, workers: 2, onProgress: (p) => (workers = p.workers) });
    expect(workers).toBe(0);
    expect(snapshot(threaded)).toEqual(snapshot(await indexRepo(repo, { cache: false, workers: 0 })));
  });
});

describe('a file the analysis cannot read', () => {
  it('is skipped with its reason; the rest of the repository is indexed', async () => {
    // 20,000 attributes in a row: deeper than the resolver's recursion goes.
    writeFileSync(path.join(repo, 'pkg/deep.py'), `def f():\n    return ${'a.'.repeat(20_000)}b()\n`);
    const index = await indexRepo(repo, { cache: false });
    expect(index.skipped).toContainEqual({ file: 'pkg/deep.py', reason: 'parse-failed', detail: expect.stringMatching(/^analysis failed: /) });
    expect(index.find('pkg/client.py', 'main')).toBeDefined();
    expect((await indexRepo(repo, { cache: false, calls: false })).find('pkg/deep.py', 'f')).toBeDefined();
  });
});
