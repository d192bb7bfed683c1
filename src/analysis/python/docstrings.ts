import type { Docstring } from '../types.js';
import { endLineOf, type PyNode } from './parser.js';
import type { ByteOffsets } from './byte-offsets.js';

/** The first statement of a block, skipping comments (tree-sitter keeps them as children). */
export function statements(block: PyNode): PyNode[] {
  return block.children.filter((c) => c.named && c.type !== 'comment');
}

/** Unwraps `("doc")`: parentheses do not change the constant, so CPython still takes it as the docstring. */
function unparenthesize(node: PyNode): PyNode {
  let n = node;
  while (n.type === 'parenthesized_expression') {
    const inner = n.children.filter((c) => c.named && c.type !== 'comment');
    if (inner.length !== 1 || !inner[0]) return n;
    n = inner[0];
  }
  return n;
}

interface StringParts {
  prefix: string;
  quote: string;
  body: string;
}

/** Splits a single string literal into prefix, quote and body; null for bytes and f-strings. */
function splitLiteral(literal: string): StringParts | null {
  const m = /^([A-Za-z]*)("""|'''|"|')/.exec(literal);
  if (!m) return null;
  const prefix = m[1] ?? '';
  const quote = m[2] ?? '"';
  // Only str constants are docstrings: bytes (b) and f-strings (f) are not.
  if (/[bBfF]/.test(prefix)) return null;
  if (!literal.endsWith(quote) || literal.length < prefix.length + quote.length * 2) return null;
  return { prefix, quote, body: literal.slice(prefix.length + quote.length, literal.length - quote.length) };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** Decodes Python escape sequences of a non-raw str literal body. */
export function decodeEscapes(body: string): string {
  return body.replace(
    /\\(\r\n|\n|\r|[\\'"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g,
    (all, esc: string) => {
      if (esc === '\n' || esc === '\r\n' || esc === '\r') return '';
      const simple = SIMPLE_ESCAPES[esc];
      if (simple !== undefined) return simple;
      if (/^[0-7]/.test(esc)) return String.fromCodePoint(parseInt(esc, 8));
      const cp = parseInt(esc.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    },
  );
}

function expandTabs(line: string, size = 8): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(size - (out.length % size)) : ch;
  return out;
}

/** `inspect.cleandoc`: strips the common indentation of lines after the first and blank edge lines. */
export function cleandoc(doc: string): string {
  const lines = doc.split('\n').map((l) => expandTabs(l));
  let margin = Infinity;
  for (const line of lines.slice(1)) {
    const content = line.trimStart().length;
    if (content) margin = Math.min(margin, line.length - content);
  }
  if (lines.length) lines[0] = (lines[0] ?? '').trimStart();
  if (margin < Infinity) for (let i = 1; i < lines.length; i++) lines[i] = (lines[i] ?? '').slice(margin);
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  while (lines.length && !lines[0]) lines.shift();
  return lines.join('\n');
}

/** The docstring statement of a body block (the first statement when it is a str literal), if any. */
export function docstringStatement(block: PyNode | undefined, text?: string): { statement: PyNode; literal: PyNode } | null {
  if (!block) return null;
  const first = statements(block)[0];
  if (!first || first.type !== 'expression_statement') return null;
  const exprs = first.children.filter((c) => c.named && c.type !== 'comment');
  if (exprs.length !== 1 || !exprs[0]) return null;
  const literal = unparenthesize(exprs[0]);
  if (literal.type !== 'string' && literal.type !== 'concatenated_string') return null;
  // With the text: an f-string or bytes (any part of a concatenation) is code to CPython, not a docstring.
  if (text !== undefined) {
    const parts = literal.type === 'string' ? [literal] : literal.children.filter((c) => c.type === 'string');
    if (parts.some((p) => splitLiteral(text.slice(p.start, p.end)) === null)) return null;
  }
  return { statement: first, literal };
}

/** Builds the docstring record of a body block, or null when the body has none. */
export function extractDocstring(block: PyNode | undefined, text: string, bytes: ByteOffsets): Docstring | null {
  const found = docstringStatement(block);
  if (!found) return null;
  const { literal } = found;
  const parts = literal.type === 'string' ? [literal] : literal.children.filter((c) => c.type === 'string');
  let value = '';
  let first: StringParts | null = null;
  for (const part of parts) {
    const split = splitLiteral(text.slice(part.start, part.end));
    if (!split) return null;
    first ??= split;
    const body = split.body.replace(/\r\n?/g, '\n');
    value += /[rR]/.test(split.prefix) ? body : decodeEscapes(body);
  }
  if (!first) return null;
  return {
    line: literal.row + 1,
    endLine: endLineOf(literal, text),
    literal: text.slice(literal.start, literal.end),
    value,
    cleaned: cleandoc(value),
    startIndex: literal.start,
    endIndex: literal.end,
    startByte: bytes.at(literal.start),
    endByte: bytes.at(literal.end),
    quote: first.quote,
    prefix: first.prefix,
    concatenated: literal.type === 'concatenated_string',
  };
}
