import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { HybridGymError } from '../errors.js';
import type { WorkspaceFiles } from './files.js';

/**
 * Write a workspace to a host directory as a fresh git repository with one commit, as the agent
 * sees it in a sandbox. The directory must be new or empty: nothing of yours is overwritten.
 */
export async function writeWorkspaceDir(dir: string, files: WorkspaceFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw new HybridGymError('DIR_NOT_EMPTY', `${dir} is not empty; give a new or empty directory`);
  }
  for (const [path, content] of files) {
    const target = join(dir, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.name=hybrid-gym', '-c', 'user.email=hybrid-gym@localhost', ...args], { cwd: dir });
  await git('init', '-q', '-b', 'main', '.');
  // -f: the repo's own .gitignore must not keep any of its files out of the commit (as in a sandbox's workspace).
  await git('add', '-A', '-f');
  await git('commit', '-q', '--no-verify', '-m', 'workspace');
}
