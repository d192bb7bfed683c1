import { chmodSync, chownSync, closeSync, constants, fchmodSync, fchownSync, ftruncateSync, fstatSync, futimesSync, mkdirSync, opendirSync, openSync, readdirSync, readSync, utimesSync, writeSync, type BigIntStats } from 'node:fs';
import { posix } from 'node:path';
import { FileTooLargeError } from '../errors.js';
import type { Owner } from './types.js';
import { at } from '../util/proc-fd.js';

/**
 * Reading a sandbox's files from the host, through the engine's own view of the container's file
 * system (the overlay's merged folder of a local Docker engine), without any process inside the
 * sandbox: nothing the agent installed there (a replaced `find`, an LD_PRELOAD) takes part.
 *
 * Every path is looked up one name at a time below a folder held open, never following a symlink
 * (an absolute link made inside the sandbox would point into the host), and a name is opened with
 * O_PATH first (a device node the agent made is never opened), its content read only once the
 * open file is known to be a regular one.
 */

// Linux's O_PATH (the same value on x86-64 and arm64); node does not name it.
export const O_PATH = 0o10000000;
const LOOKUP = O_PATH | constants.O_NOFOLLOW;
/** Longest this process's event loop waits on one host walk or write before it gets a turn. */
const SLICE_MS = 4;

/** The walk found something the host reading does not model: read the workspace through the engine instead. */
export class HostReadUnsupported extends Error {}

export interface Entry {
  rel: string;
  st: BigIntStats;
  /** An O_PATH descriptor of the entry, open while `visit` runs. */
  fd: number;
  /** The folder holding it (O_PATH) and its name there, for readlink. */
  parent: number;
  name: string;
}

export { at };

/**
 * Open `root` (a host path the engine gave, or the `/proc/self/fd` name of a folder this process
 * holds: see {@link holdMountedFolder}) and then `inner` (a path inside the sandbox) one name at a time.
 */
export function openRoot(root: string, inner: string): number {
  let fd = openSync(root, O_PATH | constants.O_DIRECTORY);
  // The container's file system must be mounted there (a stopped container's is not: the folder
  // below is empty). Held open, the walk sees that file system even if it is unmounted meanwhile;
  // a held folder was checked when it was first opened.
  if (!root.startsWith('/proc/self/fd/') && fstatSync(fd).dev === devOf(`${root}/..`)) {
    closeSync(fd);
    throw new HostReadUnsupported(`${root} is not mounted`);
  }
  for (const name of inner.split('/').filter((p) => p !== '')) {
    let next: number;
    try {
      next = openSync(at(fd, name), LOOKUP);
    } catch (err) {
      closeSync(fd);
      // Gone, or never there: the engine's reading tells which (and whether the sandbox is).
      throw new HostReadUnsupported(`${inner}: ${(err as Error).message}`);
    }
    closeSync(fd);
    fd = next;
    if (!fstatSync(fd).isDirectory()) {
      closeSync(fd);
      // A symlink or file in place of a folder of the workdir's path: the engine's reading tells what it is.
      throw new HostReadUnsupported(`${inner}: ${name} is not a folder`);
    }
  }
  return fd;
}

/**
 * Hold the file system mounted at `path` open (an O_PATH descriptor; close it with closeSync): its
 * files stay readable through `/proc/self/fd/N` after it is unmounted, as a tmpfs volume is when its
 * container stops. Undefined when nothing is mounted there.
 */
