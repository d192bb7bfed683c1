import { isUtf8 } from 'node:buffer';
import {
  BAD_BYTE,
  checkBytesEscapes,
  checkFstring,
  checkStrEscapes,
  codecMessage,
  decodeMarked,
  pieceUtf8Error,
  rawBytes,
  utf8Error,
  type NameEscape,
  type Utf8Error,
} from './string-literals.js';

/**
 * What would stop CPython 3.11 from compiling a file that tree-sitter parses: the source's bytes
 * (encoding, coding declaration, NUL), characters the tokenizer refuses, indentation (TabError,
 * unindent, unexpected indent) and every string literal (prefixes, escapes, bytes, f-string
 * structure, bytes mixed with str). The code itself is the syntax tree's business; this is for what
 * tree-sitter lets through. The judge modelled is `compile(bytes, path, 'exec')` (as importlib and
 * the verifier's code check run it). `\N{NAME}` needs the interpreter's Unicode database: such names
 * come back in `names` for the caller to look up. A coding declaration other than UTF-8, Latin-1 or
 * ASCII (under any of CPython's spellings) is not decoded here: `ok: 'interpreter'` asks the caller
 * to have the interpreter compile the whole file.
 */
export type CompileCheck =
  | { ok: true; names: NameUse[] }
  | { ok: false; line: number | null; column?: number; message: string }
  /** A coding declaration this check does not model: the interpreter must compile the whole file. */
  | { ok: 'interpreter'; reason: string };

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
  /** Set when only the interpreter can judge the file (its codec is not modelled here): why. */
  interpreter?: string;
}

/**
 * How CPython reports a problem, which decides which of several it names: `raise` (the tokenizer
 * raises at once: invalid characters, unterminated strings, nesting, undecodable names; it wins
 * over an earlier string literal's error, raised later by the parser's action), `stop` (the
 * tokenizer stops with an error code: tabs, dedent, continuation, EOF), `literal` (a string
 * group's error), `parse` (the parser's own).
 */
type Kind = 'raise' | 'stop' | 'literal' | 'parse';

const KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if import ' +
    'in is lambda nonlocal not or pass raise return try while with yield match case').split(' '),
);
const PREFIXES = new Set(['', 'r', 'u', 'f', 'b', 'br', 'rb', 'fr', 'rf']);
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
const ID_CHAR = /[\p{ID_Continue}\u2118\u212E\u309B\u309C\u00B7\u0387\u1369-\u1371\u19DA]/u;
const PRINTABLE = /^[^\p{C}\p{Z}]$|^ $/u;
/** MAXLEVEL of Parser/tokenizer.h: the 201st open bracket is "too many nested parentheses". */
const MAX_DEPTH = 200;

/**
 * Checks a changed file against its original: a problem counts only when the original does not
 * have it too (a file that never compiled does not fail for what it already had), and names are
 * reported only from literals the original does not have.
 */
export function checkCompiles(source: Buffer, original?: Buffer): CompileCheck {
  const after = scanSource(source);
  const before: CompileScan = original ? scanSource(original) : { problems: [], names: [] };
  return compareScans(after, before);
}

/** The scans of a file's pieces (top-level blocks) as one scan of the file. */
export function mergeScans(scans: readonly CompileScan[]): CompileScan {
  return { problems: scans.flatMap((s) => s.problems), names: scans.flatMap((s) => s.names) };
}

