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
