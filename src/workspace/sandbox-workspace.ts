import createDebug from 'debug';
import tar from 'tar-stream';
import type { Readable } from 'node:stream';
import { SandboxError, WorkspaceError } from '../errors.js';
import type { FileEntry, HostFolder, Sandbox } from '../sandbox/types.js';
import { shellQuote } from '../sandbox/subshell.js';
import { isIgnoredDir, isIgnoredFile, type WorkspaceFiles } from './files.js';
import { gitRepoEntries } from './git-repo.js';
import { pathTooLong, readHost, snapshotHost, type HostReadLimits, type Snapshot } from './host-read.js';
import { foldersOf, isEmptyHostFolder, writeHostTree } from '../sandbox/host-fs.js';

const log = createDebug('hybrid-gym:workspace');

// Empty the workdir before the workspace is written.
const FRESH = (w: string) => `find ${shellQuote(w)} -mindepth 1 -maxdepth 1 -exec rm -rf {} +`;
// One time stamp for every file and folder, .git included: which files were written last must not
// show which one holds the target.
const SAME_TIMES = `find . -exec touch -h -d @0 {} +`;
// A file system keeps times at the kernel's tick: a change within one tick of the install could
// share its ctime. The workspace is handed over only once the clock is past this margin.
const CTIME_MARGIN_NS = 20_000_000n;

// The sandboxes this process installed a workspace in.
const installed = new WeakSet<Sandbox>();

/** The size of the workspace as installed (its files and `.git`): the read limits bound what the agent adds to it. */
interface InstalledSize {
  largest: number;
  total: number;
  entries: number;
  longestPath: number;
}
const installedSize = new WeakMap<Sandbox, InstalledSize>();
/** The longest path the engine's archive keeps, its first name (the workdir's) and '/' included (measured: 4,094). */
const ARCHIVE_PATH_MAX = 4094;

function sizeOf(entries: FileEntry[]): InstalledSize {
  const folders = foldersOf(entries.map((e) => e.path));
  let largest = 0;
  let total = 0;
  let longestPath = 0;
  for (const { path, content } of entries) {
    longestPath = Math.max(longestPath, Buffer.byteLength(path));
    const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    largest = Math.max(largest, bytes);
    // The reads count names as well as contents.
    total += bytes + Buffer.byteLength(path);
  }
  for (const folder of folders) total += Buffer.byteLength(folder);
  return { largest, total, entries: entries.length + folders.size, longestPath };
}

/**
 * The limits of one read of `sandbox`: each on top of the workspace it was given, so a repository
 * with a large file, or a large `.git` pack, never fails every episode; what the agent adds stays bounded.
 */
function limitsFor(sandbox: Sandbox, limits: ReadLimits): HostReadLimits {
  const { maxFileBytes, maxTotalBytes, maxFiles, maxPathBytes } = { ...DEFAULT_READ_LIMITS, ...limits };
  const size = installedSize.get(sandbox) ?? { largest: 0, total: 0, entries: 0, longestPath: 0 };
  return {
    maxFileBytes: Math.max(maxFileBytes, size.largest),
    maxTotalBytes: maxTotalBytes + size.total,
    maxFiles: maxFiles + size.entries,
    // Never so long that the engine's archive could leave out a path with no folder past the limit
    // on the way to it (it silently drops paths past 4,094 bytes with the workdir's name; a name is at most 255).
    maxPathBytes: Math.min(Math.max(maxPathBytes, size.longestPath), ARCHIVE_PATH_MAX - Buffer.byteLength(sandbox.workdir) - 256),
  };
}

interface HostState {
  folder: HostFolder;
  given: WorkspaceFiles;
  snapshot: Snapshot;
}
// Sandboxes whose workspace can be read from the host: where, what was installed, and its stamps.
const hostState = new WeakMap<Sandbox, HostState>();

/**
 * Put `files` into the sandbox's workdir as a git repository with exactly one commit: no history,
 * no remotes, no objects of earlier episodes, nothing but what the agent is meant to see. The
 * repository is made on the host ({@link gitRepoEntries}) and written with the files in one archive,
 * in path order; no git runs in the sandbox. A workspace this process installed before is replaced
 * whole (`replaced`): every file and object is written anew. Writing only the difference would leave
 * the changed files and their objects the only ones born last, and a file's birth time
 * (`stat -c %w`) cannot be set back: it would name the file that holds the answer.
 *
 * Where the sandbox has a host view ({@link Sandbox.hostWorkdir}), the installed files' stamps are kept,
 * so that the final read reads only the files changed since (see readWorkspace).
 */