/** `checkCompiles` of two scans: the after's problems and names that the before does not have too. */
export function compareScans(after: CompileScan, before: CompileScan): CompileCheck {
  // One codec we cannot model, before or after: the interpreter compiles the file (and its original).
  const interpreter = after.interpreter ?? before.interpreter;
  if (interpreter) return { ok: 'interpreter', reason: after.interpreter ? interpreter : `the original's ${interpreter}` };
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

/**
 * Whether `scanText` of the decoded text is all `scanSource` would do with these bytes: UTF-8
 * (valid, so nothing is marked) without a BOM, a NUL byte or a coding declaration but `utf-8`.
 * Such a file can be scanned in pieces cut at line starts where the tokenizer is fresh.
 */
export function plainUtf8(bytes: Buffer): boolean {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return false;
  const declared = codingDeclaration(bytes);
  return (declared === undefined || declared === 'utf-8') && bytes.indexOf(0) < 0 && isUtf8(bytes);
}

/**
 * The scan of a piece of a `plainUtf8` file's text that starts at a line start in the tokenizer's
 * fresh state (no open bracket or string, indentation 0), its lines numbered from `row` + 1.
 */
export function scanText(text: string, row = 0): CompileScan {
  const scan = new Scanner(text.replace(/\r\n?/g, '\n'), row);
  scan.run();
  return { problems: scan.ordered(), names: scan.names };
}

/**
 * The coding declaration of the first two lines as CPython's tokenizer reads it for `compile()` of
 * bytes (`get_coding_spec`, then `get_normal_name`: "utf-8" or "iso-8859-1" for their spellings,
 * else the name as written), or undefined when there is none.
 */
export function codingDeclaration(bytes: Buffer): string | undefined {
  const lines = bytes.subarray(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0, 400).toString('latin1').split(/\r\n|\r|\n/).slice(0, 2);
  for (const line of lines) {
    const m = COOKIE.exec(line);
    if (m?.[1]) return normalName(m[1]);
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break;
  }
  return undefined;
}

/** `get_normal_name` of Parser/tokenizer.c: looks at the first 12 characters only. */
function normalName(s: string): string {
  const buf = s.slice(0, 12).replace(/_/g, '-').toLowerCase();
  if (buf === 'utf-8' || buf.startsWith('utf-8-')) return 'utf-8';
  if (['latin-1', 'iso-8859-1', 'iso-latin-1'].includes(buf) || /^(latin-1-|iso-8859-1-|iso-latin-1-)/.test(buf)) return 'iso-8859-1';
  return s;
}

// CPython 3.11's encodings.aliases entries for the three codecs decoded here (the module names
// utf_8, latin_1 and ascii themselves are found without an alias).
const ALIASES: Record<string, 'utf_8' | 'latin_1' | 'ascii'> = Object.fromEntries([
  ...['cp65001', 'u8', 'utf', 'utf8', 'utf8_ucs2', 'utf8_ucs4'].map((a) => [a, 'utf_8']),
  ...['8859', 'cp819', 'csisolatin1', 'ibm819', 'iso8859', 'iso8859_1', 'iso_8859_1', 'iso_8859_1_1987', 'iso_ir_100', 'l1', 'latin', 'latin1'].map((a) => [a, 'latin_1']),
  ...['646', 'ansi_x3.4_1968', 'ansi_x3.4_1986', 'ansi_x3_4_1968', 'cp367', 'csascii', 'ibm367', 'iso646_us', 'iso_646.irv_1991', 'iso_ir_6', 'us', 'us_ascii'].map((a) => [a, 'ascii']),
]);

/**
 * How CPython decodes a file with this declaration: `tokenizer` (the tokenizer's own UTF-8, which
 * decodes tokens one by one and never looks inside comments), or the whole buffer up front through
 * the codec `codecs.lookup` finds (`_Py_normalize_encoding`, then `encodings.search_function`:
 * lowercase, runs of characters other than letters, digits and `.` become one `_`, alias, module).
 * Null: a codec not modelled here, which only the interpreter can judge.
 */
export function cpythonDecoding(declared: string | undefined): 'tokenizer' | 'latin_1' | 'utf_8' | 'ascii' | null {
  if (declared === undefined || declared === 'utf-8') return 'tokenizer';
  if (declared === 'iso-8859-1') return 'latin_1';
  const n = declared.toLowerCase().split(/[^a-z0-9.]+/).filter(Boolean).join('_');
  const mod = ALIASES[n] ?? ALIASES[n.replace(/\./g, '_')] ?? n;
  return mod === 'utf_8' || mod === 'latin_1' || mod === 'ascii' ? mod : null;
}

/** Every problem of one source file (bytes as on disk), as `compile(bytes, path, 'exec')` sees them. */
export function scanSource(bytes: Buffer): CompileScan {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const declared = codingDeclaration(bytes);
  const problems: CompileProblem[] = [];
  const fatal = (message: string, line: number | null = null): CompileScan => ({ problems: [...problems, { line, message, key: message }], names: [] });
  // compile() refuses NUL bytes before it decodes anything (ValueError in 3.11).
  const nul = bytes.indexOf(0);
  if (nul >= 0) problems.push({ line: countLines(bytes, nul), message: 'source code string cannot contain null bytes', key: 'nul' });
  if (bom && declared && declared !== 'utf-8') return fatal(`encoding problem: ${declared} with BOM`, 1);
  const decoding = cpythonDecoding(declared);
  if (decoding === null) {
    return { problems: [], names: [], interpreter: `coding declaration '${declared}': only the interpreter's codec can decode the file` };
  }
  const body = bom ? bytes.subarray(3) : bytes;
  let text: string;
  if (decoding === 'tokenizer') {
    // Undecodable bytes become lone surrogates: harmless in comments, errors in tokens (as in CPython).
    text = decodeMarked(body);
  } else if (decoding === 'latin_1') {
    text = body.toString('latin1');
  } else {
    // The whole buffer, newlines translated and a final one added (translate_newlines), at once.
    const buffer = translateNewlines(body);
    const e = decoding === 'utf_8' ? utf8Error(buffer) : asciiError(buffer);
    if (e) return fatal(codecMessage(decoding === 'utf_8' ? 'utf-8' : 'ascii', buffer, e), countLines(buffer, e.start));
    text = buffer.toString(decoding === 'utf_8' ? 'utf8' : 'latin1');
  }
  const scan = new Scanner(text.replace(/\r\n?/g, '\n'));
  scan.run();
  return { problems: [...problems, ...scan.ordered()], names: scan.names };
}

function translateNewlines(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length + 1);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0d) {
      out[n++] = 0x0a;
      if (b[i + 1] === 0x0a) i++;
    } else out[n++] = b[i]!;
  }
  if (n === 0 || out[n - 1] !== 0x0a) out[n++] = 0x0a;
  return out.subarray(0, n);
}