export function holdMountedFolder(path: string): number | undefined {
  const fd = openSync(path, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  if (fstatSync(fd).dev !== devOf(`${path}/..`)) return fd;
  closeSync(fd);
  return undefined;
}

function devOf(path: string): number {
  const fd = openSync(path, O_PATH | constants.O_DIRECTORY);
  try {
    return fstatSync(fd).dev;
  } finally {
    closeSync(fd);
  }
}

export interface WalkOptions {
  /** Most names one folder may hold; past it, `tooMany` is thrown (the folder is never read whole into memory). */
  maxNames?: number;
  tooMany?: (rel: string) => Error;
}

/**
 * Depth-first, names in sorted order; `visit` returns false to not descend into a folder. The event
 * loop gets a turn every few milliseconds (a folder of 100,000 files takes seconds). A name that is
 * not UTF-8 (the engine's archive spells it lossily) is a HostReadUnsupported: the caller reads the usual way.
 */
export async function walk(dirFd: number, rel: string, visit: (e: Entry) => boolean | void, options: WalkOptions = {}, clock = { since: performance.now() }): Promise<void> {
  for (const name of namesOf(dirFd, rel, options)) {
    if (performance.now() - clock.since >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      clock.since = performance.now();
    }
    let fd: number;
    try {
      fd = openSync(at(dirFd, name), LOOKUP);
    } catch (err) {
      // Removed meanwhile by a process of the agent's: as if it had not been there.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    try {
      const st = fstatSync(fd, { bigint: true });
      const childRel = rel ? `${rel}/${name}` : name;
      const descend = visit({ rel: childRel, st, fd, parent: dirFd, name });
      if (st.isDirectory() && descend !== false) await walk(fd, childRel, visit, options, clock);
    } finally {
      closeSync(fd);
    }
  }
}

/** The names in a folder, sorted, read one at a time up to `maxNames`. */
function namesOf(dirFd: number, rel: string, options: WalkOptions): string[] {
  const dir = opendirSync(`/proc/self/fd/${dirFd}`, { encoding: 'buffer' as BufferEncoding });
  const names: string[] = [];
  try {
    for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
      const raw = d.name as unknown as Buffer;
      const name = raw.toString('utf8');
      if (!Buffer.from(name, 'utf8').equals(raw)) throw new HostReadUnsupported(`a name in ${rel || '.'} is not UTF-8`);
      names.push(name);
      if (options.maxNames !== undefined && names.length > options.maxNames) throw options.tooMany?.(rel) ?? new HostReadUnsupported(`${rel || '.'} holds more than ${options.maxNames} names`);
    }
  } finally {
    dir.closeSync();
  }
  return names.sort();
}

