import { checkBytesEscapes, checkFstring, checkStrEscapes, type NameEscape } from './string-literals.js';

/**
 * What would stop CPython 3.11 from compiling a file that tree-sitter parses: the source's bytes
 * (encoding, coding declaration, NUL), characters the tokenizer refuses, indentation (TabError,
 * unindent, unexpected indent) and every string literal (prefixes, escapes, bytes, f-string
 * structure, bytes mixed with str). The code itself is the syntax tree's business; this is for what
 * tree-sitter lets through. `\N{NAME}` needs the interpreter's Unicode database: such names come
 * back in `names` for the caller to look up.
 */
export type CompileCheck =
  | { ok: true; names: NameUse[] }
  | { ok: false; line: number | null; column?: number; message: string };

/** A `\N{...}` name met in a literal that is not in the original: unknown, it is `message` at `line`. */
export interface NameUse extends NameEscape {
  line: number;
  column?: number;
}

/** One reason the file would not compile. `key` identifies it regardless of where it moved. */
export interface CompileProblem {
  line: number | null;
  column?: number;
  message: string;
  key: string;
}

export interface CompileScan {
  problems: CompileProblem[];
  names: Array<NameUse & { key: string }>;
}

const KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if import ' +
    'in is lambda nonlocal not or pass raise return try while with yield match case').split(' '),
);
const PREFIXES = new Set(['', 'r', 'u', 'f', 'b', 'br', 'rb', 'fr', 'rf']);
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
const ID_CHAR = /[\p{ID_Continue}\u2118\u212E\u309B\u309C\u00B7\u0387\u1369-\u1371\u19DA]/u;
const PRINTABLE = /^[^\p{C}\p{Z}]$|^ $/u;

/**
 * Checks a changed file against its original: a problem counts only when the original does not
 * have it too (a file that never compiled does not fail for what it already had), and names are
 * reported only from literals the original does not have.
 */
export function checkCompiles(source: Buffer, original?: Buffer): CompileCheck {
  const after = scanSource(source);
  const before = original ? scanSource(original) : { problems: [], names: [] };
  const seen = new Map<string, number>();
  for (const p of before.problems) seen.set(p.key, (seen.get(p.key) ?? 0) + 1);
  for (const p of after.problems) {
    const n = seen.get(p.key) ?? 0;
    if (n > 0) {
      seen.set(p.key, n - 1);
      continue;
    }
    return { ok: false, line: p.line, ...(p.column !== undefined && { column: p.column }), message: p.message };
  }
  const old = new Map<string, number>();
  for (const u of before.names) old.set(u.key, (old.get(u.key) ?? 0) + 1);
  const names: NameUse[] = [];
  for (const { key, ...use } of after.names) {
    const n = old.get(key) ?? 0;
    if (n > 0) old.set(key, n - 1);
    else names.push(use);
  }
  return { ok: true, names };
}

/** The coding declaration of the first two lines, normalised as CPython's `get_normal_name` does. */
export function codingDeclaration(bytes: Buffer): string | undefined {
  const lines = bytes.subarray(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0, 400).toString('latin1').split(/\r\n|\r|\n/).slice(0, 2);
  for (const line of lines) {
    const m = COOKIE.exec(line);
    if (m?.[1]) return normalEncoding(m[1]);
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break;
  }
  return undefined;
}

function normalEncoding(name: string): string {
  const n = name.toLowerCase().replace(/_/g, '-');
  if (n === 'utf-8' || n.startsWith('utf-8-')) return 'utf-8';
  if (/^(latin-1|iso-8859-1|iso-latin-1)(-|$)/.test(n)) return 'iso-8859-1';
  return n;
}

