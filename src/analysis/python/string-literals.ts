/**
 * What CPython 3.11's parser does with the body of one string token: the escape decoding of
 * `decode_unicode_with_escapes` / `_PyBytes_DecodeEscape` and the f-string scanning of
 * `Parser/string_parser.c`, reduced to "which error, if any" with CPython's wording.
 */

/** A `\N{...}` escape whose name only the interpreter's Unicode database can judge. */
export interface NameEscape {
  name: string;
  /** CPython's message for this escape if the name is unknown. */
  message: string;
}

export interface LiteralVerdict {
  /** CPython's message for the first error, or null. */
  error: string | null;
  /** Names to look up (only those met before the first error). */
  names: NameEscape[];
}

const HEX = /^[0-9a-fA-F]$/;
// Every Unicode character name and alias (and the CJK/Hangul algorithmic ones) uses only these.
const NAME_CHARS = /^[A-Za-z0-9 -]+$/;

const decodeError = (start: number, end: number, reason: string): string =>
  `(unicode error) 'unicodeescape' codec can't decode ${end - start === 1 ? `byte 0x5c in position ${start}` : `bytes in position ${start}-${end - 1}`}: ${reason}`;

/**
 * The buffer CPython decodes a non-raw str piece from: every non-ASCII character becomes
 * `\UXXXXXXXX`, and a backslash before one (or at the end) becomes `\u005c`. Error positions count in it.
 */
function escapeBuffer(piece: string): string {
  let out = '';
  const chars = [...piece];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\\') {
      out += '\\';
      const next = chars[i + 1];
      if (next === undefined || next.codePointAt(0)! > 0x7f) {
        out += 'u005c';
        if (next === undefined) break;
      }
      if (next.codePointAt(0)! <= 0x7f) {
        out += next;
        i++;
      }
      continue;
    }
    const cp = ch.codePointAt(0)!;
    out += cp > 0x7f ? `\\U${cp.toString(16).padStart(8, '0')}` : ch;
  }
  return out;
}

/** `_PyUnicode_DecodeUnicodeEscapeInternal` on a non-raw str piece: the first error, and the names met. */
export function checkStrEscapes(piece: string): LiteralVerdict {
  const names: NameEscape[] = [];
  if (!piece.includes('\\')) return { error: null, names };
  const s = escapeBuffer(piece);
  const end = s.length;
  let i = 0;
  while (i < end) {
    if (s[i] !== '\\') {
      i++;
      continue;
    }
    const start = i;
    i++;
    if (i >= end) return { error: decodeError(start, end, '\\ at end of string'), names };
    const c = s[i++]!;
    if (c === 'x' || c === 'u' || c === 'U') {
      const count = c === 'x' ? 2 : c === 'u' ? 4 : 8;
      const message = c === 'x' ? 'truncated \\xXX escape' : c === 'u' ? 'truncated \\uXXXX escape' : 'truncated \\UXXXXXXXX escape';
      let value = 0;
      for (let k = 0; k < count; k++, i++) {
        if (i >= end || !HEX.test(s[i]!)) return { error: decodeError(start, i, message), names };
        value = value * 16 + parseInt(s[i]!, 16);
      }
      if (value > 0x10ffff) return { error: decodeError(start, i, 'illegal Unicode character'), names };
    } else if (c === 'N') {
      const malformed = 'malformed \\N character escape';
      if (i >= end) return { error: decodeError(start, i, malformed), names };
      if (s[i] !== '{') return { error: decodeError(start, i, malformed), names };
      const nameStart = ++i;
      while (i < end && s[i] !== '}') i++;
      if (i >= end) return { error: decodeError(start, i, malformed), names };
      if (i === nameStart) return { error: decodeError(start, i, malformed), names };
      const name = s.slice(nameStart, i);
      i++;
      const unknown = decodeError(start, i, 'unknown Unicode character name');
      if (!NAME_CHARS.test(name) || name.length > 256) return { error: unknown, names };
      names.push({ name, message: unknown });
    }
    // Simple escapes, octal digits, line continuations, and unknown escapes (only a warning in 3.11).
  }
  return { error: null, names };
}

/** `_PyBytes_DecodeEscape` on a non-raw bytes body (ASCII already checked). */
export function checkBytesEscapes(body: string): string | null {
  for (let i = body.indexOf('\\'); i >= 0 && i < body.length; i = body.indexOf('\\', i)) {
    if (body[i + 1] === 'x' && !(HEX.test(body[i + 2] ?? '') && HEX.test(body[i + 3] ?? ''))) {
      return `(value error) invalid \\x escape at position ${i}`;
    }
    i += 2;
  }
  return null;
}

