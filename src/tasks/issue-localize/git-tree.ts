import { resolve } from 'node:path';
import { execa } from 'execa';
import { HybridGymError } from '../../errors.js';
import { isIgnoredDir, isIgnoredFile, type WorkspaceFiles } from '../../workspace/files.js';

/** A clone lacks a commit (a shallow or stale clone), or is not a git repository at all. */
export class CommitNotFoundError extends HybridGymError {
  readonly clone: string;
  readonly commit: string;
  constructor(clone: string, commit: string, why?: string) {
    super(
      'COMMIT_NOT_FOUND',
      why
        ? `Cannot read commit ${commit} of ${clone}: ${why}`
        : `The clone ${clone} has no commit ${commit} (fetch it, or clone with full history)`,
    );
    this.clone = clone;
    this.commit = commit;
  }
}

/** The full id of `commit` in `clone`; a {@link CommitNotFoundError} when the clone lacks it. */
export async function resolveCommit(clone: string, commit: string): Promise<string> {
  const dir = resolve(clone);
  if (!commit || commit.startsWith('-') || /\s/.test(commit)) throw new CommitNotFoundError(dir, commit, 'not a commit name');
  const r = await execa('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', `${commit}^{commit}`], { reject: false });
  if (r.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(r.stdout.trim())) return r.stdout.trim();
  const stderr = r.stderr.trim();
  // --quiet: a missing commit exits 1 with nothing on stderr; anything else is a broken clone.
  throw new CommitNotFoundError(dir, commit, stderr ? lastLine(stderr) : undefined);
}

// Every episode of an instance asks for the same tree: keep the last few.
const CACHE_SIZE = 4;
const cache = new Map<string, Promise<WorkspaceFiles>>();

/**
 * The files of `commit`'s tree in `clone`, as the agent's workspace holds them: regular files only
 * (no symlinks, no submodules), nothing `loadRepoFiles` would skip, in its order. Reads blobs straight
 * from the object store, so no checkout and nothing of other commits is touched. The last few
 * whole trees are kept; each call returns a map of its own. With `only`, just those paths (those of
 * them the tree holds), read afresh: what a generator needs to place a patch in a large tree.
 */
export async function filesAtCommit(clone: string, commit: string, only?: Iterable<string>): Promise<WorkspaceFiles> {
  const dir = resolve(clone);
  // Every episode asks for the same tree: a full id already cached needs no git process.
  const sha = !only && cache.has(`${dir}\0${commit}`) ? commit : await resolveCommit(dir, commit);
  if (only) return readTree(dir, sha, new Set(only));
  const key = `${dir}\0${sha}`;
  let p = cache.get(key);
  if (p) {
    cache.delete(key);
  } else {
    p = readTree(dir, sha);
    p.catch(() => cache.delete(key));
  }
  cache.set(key, p);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return new Map(await p);
}

interface Entry {
  path: string;
  oid: string;
}

async function readTree(dir: string, sha: string, only?: ReadonlySet<string>): Promise<WorkspaceFiles> {
  const ls = await execa('git', ['-C', dir, 'ls-tree', '-r', '-z', '--full-tree', sha], { reject: false, encoding: 'buffer', maxBuffer: 1 << 30 });
  if (ls.exitCode !== 0) throw new CommitNotFoundError(dir, sha, lastLine(Buffer.from(ls.stderr).toString('utf8')) || `git ls-tree exited with ${ls.exitCode}`);
  const entries: Entry[] = [];
  for (const record of Buffer.from(ls.stdout).toString('utf8').split('\0')) {
    if (!record) continue;
    // `<mode> SP <type> SP <oid> TAB <path>`; with -z the path is never quoted.
    const tab = record.indexOf('\t');
    const [mode, type, oid] = record.slice(0, tab).split(' ');
    const path = record.slice(tab + 1);
    if (type !== 'blob' || mode === '120000' || !oid || !kept(path) || (only && !only.has(path))) continue;
    entries.push({ path, oid });
  }
  entries.sort((a, b) => comparePaths(a.path, b.path));
  const blobs = await catBlobs(dir, entries.map((e) => e.oid));
  const files: WorkspaceFiles = new Map();
  entries.forEach((e, k) => files.set(e.path, blobs[k]!));
  return files;
}

// What loadRepoFiles leaves out: ignored folders at any depth, *.egg-info folders, litter files.
function kept(path: string): boolean {
  const parts = path.split('/');
  const name = parts.pop()!;
  return !parts.some(isIgnoredDir) && !isIgnoredFile(name);
}

// loadRepoFiles walks each folder in name order: component by component, not git's `dir/` order.
function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
    const x = pa[k]!;
    const y = pb[k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The contents of the blobs, in order, from one `git cat-file --batch` process. */
async function catBlobs(dir: string, oids: string[]): Promise<Buffer[]> {
  if (oids.length === 0) return [];
  const child = execa('git', ['-C', dir, 'cat-file', '--batch'], { input: oids.join('\n') + '\n', buffer: false, reject: false, stderr: 'pipe' });
  const out: Buffer[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  // Output: `<oid> SP <type> SP <size> LF <contents> LF` per object (`<oid> missing LF` when absent).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let want: { size: number; oid: string } | undefined;
  const take = (n: number): Buffer => {
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    return head;
  };
  for await (const chunk of child.stdout!) {
    pending.push(chunk as Buffer);
    pendingBytes += (chunk as Buffer).length;
    for (;;) {
      if (!want) {
        const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        pending = joined.length > 0 ? [joined] : [];
        const nl = joined.indexOf(10);
        if (nl < 0) break;
        const header = take(nl + 1).toString('utf8').trim();
        const [oid, type, size] = header.split(' ');
        if (type !== 'blob' || size === undefined) {
          child.kill();
          throw new HybridGymError('GIT_TREE', `git cat-file in ${dir} answered "${header}" for object ${oids[out.length]}`);
        }
        want = { size: Number(size), oid: oid! };
      }
      if (pendingBytes < want.size + 1) break;
      // Copy: the chunk the contents sit in is shared with the next object's header.
      out.push(Buffer.from(take(want.size + 1).subarray(0, want.size)));
      want = undefined;
    }
  }
  const r = await child;
  if (r.exitCode !== 0 || out.length !== oids.length) {
    throw new HybridGymError('GIT_TREE', `git cat-file in ${dir} read ${out.length} of ${oids.length} files${stderr ? `: ${lastLine(stderr)}` : ''}`);
  }
  return out;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}
