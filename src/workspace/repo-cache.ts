import { loadRepoFiles, repoStamp, restamp, type RepoListing, type WorkspaceFiles } from './files.js';

// Episodes reset many times on the same few repositories: keep their files instead of rereading.
const CACHE_SIZE = 4;
interface Cached {
  stamp: string;
  listing: RepoListing;
  files: WorkspaceFiles;
}
const repoCache = new Map<string, Promise<Cached>>();

async function load(path: string): Promise<Cached> {
  const { stamp, listing } = await repoStamp(path);
  return { stamp, listing, files: await loadRepoFiles(path) };
}

/**
 * The repository's files, read once per process while they stay as they are: every call checks
 * the files' stamps (paths, inodes, sizes, mtimes, ctimes) and reads the repository again when any
 * moved, so that a repository changed or replaced at the same path (a checkout between rounds of
 * a long-running trainer) never serves an old workspace.
 */
export async function repoFiles(path: string): Promise<WorkspaceFiles> {
  let p = repoCache.get(path);
  if (p) {
    // Back in place at once (most recently used): calls meanwhile share it instead of reading again.
    repoCache.delete(path);
    repoCache.set(path, p);
    const cached = await p.catch(() => undefined);
    if (cached && cached.stamp === (restamp(path, cached.listing) ?? (await repoStamp(path)).stamp)) return cached.files;
    // Stale: one reload, shared by every call that found the same stale entry.
    if (repoCache.get(path) === p) repoCache.delete(path);
    p = repoCache.get(path);
  }
  if (!p) {
    p = load(path);
    p.catch(() => repoCache.delete(path));
    repoCache.set(path, p);
    while (repoCache.size > CACHE_SIZE) repoCache.delete(repoCache.keys().next().value!);
  }
  return (await p).files;
}