/** Every problem of one source file (bytes as on disk). */
export function scanSource(bytes: Buffer): CompileScan {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const declared = codingDeclaration(bytes);
  const problems: CompileProblem[] = [];
  const fatal = (message: string, line: number | null = null): CompileScan => ({ problems: [{ line, message, key: message }], names: [] });
  if (bom && declared && declared !== 'utf-8') return fatal(`encoding problem: ${declared} with BOM`, 1);
  const encoding = declared ?? 'utf-8';
  const body = bom ? bytes.subarray(3) : bytes;
  let text: string;
  if (encoding === 'utf-8') {
    const bad = firstInvalidUtf8(body);
    if (bad >= 0) {
      const line = countLines(body, bad);
      const byte = `\\x${body[bad]!.toString(16).padStart(2, '0')}`;
      return fatal(
        declared
          ? `(unicode error) 'utf-8' codec can't decode byte 0x${body[bad]!.toString(16).padStart(2, '0')}: invalid utf-8 on line ${line}`
          : `Non-UTF-8 code starting with '${byte}' on line ${line}, but no encoding declared; see https://peps.python.org/pep-0263/ for details`,
        line,
      );
    }
    text = body.toString('utf8');
  } else if (encoding === 'iso-8859-1') {
    text = body.toString('latin1');
  } else if (encoding === 'ascii' || encoding === 'us-ascii') {
    const bad = body.findIndex((b) => b > 0x7f);
    if (bad >= 0) return fatal(`(unicode error) 'ascii' codec can't decode byte 0x${body[bad]!.toString(16)}`, countLines(body, bad));
    text = body.toString('latin1');
  } else {
    try {
      text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      // Which codecs CPython has, and how they decode, is the sandbox's knowledge, not ours.
      return fatal(`unknown or undecodable encoding: ${encoding}`, 1);
    }
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) problems.push({ line: text.slice(0, nul).split(/\r\n|\r|\n/).length, message: 'source code string cannot contain null bytes', key: 'nul' });
  const scan = new Scanner(text.replace(/\r\n?/g, '\n'));
  scan.run();
  return { problems: [...problems, ...scan.problems], names: scan.names };
}

/** Index of the first byte that is not part of valid UTF-8 (CPython's rules: no surrogates, no overlongs), or -1. */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

function countLines(b: Buffer, upTo: number): number {
  let line = 1;
  for (let i = 0; i < upTo; i++) if (b[i] === 0x0a || (b[i] === 0x0d && b[i + 1] !== 0x0a)) line++;
  return line;
}

interface StringToken {
  prefix: string;
  quote: string;
  body: string;
  text: string;
  line: number;
  column: number;
}

/** A 3.11 tokenizer reduced to what can fail outside the syntax tree; works on text with `\n` line ends. */
class Scanner {
  readonly problems: CompileProblem[] = [];
  readonly names: Array<NameUse & { key: string }> = [];
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private depth = 0;
  private indents = [{ col: 0, alt: 0 }];
  private lineHasTokens = false;
  private endsWithColon = false;
  private prevEndsWithColon = false;
  private commentAt = -1;
  private group: StringToken[] = [];
  private nameBefore: { line: number; column: number } | null = null;

  constructor(private readonly text: string) {}

  private column(at: number): number {
    return [...this.text.slice(this.lineStart, at)].length + 1;
  }

  private problem(message: string, line: number | null, column: number | undefined, key: string): void {
    this.problems.push({ line, ...(column !== undefined && { column }), message, key: `${message}\0${key}` });
  }

