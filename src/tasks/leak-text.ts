import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { normalizeAnswerText } from './image-contents.js';

// An archive inflating past this is a bomb, not a source archive: searched no further than that.
// It also keeps every text under V8's longest string.
const MAX_BYTES = 256 * 1024 * 1024;
// Other binaries up to this size are searched as stored (a source file may sit inside one); larger ones (images, compiled code) cost a second per 16 MiB and are skipped.
const MAX_BINARY_BYTES = 4 * 1024 * 1024;
// Archives in archives (a wheel in an sdist) are opened this deep.
const MAX_DEPTH = 3;

const isGzip = (b: Uint8Array): boolean => b[0] === 0x1f && b[1] === 0x8b;
// A zip is found by its end record, as Python's zipfile finds it: zipapps, .pex and .shiv files start with a shebang line.
const EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
// The end record is in the last 22 bytes plus a comment of at most 64 KiB: only that tail is searched.
const isZip = (b: Buffer): boolean => b.subarray(Math.max(0, b.length - 22 - 65_535)).includes(EOCD);
// A plain tar holds its members' bytes as they are: searched as stored.
const isTar = (b: Buffer): boolean => b.length >= 512 && b.toString('latin1', 257, 262) === 'ustar';

/**
 * A workspace file's text as the leak checks search it (whitespace collapsed like answers): a text
 * file as it is; a gzip stream inflated, a zip's members (stored or deflated) inflated, a plain tar
 * as stored, each in turn opened when it is itself an archive (a wheel in an sdist). Any other
 * binary (a NUL byte) is searched as stored up to 4 MiB; a larger one (images, compiled code,
 * `.bz2`, `.xz`) gives nothing: searching it as text costs a second per 16 MiB.
 */
export function leakSearchText(content: Buffer): string {
  return normalizeAnswerText(searchable(content, 0).join('\n'));
}

function searchable(content: Buffer, depth: number): string[] {
  if (depth < MAX_DEPTH && isGzip(content)) {
    try {
      return searchable(gunzipSync(content, { maxOutputLength: MAX_BYTES }), depth + 1);
    } catch {
      // Not a whole gzip stream: as stored below.
    }
  }
  if (depth < MAX_DEPTH && isZip(content)) {
    try {
      let total = 0;
      // Members in methods fflate cannot inflate (bzip2, lzma, zstd) are left out, not the whole zip.
      const members = unzipSync(start(content), { filter: (f) => (f.compression === 0 || f.compression === 8) && (total += f.originalSize) <= MAX_BYTES });
      return Object.values(members).flatMap((m) => searchable(Buffer.from(m.buffer, m.byteOffset, m.byteLength), depth + 1));
    } catch {
      // Not a readable zip: as stored below.
    }
  }
  const head = content.subarray(0, MAX_BYTES);
  if (isTar(head)) {
    // Members that are archives themselves are opened too.
    return [head.toString('utf8'), ...tarMembers(head).flatMap((m) => (isGzip(m) || isZip(m) ? searchable(m, depth + 1) : []))];
  }
  return head.includes(0) && head.length > MAX_BINARY_BYTES ? [] : [head.toString('utf8')];
}

/** A zip from its first local header on (a zipapp's shebang line before it is not part of it). */
function start(b: Buffer): Uint8Array {
  const at = b.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  return at > 0 ? b.subarray(at) : b;
}

/** The members of a plain tar (ustar headers: name, octal size, 512-byte blocks). */
function tarMembers(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 512 <= b.length && b[at] !== 0; ) {
    const size = Number.parseInt(b.toString('latin1', at + 124, at + 136).replace(/\0.*$/, '').trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) break;
    out.push(b.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