/** Scans an f-string body as `fstring_parse` does; errors in the expressions themselves are not judged. */
export function checkFstring(body: string, raw: boolean): LiteralVerdict {
  const names: NameEscape[] = [];
  let pos = 0;
  const end = body.length;
  const fail = (error: string): LiteralVerdict => ({ error, names });

  // fstring_find_literal: returns [error | null, doubled brace].
  const literal = (lvl: number): string | null | 'doubled' => {
    const start = pos;
    let s = pos;
    let doubled = false;
    while (s < end) {
      let ch = body[s++]!;
      if (!raw && ch === '\\' && s < end) {
        ch = body[s++]!;
        if (ch === 'N') {
          if (s < end && body[s++] === '{') while (s < end && body[s++] !== '}');
          continue;
        }
      }
      if (ch === '{' || ch === '}') {
        if (lvl === 0) {
          if (s < end && body[s] === ch) {
            pos = s + 1;
            doubled = true;
            break;
          }
          if (ch === '}') return "f-string: single '}' is not allowed";
        }
        s--;
        break;
      }
    }
    if (!doubled) pos = s;
    const text = body.slice(start, doubled ? pos - 1 : pos);
    const undecodable = pieceUtf8Error(text, !raw);
    if (undecodable) return undecodable;
    if (text && !raw) {
      const r = checkStrEscapes(text);
      names.push(...r.names);
      if (r.error) return r.error;
    }
    return doubled ? 'doubled' : null;
  };

  const expression = (lvl: number): string | null => {
    if (lvl >= 2) return 'f-string: expressions nested too deeply';
    pos++;
    const exprStart = pos;
    let quote = '';
    let triple = false;
    const parens: string[] = [];
    for (; pos < end; pos++) {
      const ch = body[pos]!;
      if (ch === '\\') return 'f-string expression part cannot include a backslash';
      if (quote) {
        if (ch === quote) {
          if (!triple) quote = '';
          else if (pos + 2 < end && body[pos + 1] === ch && body[pos + 2] === ch) {
            pos += 2;
            quote = '';
          }
        }
        continue;
      }
      if (ch === "'" || ch === '"') {
        triple = pos + 2 < end && body[pos + 1] === ch && body[pos + 2] === ch;
        if (triple) pos += 2;
        quote = ch;
      } else if (ch === '[' || ch === '{' || ch === '(') {
        if (parens.length >= 200) return 'f-string: too many nested parenthesis';
        parens.push(ch);
      } else if (ch === '#') {
        return "f-string expression part cannot include '#'";
      } else if (parens.length === 0 && '!:}=<>'.includes(ch)) {
        const next = body[pos + 1];
        if (pos + 1 < end && next === '=' && '!=<>'.includes(ch)) {
          pos++;
          continue;
        }
        if (ch === '<' || ch === '>') continue;
        break;
      } else if (ch === ']' || ch === '}' || ch === ')') {
        const opening = parens.pop();
        if (opening === undefined) return `f-string: unmatched '${ch}'`;
        if ({ '(': ')', '[': ']', '{': '}' }[opening] !== ch) {
          return `f-string: closing parenthesis '${ch}' does not match opening parenthesis '${opening}'`;
        }
      }
    }
    const exprEnd = pos;
    if (quote) return 'f-string: unterminated string';
    if (parens.length > 0) return `f-string: unmatched '${parens[parens.length - 1]}'`;
    if (pos >= end) return "f-string: expecting '}'";
    if (/^[ \t\n\f]*$/.test(body.slice(exprStart, exprEnd))) {
      const at = body[exprEnd]!;
      return '!:='.includes(at) ? `f-string: expression required before '${at}'` : 'f-string: empty expression not allowed';
    }
    // The expression is compiled on its own: its undecodable bytes fail there.
    const undecodable = pieceUtf8Error(body.slice(exprStart, exprEnd), true);
    if (undecodable) return `f-string: ${undecodable}`;
    if (body[pos] === '=') {
      pos++;
      while (pos < end && /\s/.test(body[pos]!)) pos++;
      if (pos >= end) return "f-string: expecting '}'";
    }
    if (body[pos] === '!') {
      pos++;
      if (pos >= end) return "f-string: expecting '}'";
      const conversion = body[pos++]!;
      if (!'sra'.includes(conversion)) return "f-string: invalid conversion character: expected 's', 'r', or 'a'";
    }
    if (pos < end && body[pos] === ':') {
      pos++;
      if (pos >= end) return "f-string: expecting '}'";
      const spec = parse(lvl + 1);
      if (spec) return spec;
    }
    if (pos >= end || body[pos] !== '}') return "f-string: expecting '}'";
    pos++;
    return null;
  };

  const parse = (lvl: number): string | null => {
    for (;;) {
      const lit = literal(lvl);
      if (lit === 'doubled') continue;
      if (lit) return lit;
      if (pos >= end || body[pos] === '}') break;
      const e = expression(lvl);
      if (e) return e;
    }
    if (lvl === 0 && pos < end - 1) return 'f-string: unexpected end of string';
    if (lvl !== 0 && body[pos] !== '}') return "f-string: expecting '}'";
    return null;
  };

  const error = parse(0);
  return error ? fail(error) : { error: null, names };
}

