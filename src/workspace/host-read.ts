import { closeSync, readlinkSync, type BigIntStats } from 'node:fs';
import { FileTooLargeError, WorkspaceError } from '../errors.js';
import { isIgnoredDir, isIgnoredFile, type WorkspaceFiles } from './files.js';
import { at, HostReadUnsupported, openRoot, readContent, walk } from '../sandbox/host-fs.js';

/** What identifies a file's state: any change of content, size, times, mode or links moves its ctime. */
export interface Stamp {
  ino: bigint;
  dev: bigint;
  ctimeNs: bigint;
  mtimeNs: bigint;
  size: bigint;
  mode: bigint;
  nlink: bigint;
}

function stampOf(st: BigIntStats): Stamp {
  return { ino: st.ino, dev: st.dev, ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs, size: st.size, mode: st.mode, nlink: st.nlink };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.ctimeNs === b.ctimeNs && a.mtimeNs === b.mtimeNs && a.size === b.size && a.mode === b.mode && a.nlink === b.nlink;
}


/** The regular files of a workspace as installed, by path, and the latest ctime among them. */
export interface Snapshot {
  stamps: Map<string, Stamp>;
  maxCtimeNs: bigint;
}

/** Stamps of the regular files under `root`+`inner` (as just installed). */
export async function snapshotHost(root: string, inner: string): Promise<Snapshot> {
  const fd = openRoot(root, inner);
  const stamps = new Map<string, Stamp>();
  let maxCtimeNs = 0n;
  try {
    await walk(fd, '', (e) => {
      if (e.st.isFile()) {
        stamps.set(e.rel, stampOf(e.st));
        if (e.st.ctimeNs > maxCtimeNs) maxCtimeNs = e.st.ctimeNs;
      }
    });
  } finally {
    closeSync(fd);
  }
  return { stamps, maxCtimeNs };
}

function tooManyFiles(limit: number): WorkspaceError {
  return new WorkspaceError('too-many-files', `The workspace holds more than ${limit} files and folders`);
}

export interface HostReadLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
  maxPathBytes: number;
}

/** A path below the workdir past the limit: the agent's doing (the start of it is enough to name it). */
export function pathTooLong(rel: string, limit: number): WorkspaceError {
  return new WorkspaceError('path-too-long', `A path in the workspace is longer than ${limit} bytes: ${rel.slice(0, 120)}...`);
}

/**
 * The final workspace, as `readWorkspace` reads it through the engine's archive: regular files by
 * path (`.git`, caches and ignored names left out), a symlink, FIFO or device as a file saying what
 * it is (`special`). A file whose stamp is the one it had when installed is the installed content
 * (`given`): only files changed, added or replaced since are read. A change through a system call
 * cannot keep the stamp: the kernel sets a file's ctime on every write, rename, link or attribute
 * change (setting times back with `touch -d` moves it too), and no process in a container can set
 * it or the clock. A write through a shared mmap of a tmpfs page first faulted for reading does keep
 * it (docs/sandboxes.md, known gap: it can only hide the agent's own edit).
 * What the walk meets that it does not model is a HostReadUnsupported: the caller reads the usual way.
 */
export async function readHost(
  root: string,
  inner: string,
  given: WorkspaceFiles,
  snapshot: Snapshot,
  limits: HostReadLimits,
  special: (type: string, linkname?: string) => Buffer,
): Promise<WorkspaceFiles> {
  const fd = openRoot(root, inner);
  const files: WorkspaceFiles = new Map();
  // An inode read once under one name is not read again under another (hard links).
  const byInode = new Map<string, Buffer>();
  let count = 0;
  let total = 0;
  try {
    await walk(fd, '', (e) => {
      if (++count > limits.maxFiles) throw tooManyFiles(limits.maxFiles);
      // Checked before the walk goes into a folder: it also bounds how deep it goes (one descriptor held a level).
      const pathBytes = Buffer.byteLength(e.rel);
      if (pathBytes > limits.maxPathBytes) throw pathTooLong(e.rel, limits.maxPathBytes);
      // A symlink's target counts too (its marker holds it); lstat's size is the target's length.
      total += pathBytes + (e.st.isSymbolicLink() ? Number(e.st.size) : 0);
      if (total > limits.maxTotalBytes) throw new WorkspaceError('too-large', `The workspace holds more than ${limits.maxTotalBytes} bytes`);
      const parts = e.rel.split('/');
      const last = parts[parts.length - 1]!;
      const hidden = parts.slice(0, -1).some(isIgnoredDir) || isIgnoredFile(last);
      const { st } = e;
      if (st.isDirectory()) return;
      if (st.isFile()) {
        if (st.size > BigInt(limits.maxFileBytes)) {
          throw new WorkspaceError('file-too-large', `${e.rel} is ${st.size} bytes, over the limit of ${limits.maxFileBytes} for one file`);
        }
        total += Number(st.size);
        if (total > limits.maxTotalBytes) throw new WorkspaceError('too-large', `The workspace holds more than ${limits.maxTotalBytes} bytes`);
        if (hidden) return;
        const was = snapshot.stamps.get(e.rel);
        const installed = given.get(e.rel);
        if (was && installed && sameStamp(was, stampOf(st))) {
          files.set(e.rel, installed);
          return;
        }
        const key = `${st.dev}:${st.ino}`;
        let content = st.nlink > 1n ? byInode.get(key) : undefined;
        if (!content) {
          try {
            content = readContent(e.fd, e.rel, limits.maxFileBytes);
          } catch (err) {
            // It grew past the limit after it was looked at.
            if (err instanceof FileTooLargeError) throw new WorkspaceError('file-too-large', `${e.rel} is over the limit of ${limits.maxFileBytes} bytes for one file`);
            throw err;
          }
          total += content.length - Number(st.size);
          if (total > limits.maxTotalBytes) throw new WorkspaceError('too-large', `The workspace holds more than ${limits.maxTotalBytes} bytes`);
          if (st.nlink > 1n) byInode.set(key, content);
        }
        files.set(e.rel, content);
        return;
      }
      if (st.isSymbolicLink()) {
        if (!hidden && !isIgnoredDir(last)) files.set(e.rel, special('symlink', readlinkSync(at(e.parent, e.name))));
        return;
      }
      const type = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'character-device' : st.isBlockDevice() ? 'block-device' : undefined;
      // A socket: the engine's archive leaves it out too.
      if (type && !hidden && !isIgnoredDir(last)) files.set(e.rel, special(type));
    }, { maxNames: limits.maxFiles, tooMany: () => tooManyFiles(limits.maxFiles) });
  } finally {
    closeSync(fd);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
