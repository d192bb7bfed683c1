/**
 * Where a Python source can be cut into top-level blocks that parse on their own: offsets (UTF-16,
 * of the string) of lines where a `def`, `class`, `async def` or the first decorator of one starts
 * at column 0 (or of the comment and blank lines right above it), with the tokenizer in its fresh
 * state there: no open bracket, string or line continuation. The text from one cut to the next is
 * then a sequence of whole top-level statements, and the file's syntax tree is the trees of its
 * blocks side by side (verifiers parse only the blocks that changed).
 *
 * A lexer of strings, comments, brackets and continuations only. Where it might read the text
 * differently from tree-sitter (an unterminated string, a lone carriage return, a stray backslash,
 * a bracket closed that was never opened, an f-string whose replacement field holds its own quote
 * or a `#` or a backslash: PEP 701's nesting) it stops cutting: the rest of the file is one block.
 * Always starts with 0.
 */
export function topLevelCuts(text: string): number[] {
  const cuts = [0];
  // A lone carriage return is a line end to CPython: lexed no further (the rest is one block).
  let n = text.length;
  for (let r = text.indexOf('\r'); r >= 0; r = text.indexOf('\r', r + 1)) {
    if (text.charCodeAt(r + 1) !== 10) {
      n = r;
      break;
    }
  }
  let i = 0;
  let depth = 0;
  /** Start of the run of blank and comment-only lines before the current line, or -1. */
  let quietFrom = -1;
  let afterDecorator = false;
  const stop = (): number[] => cuts;
  // One iteration per logical line (at depth 0, outside strings, not continued).
  while (i < n) {
    const lineStart = i;
    let j = i;
    while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9 || text.charCodeAt(j) === 12)) j++;
    const c = j < n ? text.charCodeAt(j) : -1;
    if (c === -1 || c === 10 || c === 35 /* # */ || (c === 13 && text.charCodeAt(j + 1) === 10)) {
      // Blank or comment-only line: no token, no indentation of its own. An indented comment stays
      // with the block above (tree-sitter ends that block after it).
      if (c === 35 && j > lineStart) quietFrom = -1;
      else if (quietFrom < 0) quietFrom = lineStart;
      const nl = text.indexOf('\n', j);
      i = nl < 0 || nl >= n ? n : nl + 1;
      continue;
    }
    if (j === lineStart && !afterDecorator && startsDefinition(text, j)) {
      const at = quietFrom >= 0 ? quietFrom : lineStart;
      if (at > cuts[cuts.length - 1]!) cuts.push(at);
    }
    quietFrom = -1;
    afterDecorator = c === 64; /* @ */
    // Tokens to the end of the logical line.
    for (;;) {
      SPECIAL.lastIndex = j;
      j = SPECIAL.test(text) ? SPECIAL.lastIndex - 1 : n;
      if (j >= n) return cuts;
      const ch = text.charCodeAt(j);
      if (ch === 10) {
        j++;
        if (depth === 0) break;
      } else if (ch === 13) {
        j++; // CRLF (a lone CR ends the lexed part)
      } else if (ch === 35) {
        const nl = text.indexOf('\n', j);
        j = nl < 0 || nl >= n ? n : nl;
      } else if (ch === 92 /* \ */) {
        if (text.charCodeAt(j + 1) === 10) j += 2;
        else if (text.charCodeAt(j + 1) === 13 && text.charCodeAt(j + 2) === 10) j += 3;
        else return stop();
      } else if (ch === 34 || ch === 39) {
        const end = stringEnd(text, j, n, isFString(text, j));
        if (end < 0) return stop();
        j = end;
      } else if (ch === 40 || ch === 91 || ch === 123) {
        depth++;
        j++;
      } else if (ch === 41 || ch === 93 || ch === 125) {
        if (--depth < 0) return stop();
        j++;
      } else j++;
    }
    i = j;
  }
  return cuts;
}