export async function installWorkspace(sandbox: Sandbox, files: WorkspaceFiles): Promise<{ replaced: boolean }> {
  const replaced = installed.has(sandbox);
  hostState.delete(sandbox);
  const sh = async (script: string, what: string): Promise<string> => {
    const r = await sandbox.execDetached(['sh', '-c', script], { timeoutMs: 300_000 });
    if (r.exitCode !== 0) throw new SandboxError(`${what} failed: ${r.output.trim().slice(-2000)}`, { sandboxId: sandbox.id });
    return r.output.trim();
  };
  const t0 = performance.now();
  const folder = await sandbox.hostWorkdir?.().catch(() => undefined);
  // A sandbox this process never installed in, whose workdir the host sees empty, needs no emptying
  // (one container exec less per episode); any other is emptied inside the sandbox first.
  const empty = !replaced && folder !== undefined && isEmptyHostFolder(folder.root, folder.inner);
  if (!empty) await sh(FRESH(sandbox.workdir), 'emptying the workdir');
  const entries = [...[...files].map(([path, content]) => ({ path, content })), ...gitRepoEntries(files)];
  const t1 = performance.now();
  // A sandbox no agent has used yet is written from the host where it can be (a fraction of the
  // engine's archive upload); anything in the way, and it is emptied again and written through the engine.
  let written = false;
  // Asked again after the exec: closed meanwhile, the held folder's number may be another sandbox's.
  const target = folder && (await sandbox.hostWorkdir?.().catch(() => undefined));
  if (target) {
    try {
      await writeHostTree(target.root, target.inner, entries, 0, target.owner);
      written = true;
    } catch (err) {
      log('writing the workspace of %s from the host failed, writing through the engine: %s', sandbox.id.slice(0, 12), (err as Error).message);
      await sh(FRESH(sandbox.workdir), 'emptying the workdir');
    }
  }
  if (!written) {
    await sandbox.writeFiles(entries);
    await sh(SAME_TIMES, 'setting the workspace times');
  }
  const t2 = performance.now();
  installed.add(sandbox);
  installedSize.set(sandbox, sizeOf(entries));
  await keepStamps(sandbox, files);
  log('installed in %s: %d files, %s and git %dms, write %dms (%s), stamps %dms', sandbox.id.slice(0, 12), files.size,
    empty ? 'empty already' : 'emptied', Math.round(t1 - t0), Math.round(t2 - t1), written ? 'host' : 'engine', Math.round(performance.now() - t2));
  return { replaced };
}

async function keepStamps(sandbox: Sandbox, files: WorkspaceFiles): Promise<void> {
  const folder = await sandbox.hostWorkdir?.().catch(() => undefined);
  if (!folder) return;
  let snapshot: Snapshot;
  try {
    snapshot = await snapshotHost(folder.root, folder.inner);
  } catch (err) {
    log('no host reading for %s: %s', sandbox.id.slice(0, 12), (err as Error).message);
    return;
  }
  // The view must show exactly what was written (else it is not this sandbox's, or not whole).
  for (const [path, content] of files) {
    if (snapshot.stamps.get(path)?.size !== BigInt(content.length)) {
      log('the host view of %s does not show %s as written: read through the engine', sandbox.id.slice(0, 12), path);
      return;
    }
  }
  const wait = Number((snapshot.maxCtimeNs + CTIME_MARGIN_NS) / 1_000_000n) - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 1));
  hostState.set(sandbox, { folder, given: files, snapshot });
}

/** Bounds on reading an agent's final workspace: what it left there never costs more memory than this. */
export interface ReadLimits {
  /** Largest single file (any file, `.git` included), or the workspace's largest as installed if larger. @default 32 MiB */
  maxFileBytes?: number;
  /** All files together (`.git` included), beyond the workspace as installed. @default 256 MiB */
  maxTotalBytes?: number;
  /** Number of entries, beyond the workspace's as installed. @default 100000 */
  maxFiles?: number;
  /**
   * Longest path of an entry below the workdir, in bytes (or the longest as installed, if longer).
   * It also bounds how deep folders go (what the host holds open while it walks them), and the
   * engine's archive, which silently leaves out paths past 4,096 bytes, always holds a folder past
   * this limit on the way to one. @default 1024
   */
  maxPathBytes?: number;
  /**
   * Bytes a file may grow by over the workspace the agent was given (a new file counts whole).
   * Verifiers parse changed files, and a parser's time can grow with the square of what was added:
   * past this the episode scores 0 without parsing. @default 32 KiB
   */
  maxGrowthBytes?: number;
}