/** Read the content of an open (O_PATH) regular file, at most `max` bytes (more is a FileTooLargeError). */
export function readContent(fd: number, rel: string, max: number): Buffer {
  const file = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(file);
    if (!st.isFile()) throw new HostReadUnsupported(`${rel} changed type while it was read`);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Math.max(1, Math.min(Number(st.size) + 1, 1 << 20));
    for (;;) {
      const buf = Buffer.allocUnsafe(chunk);
      const n = readSync(file, buf, 0, chunk, null);
      if (n === 0) break;
      total += n;
      if (total > max) throw new FileTooLargeError(rel, total, max);
      chunks.push(n === chunk ? buf : buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(file);
  }
}


/**
 * The content of the regular file at `path` inside the sandbox whose file system is at `root` on
 * the host; a HostReadUnsupported where the path is not plainly a regular file (a symlink on the
 * way, a device, nothing there): the engine's reading, which resolves links as the sandbox does, says what it is.
 */
export function readHostFile(root: string, path: string, maxBytes: number): Buffer {
  const dir = openRoot(root, posix.dirname(path));
  try {
    let fd: number;
    try {
      fd = openSync(at(dir, posix.basename(path)), LOOKUP);
    } catch (err) {
      throw new HostReadUnsupported(`${path}: ${(err as Error).message}`);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new HostReadUnsupported(`${path} is not a regular file`);
      if (st.size > maxBytes) throw new FileTooLargeError(path, st.size, maxBytes);
      return readContent(fd, path, maxBytes);
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(dir);
  }
}

/**
 * Write one file at `path` (relative to `root`, a folder held open) from the host while the
 * sandbox's processes run: every folder on the way looked up (or made, owned by `owner`) one name at
 * a time and never followed through a link, the file itself opened without following a link and
 * written only when it is a regular file. A HostReadUnsupported where anything else is in the way
 * (a link, a folder, a pipe): the caller writes as the agent would instead.
 */
export function writeHostFile(root: string, path: string, content: Uint8Array, mode: number, owner?: Owner): void {
  const names = posix.normalize(path).split('/').filter((n) => n !== '');
  if (names.length === 0 || names.includes('..')) throw new HostReadUnsupported(`${path}: not a file inside the folder`);
  let dir = openRoot(root, '/');
  try {
    for (const name of names.slice(0, -1)) {
      let next: number;
      try {
        next = openSync(at(dir, name), LOOKUP);
      } catch {
        try {
          mkdirSync(at(dir, name), 0o755);
          next = openSync(at(dir, name), LOOKUP);
          if (owner) chownSync(`/proc/self/fd/${next}`, owner.uid, owner.gid);
        } catch (err) {
          throw new HostReadUnsupported(`${path}: ${(err as Error).message}`);
        }
      }
      closeSync(dir);
      dir = next;
      if (!fstatSync(dir).isDirectory()) throw new HostReadUnsupported(`${path}: ${name} is not a folder`);
    }
    let fd: number;
    try {
      fd = openSync(at(dir, names.at(-1)!), constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
    } catch (err) {
      throw new HostReadUnsupported(`${path}: ${(err as Error).message}`);
    }
    try {
      if (!fstatSync(fd).isFile()) throw new HostReadUnsupported(`${path} is not a regular file`);
      ftruncateSync(fd, 0);
      for (let off = 0; off < content.byteLength; ) off += writeSync(fd, content, off, content.byteLength - off);
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(dir);
  }
}

/**
 * Whether the folder `inner` of the sandbox's file system at `root` is there and holds nothing,
 * looked up from the host as every read here is (false when it cannot be told so).
 */
export function isEmptyHostFolder(root: string, inner: string): boolean {
  let fd: number;
  try {
    fd = openRoot(root, inner);
  } catch {
    return false;
  }
  try {
    return readdirSync(`/proc/self/fd/${fd}`).length === 0;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** A file to write with {@link writeHostTree}: a path relative to the folder written into. */
export interface HostFile {
  path: string;
  content: string | Uint8Array;
  mode?: number;
}

/** Every folder the relative `paths` lie in (their parents, up to the top; '' not included). */
export function foldersOf(paths: Iterable<string>): Set<string> {
  const folders = new Set<string>();
  for (const path of paths) for (let d = posix.dirname(path); d !== '.' && !folders.has(d); d = posix.dirname(d)) folders.add(d);
  return folders;
}

/**
 * Run `step(0..count-1)` synchronously, giving the event loop a turn every few milliseconds: each
 * step is a few system calls (microseconds on a tmpfs), where a promise per call costs several times
 * the call itself, and no other episode waits more than a slice.
 */
async function inSlices(count: number, step: (k: number) => void, sliceMs = SLICE_MS): Promise<void> {
  for (let k = 0; k < count; ) {
    const start = performance.now();
    while (k < count && performance.now() - start < sliceMs) step(k++);
    if (k < count) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Write `files` below `root`+`inner` from the host, every file and folder created anew (O_EXCL,
 * never through a symlink: each folder is made and then held open, each file created in the folder
 * held), in the order given, in slices of a few milliseconds of the event loop; every time stamp is set to `time` (seconds), folders' last. For a
 * sandbox no agent has used yet (an install ahead of its episode): it costs a fraction of the
 * engine's archive upload. A HostReadUnsupported when the folder is not this process's to write as
 * the sandbox's root (another owner: a user namespace) or anything is in the way; the caller then
 * empties the folder and writes through the engine.
 */
export async function writeHostTree(root: string, inner: string, files: HostFile[], time = 0, owner?: Owner): Promise<void> {
  const rootFd = openRoot(root, inner);
  const dirs = new Map<string, number>([['', rootFd]]);
  try {
    const rootStat = fstatSync(rootFd);
    if (typeof process.getuid !== 'function' || rootStat.uid !== process.getuid() || rootStat.gid !== process.getgid!()) {
      throw new HostReadUnsupported(`${inner} is owned by ${rootStat.uid}:${rootStat.gid}, not this process`);
    }
    const parentOf = (rel: string): string => (posix.dirname(rel) === '.' ? '' : posix.dirname(rel));
    const paths = files.map((f) => {
      const path = posix.normalize(f.path);
      if (path.startsWith('/') || path === '.' || path.split('/').includes('..')) throw new HostReadUnsupported(`${f.path}: not a path inside the folder`);
      return path;
    });
    // Folders first, each made and then held open, then the files in the order given, then the
    // folders' times, deepest first (writing into a folder moves its times).
    const ordered = [...foldersOf(paths)].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
    await inSlices(ordered.length, (k) => {
      const rel = ordered[k]!;
      const parent = dirs.get(parentOf(rel))!;
      mkdirSync(at(parent, posix.basename(rel)), 0o755);
      const fd = openSync(at(parent, posix.basename(rel)), LOOKUP | constants.O_DIRECTORY);
      dirs.set(rel, fd);
      chmodSync(`/proc/self/fd/${fd}`, 0o755); // an O_PATH descriptor: through its /proc name
      if (owner) chownSync(`/proc/self/fd/${fd}`, owner.uid, owner.gid);
    });
    await inSlices(files.length, (k) => {
      const f = files[k]!;
      const mode = f.mode ?? 0o644;
      const fd = openSync(at(dirs.get(parentOf(paths[k]!))!, posix.basename(paths[k]!)), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
      try {
        const data = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
        for (let off = 0; off < data.byteLength; ) off += writeSync(fd, data, off, data.byteLength - off);
        if (owner) fchownSync(fd, owner.uid, owner.gid);
        fchmodSync(fd, mode);
        futimesSync(fd, time, time);
      } finally {
        closeSync(fd);
      }
    });
    const byDepth = [...dirs.values()].reverse();
    await inSlices(byDepth.length, (k) => utimesSync(`/proc/self/fd/${byDepth[k]!}`, time, time));
  } finally {
    for (const fd of dirs.values()) closeSync(fd);
  }
}