// What a string that is not an f-string stops at.
const LINE_STOPS = /["'\\\n]/g;
const TRIPLE_STOPS = /["'\\]/g;
// What the token loop stops at; everything else is skipped in one go.
const SPECIAL = /[\n\r#\\"'()[\]{}]/g;

const isWordChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c > 127;

/** `def`, `class` or `async def` followed by a space or tab, or a decorator, at `at`. */
function startsDefinition(text: string, at: number): boolean {
  if (text.charCodeAt(at) === 64) return true;
  const word = (w: string, from: number): number => {
    if (!text.startsWith(w, from)) return -1;
    const next = text.charCodeAt(from + w.length);
    return next === 32 || next === 9 ? from + w.length : -1;
  };
  if (word('def', at) >= 0 || word('class', at) >= 0) return true;
  let k = word('async', at);
  if (k < 0) return false;
  while (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9) k++;
  return word('def', k) >= 0;
}

/** Whether the quote at `q` opens an f-string (its prefix, the word right before it, has an f). */
function isFString(text: string, q: number): boolean {
  let k = q;
  while (k > 0 && isWordChar(text.charCodeAt(k - 1))) k--;
  const prefix = text.slice(k, q);
  return prefix.length <= 2 && /^[rRbBuU]?[fF][rR]?$|^[rR][fF]$/.test(prefix);
}

/**
 * The offset after the string literal whose quote is at `q`, or -1 where this lexer and
 * tree-sitter might disagree: unterminated; in an f-string's replacement field, the string's own
 * quote, a `#` or a backslash in the expression (PEP 701 nesting, or an error), or a field left open.
 */
function stringEnd(text: string, q: number, n: number, fstring: boolean): number {
  const quote = text.charCodeAt(q);
  const triple = text.charCodeAt(q + 1) === quote && text.charCodeAt(q + 2) === quote;
  let j = q + (triple ? 3 : 1);
  // Open replacement fields: the expression's bracket depth, and whether the format spec began.
  const fields: Array<{ depth: number; spec: boolean }> = [];
  const stops = fstring ? null : triple ? TRIPLE_STOPS : LINE_STOPS;
  while (j < n) {
    if (stops) {
      stops.lastIndex = j;
      j = stops.test(text) ? stops.lastIndex - 1 : n;
      if (j >= n) break;
    }
    const c = text.charCodeAt(j);
    const field = fields[fields.length - 1];
    if (c === 10 && !triple) return -1;
    if (!field) {
      if (c === 92) {
        j += text.charCodeAt(j + 1) === 13 ? 3 : 2;
        continue;
      }
      if (c === quote) {
        if (!triple) return j + 1;
        if (text.charCodeAt(j + 1) === quote && text.charCodeAt(j + 2) === quote) return j + 3;
      } else if (fstring && (c === 123 || c === 125)) {
        if (text.charCodeAt(j + 1) === c) j++;
        else if (c === 123) fields.push({ depth: 0, spec: false });
        else return -1;
      }
      j++;
      continue;
    }
    if (c === quote || c === 92) return -1;
    if (field.spec) {
      if (c === 123) fields.push({ depth: 0, spec: false });
      else if (c === 125) fields.pop();
      j++;
      continue;
    }
    if (c === 35) return -1;
    if (c === 34 || c === 39) {
      // A string of the other quote inside the expression: to its end, on the same line.
      let k = j + 1;
      while (k < n && text.charCodeAt(k) !== c) {
        const d = text.charCodeAt(k);
        if (d === 10 || d === 92 || d === quote) return -1;
        k++;
      }
      if (k >= n) return -1;
      j = k + 1;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) field.depth++;
    else if (c === 41 || c === 93) field.depth--;
    else if (c === 125) {
      if (field.depth > 0) field.depth--;
      else fields.pop();
    } else if (c === 58 && field.depth === 0) field.spec = true;
    j++;
  }
  return -1;
}
