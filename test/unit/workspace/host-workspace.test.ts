import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { writeWorkspaceDir } from '../../../src/workspace/host-workspace.js';

describe('writeWorkspaceDir', () => {
  it('commits every file, those its own .gitignore names included, in one commit', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hg-hostws-')), 'ws');
    await writeWorkspaceDir(dir, new Map([
      ['.gitignore', Buffer.from('pkg/local_settings.py\n*.log\n')],
      ['pkg/core.py', Buffer.from('x = 1\n')],
      ['pkg/local_settings.py', Buffer.from('DEBUG = True\n')],
      ['build.log', Buffer.from('kept\n')],
    ]));
    const git = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout;
    expect((await git('ls-files')).split('\n').sort()).toEqual(['.gitignore', 'build.log', 'pkg/core.py', 'pkg/local_settings.py']);
    expect(await git('status', '--porcelain', '--ignored')).toBe('');
    expect((await git('log', '--all', '--oneline')).split('\n')).toHaveLength(1);
  });
});
