import { StaleInstanceError } from '../../errors.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { filesAtCommit } from './git-tree.js';
import type { IssueLocalizeInstance, Mutation } from './schema.js';

/**
 * The files the agent starts from. Synthetic: the repository with the bug put in. Issue rows: the
 * tree of the base commit (the episode's workspace is a fresh one-commit repository of these files,
 * so nothing of later commits reaches it).
 */
export async function issueWorkspace(instance: IssueLocalizeInstance): Promise<WorkspaceFiles> {
  if (instance.source === 'issue') return filesAtCommit(instance.repo.path, instance.baseCommit);
  const files = new Map(await repoFiles(instance.repo.path));
  const m = instance.mutation;
  const original = files.get(m.file);
  if (!original) throw new StaleInstanceError(instance.id, m.file, 'is missing');
  files.set(m.file, Buffer.from(applyMutation(original.toString('utf8'), m, instance.id), 'utf8'));
  return files;
}

/**
 * Put a mutation into the original file's text: its `original` lines, found where the mutation says
 * (at `line` for an edit, right below it for a removal), become its `mutated` lines. Lines are split
 * on `\n` and keep their own `\r`, as the mutation's lines do, so mixed line endings stay as they were.
 */
export function applyMutation(source: string, m: Mutation, id = '?'): string {
  const lines = source.split('\n');
  const removal = m.mutated === '';
  const start = removal ? m.line : m.line - 1;
  const want = m.original.split('\n');
  const bare = (l: string): string => l.replace(/\r$/, '');
  const found = lines.slice(start, start + want.length);
  if (found.length !== want.length || found.some((l, k) => bare(l) !== bare(want[k]!))) {
    throw new StaleInstanceError(id, m.file, `no longer holds, at line ${start + 1}, the lines the bug replaces`);
  }
  lines.splice(start, want.length, ...(removal ? [] : m.mutated.split('\n')));
  return lines.join('\n');
}
