import { readdir, readFile, stat } from 'node:fs/promises';
import { lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';

/** A repository as files: path relative to the root with `/` separators, mapped to its bytes. */
export type WorkspaceFiles = Map<string, Buffer>;

/** Directory names never copied into a workspace: history, caches, environments, build output. */
export const IGNORED_DIRS: ReadonlySet<string> = new Set([
  '.git', '.hg', '.svn', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.tox', '.nox',
  'node_modules', '.venv', 'venv', '.eggs', '.idea', '.vscode',
]);

/** Whether a folder name is one never copied: `IGNORED_DIRS`, or package metadata (`*.egg-info`). */
export function isIgnoredDir(name: string): boolean {
  return IGNORED_DIRS.has(name) || name.endsWith('.egg-info');
}

/** File names never copied: compiled Python and OS litter. */
export function isIgnoredFile(name: string): boolean {
  return name.endsWith('.pyc') || name.endsWith('.pyo') || name === '.DS_Store';
}

/** Every file a workspace copies, in sorted order (what `IGNORED_DIRS` names and symlinks left out), with its relative path. */
async function walkRepo(root: string, onFile: (rel: string) => Promise<void>, onFolder?: (rel: string) => void): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    onFolder?.(rel);
    const entries = (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!isIgnoredDir(e.name)) await walk(childRel);
      } else if (e.isFile() && !isIgnoredFile(e.name)) {
        await onFile(childRel);
      }
    }
  };
  // The root may be a symlink to the repository (the user named it); symlinks inside are skipped.
  const st = await stat(root);
  if (!st.isDirectory()) throw new Error(`not a directory: ${root}`);
  await walk('');
}

/** Read a repository into memory, in sorted order, skipping what `IGNORED_DIRS` names and symlinks. */
export async function loadRepoFiles(root: string): Promise<WorkspaceFiles> {
  const paths: string[] = [];
  await walkRepo(root, async (rel) => {
    paths.push(rel);
  });
  // Read a few dozen at a time (one after another waits on each read); the map keeps the sorted order.
  const limit = pLimit(32);
  const contents = await Promise.all(paths.map((rel) => limit(() => readFile(join(root, rel)))));
  return new Map(paths.map((rel, i) => [rel, contents[i]!]));
}

/** What {@link repoStamp} listed: every folder walked (with its own stamp) and every file, in order. */
export interface RepoListing {
  folders: Array<{ rel: string; stamp: string }>;
  files: string[];
}

/**
 * What a repository's files look like without reading them: each path with its inode, size,
 * mtime and ctime (the kernel moves ctime on any write, rename or chmod). Equal stamps: the files
 * loadRepoFiles would read are the same ones, unchanged. With the listing, {@link restamp} tells the
 * same again without listing a folder.
 */
export async function repoStamp(root: string): Promise<{ stamp: string; listing: RepoListing }> {
  const listing: RepoListing = { folders: [], files: [] };
  // Each lstat synchronously (a few microseconds on the host's disk; through the thread pool they
  // cost this thread more than the call), with a turn of the event loop every few hundred files.
  let sinceYield = 0;
  await walkRepo(
    root,
    async (rel) => {
      listing.files.push(rel);
      if (++sinceYield >= 256) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    },
    (rel) => listing.folders.push({ rel, stamp: folderStamp(root, rel) }),
  );
  return { stamp: filesStamp(root, listing.files), listing };
}

/**
 * The stamp {@link repoStamp} would give, from its last listing, without listing any folder (a
 * third of its time in bench/repo-stamp.ts; episodes check their repository's stamp twice each): undefined when a folder
 * changed since (adding, removing or renaming an entry moves its folder's ctime), or went.
 */
export function restamp(root: string, listing: RepoListing): string | undefined {
  try {
    for (const f of listing.folders) if (folderStamp(root, f.rel) !== f.stamp) return undefined;
    return filesStamp(root, listing.files);
  } catch {
    return undefined;
  }
}

function folderStamp(root: string, rel: string): string {
  // The root may be a symlink to the repository: its target's stamp (replaced, the target changes).
  const s = rel === '' ? statSync(root, { bigint: true }) : lstatSync(join(root, rel), { bigint: true });
  return `${s.dev}:${s.ino}:${s.mtimeNs}:${s.ctimeNs}`;
}

function filesStamp(root: string, files: string[]): string {
  return files
    .map((rel) => {
      const s = lstatSync(join(root, rel), { bigint: true });
      return `${rel}\0${s.ino}\0${s.size}\0${s.mtimeNs}\0${s.ctimeNs}`;
    })
    .join('\n');
}

/** Paths whose content differs between two workspaces, with what happened to each. */
export function diffFiles(
  before: WorkspaceFiles,
  after: WorkspaceFiles,
): Array<{ path: string; change: 'added' | 'deleted' | 'modified' }> {
  const out: Array<{ path: string; change: 'added' | 'deleted' | 'modified' }> = [];
  for (const [path, content] of before) {
    const now = after.get(path);
    if (now === undefined) out.push({ path, change: 'deleted' });
    else if (!now.equals(content)) out.push({ path, change: 'modified' });
  }
  for (const path of after.keys()) if (!before.has(path)) out.push({ path, change: 'added' });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
