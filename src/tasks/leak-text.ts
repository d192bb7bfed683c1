import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { normalizeAnswerText } from './image-contents.js';

// An archive inflating past this is a bomb, not a source archive: searched no further than that.
const MAX_INFLATED = 256 * 1024 * 1024;

const isGzip = (b: Buffer): boolean => b[0] === 0x1f && b[1] === 0x8b;
const isZip = (b: Buffer): boolean => b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/**
 * A workspace file's text as the leak checks search it (whitespace collapsed like answers). Any
 * file is searched as it is: a text file, and a binary one too (a plain `.tar` holds its members'
 * bytes as they are, between NUL padding). A gzip stream (`.tar.gz`, `.gz`) is inflated first, and
 * a zip (`.whl`, `.egg`, `.zip`) has each member inflated. Other compression (`.bz2`, `.xz`) is
 * searched as stored, which finds nothing inside it.
 */
export function leakSearchText(content: Buffer): string {
  if (isGzip(content)) {
    try {
      return normalizeAnswerText(gunzipSync(content, { maxOutputLength: MAX_INFLATED }).toString('utf8'));
    } catch {
      // Not a whole gzip stream: searched as stored.
    }
  }
  if (isZip(content)) {
    try {
      let total = 0;
      const members = unzipSync(content, { filter: (f) => (total += f.originalSize) <= MAX_INFLATED });
      return normalizeAnswerText(Object.values(members).map((m) => Buffer.from(m).toString('utf8')).join('\n'));
    } catch {
      // Not a readable zip: searched as stored.
    }
  }
  return normalizeAnswerText(content.toString('utf8'));
}