export const DEFAULT_READ_LIMITS: Required<ReadLimits> = Object.freeze({
  maxFileBytes: 32 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxFiles: 100_000,
  maxPathBytes: 1024,
  maxGrowthBytes: 32 * 1024,
});

/** A WorkspaceError when a file of `final` grew by more than the limit over `given`. */
export function checkGrowth(given: WorkspaceFiles, final: WorkspaceFiles, limits: ReadLimits = {}): void {
  const max = limits.maxGrowthBytes ?? DEFAULT_READ_LIMITS.maxGrowthBytes;
  for (const [path, content] of final) {
    const was = given.get(path);
    const grew = content.byteLength - (was?.byteLength ?? 0);
    if (grew > max) {
      throw new WorkspaceError('grew', was ? `${path} grew by ${grew} bytes, more than the ${max} a file may grow by` : `${path} is a new file of ${grew} bytes, more than the ${max} a new file may hold`);
    }
  }
}

/**
 * Read the workdir back as files (the agent's final state), leaving out `.git` and caches, with no
 * process of the sandbox taking part. Where the install kept the files' stamps (a local engine's
 * host view, see installWorkspace), only the files whose stamp moved are read, from the host
 * ({@link readHost}); otherwise, and for anything the host reading does not model, the workdir comes
 * whole through the engine's archive. A symlink, FIFO or device the agent made reads as a file saying what it is ({@link specialEntry}),
 * so verifiers see it as a new or changed file, never as nothing. What the agent did to it is a WorkspaceError (missing workdir, a file or a total over the limits); only a
 * sandbox that is gone is a SandboxError.
 */
export async function readWorkspace(sandbox: Sandbox, limits: ReadLimits = {}): Promise<WorkspaceFiles> {
  const bounds = limitsFor(sandbox, limits);
  const host = hostState.get(sandbox);
  if (host && !sandbox.closed) {
    try {
      return nonEmpty(await readHost(host.folder.root, host.folder.inner, host.given, host.snapshot, bounds, specialEntry));
    } catch (err) {
      if (err instanceof WorkspaceError) throw err;
      log('reading %s from the host failed, reading through the engine: %s', sandbox.id.slice(0, 12), (err as Error).message);
    }
  }
  return nonEmpty(await readThroughEngine(sandbox, bounds));
}

/**
 * A workdir that holds no file at all was deleted by the agent (`rm -rf /workspace`: a workdir that
 * is a mount of its own stays as an empty folder): 'missing', whichever way it was read.
 */
function nonEmpty(files: WorkspaceFiles): WorkspaceFiles {
  if (files.size === 0) throw new WorkspaceError('missing', 'The workspace holds no file: it was deleted');
  return files;
}

async function readThroughEngine(sandbox: Sandbox, limits: HostReadLimits): Promise<WorkspaceFiles> {
  try {
    return await readArchive(sandbox, limits);
  } catch (err) {
    if (err instanceof WorkspaceError || err instanceof SandboxError) throw err;
    // The stream broke: a process of the agent's changed the files while they were read, unless the sandbox is gone.
    if (!(await sandbox.isAlive().catch(() => false))) throw new SandboxError(`Reading the workspace failed: ${(err as Error).message}`, { sandboxId: sandbox.id });
    throw new WorkspaceError('unreadable', `The workspace could not be read (it changed while it was read?): ${(err as Error).message}`);
  }
}

/**
 * The final workspace read whole through the engine's archive, never from the host: what
 * readWorkspace falls back to, and what its host reading must always agree with.
 */
export async function readWorkspaceFromEngine(sandbox: Sandbox, limits: ReadLimits = {}): Promise<WorkspaceFiles> {
  return nonEmpty(await readThroughEngine(sandbox, limitsFor(sandbox, limits)));
}

/** Whether readWorkspace can read this sandbox's workspace from the host (only what changed). */
export function readsFromHost(sandbox: Sandbox): boolean {
  return hostState.has(sandbox);
}

