import { loadRepoFiles, type WorkspaceFiles } from './files.js';

// Episodes reset many times on the same few repositories: keep their files instead of rereading.
const CACHE_SIZE = 4;
const repoCache = new Map<string, Promise<WorkspaceFiles>>();

/** The repository's files, read once per process (the repository is assumed not to change under us). */
export function repoFiles(path: string): Promise<WorkspaceFiles> {
  let p = repoCache.get(path);
  if (p) {
    repoCache.delete(path);
  } else {
    p = loadRepoFiles(path);
    p.catch(() => repoCache.delete(path));
  }
  repoCache.set(path, p);
  while (repoCache.size > CACHE_SIZE) repoCache.delete(repoCache.keys().next().value!);
  return p;
}
