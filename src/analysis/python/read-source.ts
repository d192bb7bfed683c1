import type { SkipReason } from '../types.js';

export type ReadResult =
  | { ok: true; text: string; encoding: string; bomBytes: number }
  | { ok: false; reason: SkipReason; detail: string };

// Python's names for ISO-8859-1 (WHATWG decoders would map them to windows-1252 instead).
const LATIN1 = /^(latin[-_]?1|iso[-_]?8859[-_]?1|l1|8859)$/;
const ASCII = /^(us[-_]?)?ascii$/;
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** The PEP 263 coding cookie of the first two lines, if any. */
function codingCookie(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 400).toString('latin1').split(/\r\n|\r|\n/).slice(0, 2);
  for (const line of head) {
    const m = COOKIE.exec(line);
    if (m?.[1]) return m[1].toLowerCase();
    // The cookie may only be on line 2 when line 1 is a comment or blank.
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break;
  }
  return undefined;
}

/** Decodes a Python source file like the interpreter: UTF-8 by default, a coding cookie overrides. */
export function decodeSource(bytes: Buffer): ReadResult {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  const cookie = bom ? undefined : codingCookie(bytes);
  const encoding = cookie && !/^utf[-_]?8(-sig)?$/.test(cookie) ? cookie : 'utf-8';
  try {
    if (LATIN1.test(encoding)) return { ok: true, text: body.toString('latin1'), encoding, bomBytes: 0 };
    if (ASCII.test(encoding)) {
      // eslint-disable-next-line no-control-regex
      if (body.some((b) => b > 0x7f)) return { ok: false, reason: 'not-decodable', detail: `invalid ${encoding}` };
      return { ok: true, text: body.toString('latin1'), encoding, bomBytes: 0 };
    }
    const decoder = new TextDecoder(encoding.replace(/_/g, '-'), { fatal: true, ignoreBOM: true });
    return { ok: true, text: decoder.decode(body), encoding, bomBytes: bom ? 3 : 0 };
  } catch (err) {
    const detail = err instanceof RangeError ? `unknown encoding ${encoding}` : `invalid ${encoding}`;
    return { ok: false, reason: 'not-decodable', detail };
  }
}
