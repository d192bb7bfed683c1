import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { FileEntry } from '../sandbox/types.js';
import type { WorkspaceFiles } from './files.js';

/**
 * The `.git` of a workspace, made on the host: one commit of exactly `files` (mode 100644, as
 * `git add -A -f` of files written 0644 records them), on branch `main`, its objects in one pack,
 * and an index, so that `git status` in the sandbox is clean and `git diff` shows the agent's
 * changes. The same as `git init && git add -A -f && git commit` in the sandbox, without running
 * git there: that cost more than a container start. It holds no object but those of this commit.
 *
 * A blob's compressed form is kept per file content (a WeakMap on the Buffer), so workspaces of
 * one repository that differ in a few files compress only those.
 */
export function gitRepoEntries(files: WorkspaceFiles, options: { time?: number } = {}): FileEntry[] {
  const objects: PackedObject[] = [];
  const blobs = new Map<string, string>();
  for (const [path, content] of files) {
    const blob = blobObject(content);
    blobs.set(path, blob.sha);
    objects.push(blob);
  }
  const root = treeOf(files, blobs, objects);
  const time = Math.floor((options.time ?? Date.now()) / 1000);
  const who = `hybrid-gym <hybrid-gym@localhost> ${time} +0000`;
  const commit = packObject('commit', Buffer.from(`tree ${root}\nauthor ${who}\ncommitter ${who}\n\nworkspace\n`));
  objects.push(commit);
  const { pack, idx, name } = packOf(objects);
  return [
    { path: '.git/HEAD', content: 'ref: refs/heads/main\n' },
    { path: '.git/config', content: '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n' },
    { path: '.git/description', content: "Unnamed repository; edit this file 'description' to name the repository.\n" },
    { path: '.git/info/exclude', content: '' },
    { path: '.git/refs/heads/main', content: `${commit.sha}\n` },
    { path: '.git/refs/tags/.keep', content: '' },
    { path: '.git/index', content: indexOf(files, blobs) },
    { path: `.git/objects/pack/pack-${name}.idx`, content: idx, mode: 0o444 },
    { path: `.git/objects/pack/pack-${name}.pack`, content: pack, mode: 0o444 },
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface PackedObject {
  sha: string;
  /** The pack entry: type-and-size header, then the deflated content. */
  entry: Buffer;
  crc: number;
}

const TYPES = { commit: 1, tree: 2, blob: 3 } as const;
const blobCache = new WeakMap<Buffer, PackedObject>();

function blobObject(content: Buffer): PackedObject {
  let o = blobCache.get(content);
  if (!o) {
    o = packObject('blob', content);
    blobCache.set(content, o);
  }
  return o;
}

function packObject(type: keyof typeof TYPES, content: Buffer): PackedObject {
  const sha = createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
  const header: number[] = [];
  let size = content.length;
  let byte = (TYPES[type] << 4) | (size & 0x0f);
  size = Math.floor(size / 16);
  while (size > 0) {
    header.push(byte | 0x80);
    byte = size & 0x7f;
    size = Math.floor(size / 128);
  }
  header.push(byte);
  const entry = Buffer.concat([Buffer.from(header), deflateSync(content, { level: 1 })]);
  return { sha, entry, crc: crc32(entry) };
}

interface Dir {
  files: Map<string, string>;
  dirs: Map<string, Dir>;
}

/** Write the tree objects (children first) and return the root tree's sha. */
function treeOf(files: WorkspaceFiles, blobs: Map<string, string>, out: PackedObject[]): string {
  const root: Dir = { files: new Map(), dirs: new Map() };
  for (const path of files.keys()) {
    const parts = path.split('/');
    let d = root;
    for (const p of parts.slice(0, -1)) {
      let next = d.dirs.get(p);
      if (!next) d.dirs.set(p, (next = { files: new Map(), dirs: new Map() }));
      d = next;
    }
    d.files.set(parts[parts.length - 1]!, blobs.get(path)!);
  }
  const write = (d: Dir): string => {
    const entries: Array<{ key: Buffer; mode: string; name: string; sha: string }> = [];
    for (const [name, sha] of d.files) entries.push({ key: Buffer.from(name), mode: '100644', name, sha });
    // git orders a tree's entries by name, a folder's name as if it ended in '/'.
    for (const [name, sub] of d.dirs) entries.push({ key: Buffer.from(`${name}/`), mode: '40000', name, sha: write(sub) });
    entries.sort((a, b) => Buffer.compare(a.key, b.key));
    const body = Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex')]));
    const tree = packObject('tree', body);
    out.push(tree);
    return tree.sha;
  };
  return write(root);
}

/** A version 2 pack of the objects (no deltas) and its version 2 index; `name` is the pack's checksum. */
function packOf(objects: PackedObject[]): { pack: Buffer; idx: Buffer; name: string } {
  // One copy of each object (two files with the same content share a blob).
  const unique = [...new Map(objects.map((o) => [o.sha, o])).values()];
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(unique.length, 8);
  const offsets = new Map<string, number>();
  let offset = 12;
  for (const o of unique) {
    offsets.set(o.sha, offset);
    offset += o.entry.length;
  }
  const body = Buffer.concat([head, ...unique.map((o) => o.entry)]);
  const packSum = createHash('sha1').update(body).digest();
  const pack = Buffer.concat([body, packSum]);
  if (offset >= 2 ** 31) throw new Error('a workspace pack over 2 GiB is not supported');

  const sorted = [...unique].sort((a, b) => (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
  const fanout = Buffer.alloc(256 * 4);
  for (let b = 0, k = 0; b < 256; b++) {
    while (k < sorted.length && parseInt(sorted[k]!.sha.slice(0, 2), 16) <= b) k++;
    fanout.writeUInt32BE(k, b * 4);
  }
  const crcs = Buffer.alloc(sorted.length * 4);
  const offs = Buffer.alloc(sorted.length * 4);
  sorted.forEach((o, k) => {
    crcs.writeUInt32BE(o.crc >>> 0, k * 4);
    offs.writeUInt32BE(offsets.get(o.sha)!, k * 4);
  });
  const idxBody = Buffer.concat([
    Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]),
    fanout,
    ...sorted.map((o) => Buffer.from(o.sha, 'hex')),
    crcs,
    offs,
    packSum,
  ]);
  const idx = Buffer.concat([idxBody, createHash('sha1').update(idxBody).digest()]);
  return { pack, idx, name: packSum.toString('hex') };
}

/**
 * A version 2 index of the files. Its stat data (times 0, no device or inode) does not match the
 * files in the sandbox, so git compares their contents once, finds them unchanged and refreshes it.
 */
function indexOf(files: WorkspaceFiles, blobs: Map<string, string>): Buffer {
  const paths = [...files.keys()].map((p) => Buffer.from(p)).sort(Buffer.compare);
  const head = Buffer.alloc(12);
  head.write('DIRC', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(paths.length, 8);
  const parts: Buffer[] = [head];
  for (const p of paths) {
    const path = p.toString();
    // 62 bytes of fixed fields, the path, then 1 to 8 NULs to a multiple of 8.
    const len = 62 + p.length;
    const entry = Buffer.alloc(len + (8 - (len % 8)));
    entry.writeUInt32BE(0o100644, 24);
    entry.writeUInt32BE(files.get(path)!.length >>> 0, 36);
    Buffer.from(blobs.get(path)!, 'hex').copy(entry, 40);
    entry.writeUInt16BE(Math.min(p.length, 0xfff), 60);
    p.copy(entry, 62);
    parts.push(entry);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(data: Buffer): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