/** What a symlink, FIFO or device of the final workspace reads as: a NUL first, so no source file is ever equal to it. */
export function specialEntry(type: string, linkname?: string | null): Buffer {
  return Buffer.from(`\0hybrid-gym: a ${type}${type === 'symlink' ? ` to ${linkname ?? '?'}` : ''}, not a regular file\n`);
}

async function readArchive(sandbox: Sandbox, { maxFileBytes, maxTotalBytes, maxFiles, maxPathBytes }: HostReadLimits): Promise<WorkspaceFiles> {
  let stream: Readable;
  try {
    stream = await sandbox.archiveOut(sandbox.workdir);
  } catch (err) {
    if (err instanceof WorkspaceError || !(await sandbox.isAlive().catch(() => false))) throw err;
    // The engine answers 404 ('no such container - Could not find the file') for a path that is not there.
    if (((err as Error).cause as { statusCode?: number } | undefined)?.statusCode === 404) throw new WorkspaceError('missing', `The workspace ${sandbox.workdir} is missing: it was deleted`);
    throw new WorkspaceError('missing', `The workspace ${sandbox.workdir} is missing or unreadable: ${(err as Error).message}`);
  }
  const extract = tar.extract();
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  const stop = (error: WorkspaceError): never => {
    stream.destroy();
    extract.destroy();
    throw error;
  };
  const files: WorkspaceFiles = new Map();
  // Every regular file by its archive name, for hard links to it that come later.
  const regular = new Map<string, Buffer>();
  // Every symlink, FIFO or device by its archive name, for hard links to it (which may be visible when it is not).
  const special = new Map<string, Buffer>();
  let total = 0;
  let count = 0;
  for await (const entry of extract) {
    const name = entry.header.name.replace(/^\.?\/?/, '');
    // The archive's first path segment is the workdir's own name.
    // A folder's name ends with '/' in the archive: not on the host, and not here.
    const rel = name.split('/').slice(1).join('/').replace(/\/$/, '');
    const size = entry.header.size ?? 0;
    // The workdir itself (the archive's first entry) is not one of its files and folders.
    if (rel !== '' && ++count > maxFiles) stop(new WorkspaceError('too-many-files', `The workspace holds more than ${maxFiles} files and folders`));
    if (Buffer.byteLength(rel) > maxPathBytes) stop(pathTooLong(rel, maxPathBytes));
    if (size > maxFileBytes) {
      stop(new WorkspaceError('file-too-large', `${rel || name} is ${size} bytes, over the limit of ${maxFileBytes} for one file`));
    }
    // Names are held too, and a symlink's target (its marker holds it): they count.
    total += size + Buffer.byteLength(rel) + (entry.header.type === 'symlink' ? Buffer.byteLength(entry.header.linkname ?? '') : 0);
    if (total > maxTotalBytes) stop(new WorkspaceError('too-large', `The workspace holds more than ${maxTotalBytes} bytes`));
    const parts = rel.split('/');
    const type = entry.header.type;
    const hidden =
      rel === '' ||
      parts.slice(0, -1).some(isIgnoredDir) ||
      isIgnoredFile(parts[parts.length - 1]!);
    if (type === 'link') {
      // A hard link's content came with the first name of its inode (kept for this, within the
      // limits), be it a regular file or a special one, even under a hidden name.
      entry.resume();
      const first = (entry.header.linkname ?? '').replace(/^\.?\/?/, '');
      if (!hidden) files.set(rel, regular.get(first) ?? special.get(first) ?? specialEntry('hard link to an entry not read'));
      continue;
    }
    if (type === 'symlink' || type === 'fifo' || type === 'character-device' || type === 'block-device') {
      // Not a file of the repository (a workspace holds regular files only), yet not nothing: it
      // stands as a file saying what it is, so a new one is an added file and a replaced one a change.
      // One named like an ignored folder (a `.venv` symlink) is hidden like that folder.
      entry.resume();
      const marker = specialEntry(type, entry.header.linkname);
      special.set(name, marker);
      const last = parts[parts.length - 1]!;
      if (!hidden && !isIgnoredDir(last)) files.set(rel, marker);
      continue;
    }
    if (type !== 'file') {
      entry.resume();
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    const content = Buffer.concat(chunks);
    regular.set(name, content);
    if (!hidden) files.set(rel, content);
  }
  if (count === 0) throw new WorkspaceError('missing', `The workspace ${sandbox.workdir} is missing`);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
