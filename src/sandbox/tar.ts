import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, symlink, chmod } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { FileTooLargeError } from '../errors.js';
import type { FileEntry, Owner } from './types.js';

/** A tar stream of in-memory files; `path`s are taken relative to `/` (leading slashes removed). */
export function packFiles(files: FileEntry[], owner?: Owner): Readable {
  const pack = tar.pack();
  for (const f of files) {
    const content = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : Buffer.from(f.content);
    pack.entry({ name: stripRoot(f.path), mode: f.mode ?? 0o644, mtime: new Date(0), ...owner }, content);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

/** A tar stream of a host directory's contents placed under `prefix` (symlinks kept as links). */
export function packDirectory(dir: string, prefix: string, owner?: Owner): Readable {
  const pack = tar.pack();
  const root = stripRoot(prefix);
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const abs = join(dir, ...childRel.split('/'));
      const st = await lstat(abs);
      const name_ = root ? posix.join(root, childRel) : childRel;
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        pack.entry({ name: name_, type: 'directory', mode, ...owner });
        await walk(childRel);
      } else if (st.isSymbolicLink()) {
        pack.entry({ name: name_, type: 'symlink', linkname: await readlink(abs), mode, ...owner });
      } else if (st.isFile()) {
        await new Promise<void>((ok, fail) => {
          const entry = pack.entry({ name: name_, size: st.size, mode, mtime: st.mtime, ...owner }, (err) =>
            err ? fail(err) : ok(),
          );
          createReadStream(abs).on('error', fail).pipe(entry);
        });
      }
    }
  };
  if (root) pack.entry({ name: root, type: 'directory', mode: 0o755, ...owner });
  walk('')
    .then(() => pack.finalize())
    .catch((err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

/** The regular files below a host folder as entries under `prefix` (symlinks and other kinds are refused). */
export async function filesOfFolder(dir: string, prefix: string): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      const abs = join(dir, ...childRel.split('/'));
      const st = await lstat(abs);
      if (st.isDirectory()) await walk(childRel);
      else if (st.isFile()) out.push({ path: posix.join(prefix, childRel), content: await readFile(abs), mode: st.mode & 0o7777 });
      else throw new Error(`${abs}: only folders and regular files can be copied into a reused container`);
    }
  };
  await walk('');
  return out;
}

/** Extract a tar stream into `dest`, refusing entries that would escape it. */
export async function extractTar(stream: Readable, dest: string): Promise<void> {
  const root = resolve(dest);
  await mkdir(root, { recursive: true });
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      const target = resolve(root, header.name);
      if (target !== root && !target.startsWith(root + sep)) {
        entry.resume();
        throw new Error(`tar entry escapes the destination: ${header.name}`);
      }
      if (header.type === 'directory') {
        await mkdir(target, { recursive: true });
        entry.resume();
      } else if (header.type === 'symlink') {
        await mkdir(dirname(target), { recursive: true });
        await symlink(header.linkname ?? '', target).catch(() => {});
        entry.resume();
      } else if (header.type === 'file') {
        await mkdir(dirname(target), { recursive: true });
        await pipeline(entry, createWriteStream(target));
        if (header.mode) await chmod(target, header.mode & 0o7777);
      } else {
        entry.resume();
      }
    }
  })();
  stream.pipe(extract);
  await done;
}

/** Read the first regular file of a tar stream into memory; FileTooLargeError past `maxBytes`. */
export async function readFirstFile(stream: Readable, maxBytes = Number.POSITIVE_INFINITY, name = 'file'): Promise<Buffer | undefined> {
  const extract = tar.extract();
  stream.pipe(extract);
  let found: Buffer | undefined;
  for await (const entry of extract) {
    if (found === undefined && entry.header.type === 'file') {
      if ((entry.header.size ?? 0) > maxBytes) {
        stream.destroy();
        extract.destroy();
        throw new FileTooLargeError(name, entry.header.size ?? 0, maxBytes);
      }
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      found = Buffer.concat(chunks);
    } else {
      entry.resume();
    }
  }
  return found;
}

function stripRoot(p: string): string {
  return p.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** Calls `onFile` for each regular file; it may read the entry's content (skipped otherwise). */
export function readTarFiles(
  stream: Readable,
  onFile: (name: string, size: number, read: () => Promise<Buffer>) => Promise<void> | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    extract.on('entry', (header, entry, next) => {
      const chunks: Buffer[] = [];
      let reading: Promise<void> | undefined;
      if (header.type === 'file') {
        reading = onFile(header.name, header.size ?? 0, () =>
          new Promise<Buffer>((res, rej) => {
            entry.on('data', (c) => chunks.push(c as Buffer));
            entry.on('end', () => res(Buffer.concat(chunks)));
            entry.on('error', rej);
          }),
        );
      }
      if (!reading) entry.resume();
      entry.on('end', () => void (reading ?? Promise.resolve()).then(() => next(), next));
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.on('error', reject);
    stream.pipe(extract);
  });
}
