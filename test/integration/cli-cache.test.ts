import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, requireBuild, runCli } from '../support/run-cli.js';

let cache = '';
// Names of the shape the cache writes (cacheFile(): 24 hex digits).
const OLD = `${'a'.repeat(24)}.v8`;
const NEW = `${'b'.repeat(24)}.v8`;
beforeAll(async () => {
  requireBuild();
  cache = await mkdtemp(join(tmpdir(), 'hybrid-gym-cli-cache-'));
  await mkdir(join(cache, 'analysis'), { recursive: true });
  await writeFile(join(cache, 'analysis', OLD), 'x'.repeat(40));
  const t = new Date(Date.now() - 90 * 24 * 60 * 60 * 1000);
  await utimes(join(cache, 'analysis', OLD), t, t);
  await writeFile(join(cache, 'analysis', NEW), 'y'.repeat(2));
});
afterAll(async () => {
  if (cache) await rm(cache, { recursive: true, force: true });
});

describe('hybrid-gym cache', () => {
  it('reports what $HYBRID_GYM_CACHE holds, then prunes what was not used for --older-than days', async () => {
    const info = await runCli(['cache'], { env: { HYBRID_GYM_CACHE: cache } });
    expect(info.code, explain(info)).toBe(0);
    const shown = JSON.parse(info.stdout) as { dir: string; files: number; bytes: number; kinds: Array<{ kind: string; files: number }> };
    expect(shown).toMatchObject({ dir: cache, files: 2, bytes: 42 });
    expect(shown.kinds.find((k) => k.kind === 'analysis')?.files).toBe(2);

    const pruned = await runCli(['cache', 'prune', '--older-than', '30', '--dir', cache]);
    expect(pruned.code, explain(pruned)).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual({ dir: cache, removedFiles: 1, removedBytes: 40, keptFiles: 1 });
    expect(existsSync(join(cache, 'analysis', OLD))).toBe(false);
    expect(existsSync(join(cache, 'analysis', NEW))).toBe(true);
  });

  it('prune without --older-than or --all, or with both, is a usage error that removes nothing', async () => {
    for (const args of [['cache', 'prune'], ['cache', 'prune', '--all', '--older-than', '1'], ['cache', 'prune', '--older-than', '0']]) {
      const r = await runCli([...args, '--dir', cache]);
      expect(r.code, explain(r)).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^hybrid-gym: .*(--older-than|--all)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(cache, 'analysis', NEW))).toBe(true);
  });

  it('a word that is no subcommand, or a --dir that is no folder, is a usage error naming it', async () => {
    const bogus = await runCli(['cache', 'purge', '--dir', cache]);
    expect(bogus.code, explain(bogus)).toBe(2);
    expect(bogus.stderr).toMatch(/no subcommand "purge".*cache prune/);
    const file = join(cache, 'analysis', NEW);
    for (const args of [['cache', '--dir', file], ['cache', 'prune', '--all', '--dir', join(cache, 'missing')]]) {
      const r = await runCli(args);
      expect(r.code, explain(r)).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--dir .*(not a directory|no such directory)/);
    }
    expect(existsSync(file)).toBe(true);
  });
});
