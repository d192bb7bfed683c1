/**
 * How many definitions of a Python text seem to have a docstring, read line by line without
 * parsing: a `def` or `class` at the start of a line whose body begins with a string literal. An
 * estimate (nested functions, short docstrings and definitions inside strings count too; a
 * definition after a line continuation does not): it only decides how many places a file takes in
 * the generator's seeded order, never which definitions are targets.
 */
export function estimateCandidates(text: string): number {
  let n = 0;
  const header = /^[ \t\f]*(?:async[ \t\f]+)?(?:def|class)[ \t\f]/gm;
  for (let m = header.exec(text); m; m = header.exec(text)) {
    const colon = headerColon(text, header.lastIndex);
    if (colon < 0) continue;
    if (startsWithString(text, bodyStart(text, colon + 1))) n++;
    header.lastIndex = colon + 1;
  }
  return n;
}

const QUOTE = new Set([0x22, 0x27]);
const PREFIX = /[rRuU]/;

/** The offset of the colon that ends a definition's header, or -1 when the line ends first. */
function headerColon(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x29 || c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x3a && depth <= 0) return i;
    else if (c === 0x23) i = lineEnd(text, i) - 1;
    else if (QUOTE.has(c)) i = stringEnd(text, i) - 1;
    else if (c === 0x0a && depth <= 0 && !continued(text, i)) return -1;
  }
  return -1;
}

/** Whether the line ending at the newline `nl` ends in a backslash (the line continues). */
function continued(text: string, nl: number): boolean {
  const before = text.charCodeAt(nl - 1) === 0x0d ? nl - 2 : nl - 1;
  return text.charCodeAt(before) === 0x5c;
}

/** Where the body after a header's colon begins: on the same line, or the next line with code. */
function bodyStart(text: string, from: number): number {
  let i = skipBlanks(text, from);
  if (i < text.length && !restIsBlank(text, i)) return i;
  for (;;) {
    i = lineEnd(text, i) + 1;
    if (i >= text.length) return text.length;
    i = skipBlanks(text, i);
    if (!restIsBlank(text, i)) return i;
  }
}

/** Whether the line holds nothing from `i` on: its end, a comment, or a lone backslash (the line continues). */
function restIsBlank(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 0x0a || c === 0x0d || c === 0x23) return true;
  if (c !== 0x5c) return false;
  const next = text.charCodeAt(i + 1);
  return next === 0x0a || (next === 0x0d && text.charCodeAt(i + 2) === 0x0a);
}

function startsWithString(text: string, i: number): boolean {
  let j = i;
  while (j < i + 2 && PREFIX.test(text[j] ?? '')) j++;
  return QUOTE.has(text.charCodeAt(j));
}

function skipBlanks(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09 || text.charCodeAt(i) === 0x0c)) i++;
  return i;
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

/** The offset just past the string literal whose opening quote is at `i` (the line's end for an unclosed one-line string). */
function stringEnd(text: string, i: number): number {
  const q = text[i]!;
  const triple = text.startsWith(q + q + q, i);
  const close = triple ? q + q + q : q;
  for (let j = i + close.length; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (!triple && c === '\n') return j;
    else if (text.startsWith(close, j)) return j + close.length;
  }
  return text.length;
}