  run(): void {
    const t = this.text;
    let atLineStart = true;
    while (this.i < t.length) {
      if (atLineStart) {
        atLineStart = false;
        if (this.depth === 0) this.indentation();
      }
      const c = t[this.i]!;
      if (c === ' ' || c === '\t' || c === '\f' || c === '\0') {
        this.i++;
      } else if (c === '\n') {
        if (this.depth === 0 && this.lineHasTokens) {
          this.flush(this.commentAt >= 0 ? this.commentAt : this.i);
          this.lineHasTokens = false;
          this.prevEndsWithColon = this.endsWithColon;
        }
        this.newline(this.i + 1);
        atLineStart = true;
      } else if (c === '#') {
        this.commentAt = this.i;
        while (this.i < t.length && t[this.i] !== '\n') this.i++;
      } else if (c === '\\') {
        if (t[this.i + 1] === '\n') {
          this.newline(this.i + 2); // a continuation line: no indentation of its own
        } else {
          this.problem('unexpected character after line continuation character', this.line, this.column(this.i + 1), t.slice(this.lineStart, this.i + 2));
          this.i++;
        }
      } else if (c === '"' || c === "'") {
        if (!this.string('')) return;
      } else if (/[A-Za-z_]/.test(c) || (c > '\x7f' && ID_CHAR.test(String.fromCodePoint(t.codePointAt(this.i)!)))) {
        const start = this.i;
        while (this.i < t.length && (/[A-Za-z0-9_]/.test(t[this.i]!) || (t[this.i]! > '\x7f' && ID_CHAR.test(String.fromCodePoint(t.codePointAt(this.i)!))))) {
          this.i += t.codePointAt(this.i)! > 0xffff ? 2 : 1;
        }
        const word = t.slice(start, this.i);
        const q = t[this.i];
        if ((q === '"' || q === "'") && PREFIXES.has(word.toLowerCase())) {
          this.i = start;
          if (!this.string(word)) return;
          continue;
        }
        this.token(start);
        // A name right before a string is a syntax error, reported after the strings' own errors.
        if ((q === '"' || q === "'") && !KEYWORDS.has(word)) this.nameBefore = { line: this.line, column: this.column(this.i) };
      } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(t[this.i + 1] ?? ''))) {
        this.token(this.i);
        while (this.i < t.length && /[0-9A-Za-z_.]/.test(t[this.i]!)) {
          const exp = /[eE]/.test(t[this.i]!) && /[+-]/.test(t[this.i + 1] ?? '');
          this.i += exp ? 2 : 1;
        }
      } else {
        const cp = t.codePointAt(this.i)!;
        const ch = String.fromCodePoint(cp);
        if (cp < 0x20 || cp === 0x7f || cp > 0x7f) {
          const hex = cp.toString(16).toUpperCase().padStart(4, '0');
          const message = PRINTABLE.test(ch) ? `invalid character '${ch}' (U+${hex})` : `invalid non-printable character U+${hex}`;
          this.problem(message, this.line, this.column(this.i), hex);
          this.i += ch.length;
          continue;
        }
        this.token(this.i);
        if ('([{'.includes(c)) this.depth++;
        else if (')]}'.includes(c)) this.depth = Math.max(0, this.depth - 1);
        this.endsWithColon = c === ':';
        this.i++;
      }
    }
    if (this.lineHasTokens) this.flush(t.length);
  }

  private newline(next: number): void {
    this.i = next;
    this.line++;
    this.lineStart = next;
    this.commentAt = -1;
  }

  /** A token other than a string starts at `at`: it ends the pending string group. */
  private token(at: number): void {
    this.flush(at);
    this.lineHasTokens = true;
    this.endsWithColon = false;
  }

  /** Indentation of a logical line's first physical line (the tokenizer's col / altcol pair). */
  private indentation(): void {
    const t = this.text;
    let col = 0;
    let alt = 0;
    let j = this.i;
    for (; j < t.length; j++) {
      const c = t[j];
      if (c === ' ') col++, alt++;
      else if (c === '\t') (col = (Math.floor(col / 8) + 1) * 8), alt++;
      else if (c === '\f') col = alt = 0;
      else break;
    }
    if (j >= t.length || t[j] === '#' || t[j] === '\n') return; // blank and comment-only lines do not count
    const here = t.slice(this.lineStart, t.indexOf('\n', j) < 0 ? t.length : t.indexOf('\n', j));
    const top = () => this.indents[this.indents.length - 1]!;
    const tab = () => this.problem('inconsistent use of tabs and spaces in indentation', this.line, undefined, here);
    if (col === top().col) {
      if (alt !== top().alt) tab();
      else if (this.prevEndsWithColon) this.problem('expected an indented block', this.line, undefined, here);
    } else if (col > top().col) {
      if (alt <= top().alt) tab();
      else if (!this.prevEndsWithColon) this.problem('unexpected indent', this.line, undefined, here);
      this.indents.push({ col, alt });
    } else {
      while (this.indents.length > 1 && col < top().col) this.indents.pop();
      if (col !== top().col) this.problem('unindent does not match any outer indentation level', this.line, undefined, here);
      else if (alt !== top().alt) tab();
      else if (this.prevEndsWithColon) this.problem('expected an indented block', this.line, undefined, here);
    }
    this.prevEndsWithColon = false;
  }

  /** Reads one string token at `this.i` (after its prefix); false when it is unterminated (scanning stops). */
  private string(prefix: string): boolean {
    const t = this.text;
    const start = this.i;
    const line = this.line;
    const column = this.column(start);
    let j = start + prefix.length;
    const q = t[j]!;
    const triple = t[j + 1] === q && t[j + 2] === q;
    const quote = triple ? q.repeat(3) : q;
    j += quote.length;
    const bodyStart = j;
    let lineStart = this.lineStart;
    let lines = 0;
    for (;;) {
      if (j >= t.length || (!triple && t[j] === '\n')) {
        const what = triple ? 'unterminated triple-quoted string literal' : 'unterminated string literal';
        this.problem(`${what} (detected at line ${line + lines})`, line, column, t.slice(start));
        return false;
      }
      if (t.startsWith(quote, j)) break;
      if (t[j] === '\\' && j + 1 < t.length) j++;
      if (t[j] === '\n') lines++, (lineStart = j + 1);
      j++;
    }
    const token: StringToken = { prefix: prefix.toLowerCase(), quote, body: t.slice(bodyStart, j), text: t.slice(start, j + quote.length), line, column };
    this.group.push(token);
    this.i = j + quote.length;
    this.line += lines;
    this.lineStart = lineStart;
    this.lineHasTokens = true;
    this.endsWithColon = false;
    return true;
  }

  /** Judges the pending group of adjacent string tokens as `_PyPegen_concatenate_strings` does. */
  private flush(nextTokenAt: number): void {
    if (this.group.length === 0) return;
    const group = this.group;
    this.group = [];
    const key = group.map((s) => s.text).join(' ');
    // Errors raised without a known location point at the token after the group, like CPython's.
    const after = { line: this.line, column: this.column(Math.min(nextTokenAt, this.text.length)) };
    const raise = (message: string) => this.problem(message, after.line, after.column, key);
    const before = this.nameBefore;
    this.nameBefore = null;
    if (this.judge(group, raise, key, after) && before) this.problem('invalid syntax', before.line, before.column, key);
  }

  /** True when the group has no error of its own. */
  private judge(group: StringToken[], raise: (message: string) => void, key: string, after: { line: number; column: number }): boolean {
    let bytesMode: boolean | undefined;
    for (const s of group) {
      const bytes = s.prefix.includes('b');
      const raw = s.prefix.includes('r');
      const fmode = s.prefix.includes('f');
      if (bytes) {
        if (/[^\x00-\x7f]/.test(s.body)) return this.problem('bytes can only contain ASCII literal characters', s.line, s.column, key), false;
        const e = raw ? null : checkBytesEscapes(s.body);
        if (e) return raise(e), false;
      } else if (!raw && !fmode) {
        const r = checkStrEscapes(s.body);
        for (const n of r.names) this.names.push({ ...n, ...after, key: `${n.name}\0${key}` });
        if (r.error) return raise(r.error), false;
      }
      if (bytesMode !== undefined && bytesMode !== bytes) return raise('cannot mix bytes and nonbytes literals'), false;
      bytesMode = bytes;
      if (fmode) {
        const r = checkFstring(s.body, raw);
        for (const n of r.names) this.names.push({ ...n, ...after, key: `${n.name}\0${key}` });
        if (r.error) return raise(r.error), false;
      }
    }
    return true;
  }
}