function asciiError(b: Buffer): Utf8Error | null {
  const i = b.findIndex((c) => c > 0x7f);
  return i < 0 ? null : { start: i, end: i + 1, reason: 'ordinal not in range(128)' };
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
  readonly problems: Array<CompileProblem & { kind: Kind }> = [];
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

  /** `lineBase`: lines of the file above the text (a piece of a file is numbered as in the file). */
  constructor(private readonly text: string, lineBase = 0) {
    this.line = 1 + lineBase;
  }

  /** Where the last column() counted to, on which line, and the column there: counting goes on from it. */
  private colLine = -1;
  /** The line start of the last 'too many nested parentheses' recorded. */
  private nestedLine = -1;
  /** The line start of the last invalid character recorded. */
  private invalidLine = -1;
  /** The end of the last name-like run undecodableName() found decodable. */
  private cleanRunStart = -1;
  private cleanRunEnd = -1;
  private colAt = 0;
  private colValue = 1;

  /** The 1-based column (in code points, as CPython counts) of an offset on the current line. */
  private column(at: number): number {
    // Columns asked for on one line mostly move forward: counted on from the last one (a line of
    // 100,000 problems would cost 100,000 scans of the line otherwise).
    if (this.colLine !== this.lineStart || at < this.colAt) {
      this.colLine = this.lineStart;
      this.colAt = this.lineStart;
      this.colValue = 1;
    }
    const t = this.text;
    let i = this.colAt;
    let col = this.colValue;
    while (i < at) {
      const c = t.charCodeAt(i);
      // A surrogate pair is one code point, unless at falls between its halves.
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < at && (t.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      col++;
    }
    this.colAt = i;
    this.colValue = col;
    return col;
  }

  private problem(message: string, line: number | null, column: number | undefined, key: string, kind: Kind = 'parse'): void {
    this.problems.push({ line, ...(column !== undefined && { column }), message, key: `${message}\0${key}`, kind });
  }

  /**
   * The problems in the order CPython would name them: scan order, except that the first error the
   * tokenizer raises (if no stopping error comes before it) moves ahead of the string literal
   * errors before it. Later problems stay listed so that a file is compared with its original on all.
   */
  ordered(): CompileProblem[] {
    const list = [...this.problems];
    const t = list.findIndex((p) => p.kind === 'raise' || p.kind === 'stop');
    if (t > 0 && list[t]!.kind === 'raise') {
      const lit = list.findIndex((p, k) => k < t && p.kind === 'literal');
      if (lit >= 0) list.splice(lit, 0, ...list.splice(t, 1));
    }
    return list.map(({ kind: _, ...p }) => p);
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
        if (this.i + 1 >= t.length || (t[this.i + 1] === '\n' && this.i + 2 >= t.length)) {
          // A continuation with nothing after it (compile() adds the last newline if missing).
          this.problem('unexpected EOF while parsing', this.line, this.column(this.i) + 1, t.slice(this.lineStart), 'stop');
          this.i = t.length;
        } else if (t[this.i + 1] === '\n') {
          this.newline(this.i + 2); // a continuation line: no indentation of its own
        } else {
          this.problem('unexpected character after line continuation character', this.line, this.column(this.i + 1), t.slice(this.lineStart, this.i + 2), 'stop');
          this.i++;
        }
      } else if (c === '"' || c === "'") {
        if (!this.string('')) return;
      } else if ((/[A-Za-z_]/.test(c) || c > '\x7f') && this.undecodableName()) {
        continue;
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
          // CPython stops at the first: one per line is kept (100,000 of them cost minutes later on).
          if (this.invalidLine !== this.lineStart) {
            this.invalidLine = this.lineStart;
            this.problem(message, this.line, this.column(this.i), hex, 'raise');
          }
          this.i += ch.length;
          continue;
        }
        this.token(this.i);
        // CPython stops at the first: later ones on the line are not recorded (each would copy the line).
        if ('([{'.includes(c) && this.depth >= MAX_DEPTH && this.nestedLine !== this.lineStart) {
          this.nestedLine = this.lineStart;
          this.problem('too many nested parentheses', this.line, this.column(this.i), t.slice(this.lineStart, this.i + 1), 'raise');
        }
        if ('([{'.includes(c)) this.depth++;
        else if (')]}'.includes(c)) this.depth = Math.max(0, this.depth - 1);
        this.endsWithColon = c === ':';
        this.i++;
      }
    }
    if (this.lineHasTokens) this.flush(t.length);
  }

  /**
   * The tokenizer reads a name as the longest run of ASCII letters, digits, `_` and non-ASCII bytes,
   * then decodes it: with an undecodable byte in it, that fails (consumed; true).
   */
  private undecodableName(): boolean {
    // Inside a run already read and found decodable, every run starting further on ends where it
    // ended and is decodable too (without this, 100,000 non-ASCII characters took minutes).
    if (this.cleanRunStart <= this.i && this.i < this.cleanRunEnd) return false;
    const t = this.text;
    let j = this.i;
    while (j < t.length && (/[A-Za-z0-9_]/.test(t[j]!) || t[j]! > '\x7f')) j++;
    const name = t.slice(this.i, j);
    if (!BAD_BYTE.test(name)) {
      this.cleanRunStart = this.i;
      this.cleanRunEnd = j;
      return false;
    }
    const b = rawBytes(name);
    this.problem(`(unicode error) ${codecMessage('utf-8', b, utf8Error(b)!)}`, this.line, this.column(this.i), name, 'raise');
    this.token(this.i);
    this.i = j;
    return true;
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
    const tab = () => this.problem('inconsistent use of tabs and spaces in indentation', this.line, undefined, here, 'stop');
    if (col === top().col) {
      if (alt !== top().alt) tab();
      else if (this.prevEndsWithColon) this.problem('expected an indented block', this.line, undefined, here);
    } else if (col > top().col) {
      if (alt <= top().alt) tab();
      else if (!this.prevEndsWithColon) this.problem('unexpected indent', this.line, undefined, here);
      this.indents.push({ col, alt });
    } else {
      while (this.indents.length > 1 && col < top().col) this.indents.pop();
      if (col !== top().col) this.problem('unindent does not match any outer indentation level', this.line, undefined, here, 'stop');
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
        this.problem(`${what} (detected at line ${line + lines})`, line, column, t.slice(start), 'raise');
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
    const raise = (message: string) => this.problem(message, after.line, after.column, key, 'literal');
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
        if (/[^\x00-\x7f]/.test(s.body)) return this.problem('bytes can only contain ASCII literal characters', s.line, s.column, key, 'literal'), false;
        const e = raw ? null : checkBytesEscapes(s.body);
        if (e) return raise(e), false;
      } else if (!fmode) {
        // Undecodable bytes fail before any escape is looked at (a raw piece, or one without a backslash, decodes at once).
        const e = pieceUtf8Error(s.body, !raw && s.body.includes('\\'));
        if (e) return raise(e), false;
      }
      if (!bytes && !raw && !fmode) {
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