// ---- Bytes that are not UTF-8 ----
// The tokenizer's UTF-8 (a file without a coding declaration, or one declaring utf-8) decodes
// tokens one at a time: such bytes are fine in a comment and an error in a token. The scanner sees
// each of them as a lone surrogate U+DC80..U+DCFF (like Python's surrogateescape), which valid
// UTF-8 never yields (CPython refuses encoded surrogates), so the original bytes can be recovered.

/** A byte that was not part of valid UTF-8, as `decodeMarked` leaves it. */
export const BAD_BYTE = /[\uDC80-\uDCFF]/u;

export interface Utf8Error {
  start: number;
  end: number;
  reason: string;
}

/** Where CPython's strict UTF-8 decoder (`PyUnicode_DecodeUTF8`) first fails on `b`, and why. */
export function utf8Error(b: Uint8Array): Utf8Error | null {
  for (let i = 0; i < b.length; ) {
    const r = scanSequence(b, i);
    if (typeof r !== 'number') return r;
    i += r;
  }
  return null;
}

/** Length of the valid UTF-8 sequence starting at `i` (CPython's rules), or 0. */
function sequenceLength(b: Uint8Array, i: number): number {
  const r = scanSequence(b, i);
  return typeof r === 'number' ? r : 0;
}

/** The UTF-8 sequence at `i` by CPython's rules: its length when valid, else where and why it fails. */
function scanSequence(b: Uint8Array, i: number): number | Utf8Error {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 3;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return { start: i, end: i + 1, reason: 'invalid start byte' };
  for (let k = 1; k < need; k++) {
    if (i + k >= b.length) return { start: i, end: b.length, reason: 'unexpected end of data' };
    const d = b[i + k]!;
    if (!(k === 1 ? d >= lo && d <= hi : d >= 0x80 && d <= 0xbf)) return { start: i, end: i + k, reason: 'invalid continuation byte' };
  }
  return need;
}

/** UnicodeDecodeError's text: `'utf-8' codec can't decode byte 0xff in position 3: invalid start byte`. */
export function codecMessage(codec: string, b: Uint8Array, e: Utf8Error): string {
  const where = e.end - e.start === 1 ? `byte 0x${b[e.start]!.toString(16).padStart(2, '0')} in position ${e.start}` : `bytes in position ${e.start}-${e.end - 1}`;
  return `'${codec}' codec can't decode ${where}: ${e.reason}`;
}

/** UTF-8 text with every byte that is not part of a valid sequence kept as U+DC80..U+DCFF. */
export function decodeMarked(b: Buffer): string {
  if (!utf8Error(b)) return b.toString('utf8');
  let out = '';
  let from = 0;
  for (let i = 0; i < b.length; ) {
    const len = sequenceLength(b, i);
    if (len > 0) {
      i += len;
      continue;
    }
    out += b.subarray(from, i).toString('utf8') + String.fromCharCode(0xdc00 + b[i]!);
    from = ++i;
  }
  return out + b.subarray(from).toString('utf8');
}

/** The bytes a piece of `decodeMarked` text came from. */
export function rawBytes(s: string): Buffer {
  const parts: Buffer[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    parts.push(cp >= 0xdc80 && cp <= 0xdcff ? Buffer.from([cp - 0xdc00]) : Buffer.from(ch, 'utf8'));
  }
  return Buffer.concat(parts);
}

/**
 * CPython's error for undecodable bytes in a str piece, or null: a piece with escapes to decode is
 * decoded one run of non-ASCII bytes at a time (`decode_unicode_with_escapes`), a raw one or one
 * without a backslash all at once; positions count from the start of the run or of the piece.
 */
export function pieceUtf8Error(piece: string, byRuns: boolean): string | null {
  if (!BAD_BYTE.test(piece)) return null;
  const chunks = byRuns ? piece.match(/[^\x00-\x7f]+/gu) ?? [] : [piece];
  for (const chunk of chunks) {
    const b = rawBytes(chunk);
    const e = utf8Error(b);
    if (e) return `(unicode error) ${codecMessage('utf-8', b, e)}`;
  }
  return null;
}
