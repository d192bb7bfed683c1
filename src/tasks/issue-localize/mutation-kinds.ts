import { statements } from '../../analysis/python/docstrings.js';
import { child, type PyNode } from '../../analysis/python/parser.js';
import { codeEnd } from '../func-gen/body.js';
import type { MutationKind } from './schema.js';

/**
 * One candidate change of the original text: `[start, end)` becomes `text`. A removal covers whole
 * lines (from a line start to the start of the line after the region, or the end of the file).
 */
export interface Edit {
  kind: MutationKind;
  start: number;
  end: number;
  text: string;
  /** For a removal, the offset where its first removed line starts (after `start` at the end of a file without a final newline). */
  removal: { firstLine: number } | null;
}

/** Nodes whose insides are not the function's own code (nested scopes) or are data (strings, annotations). */
const OPAQUE = new Set([
  'function_definition', 'class_definition', 'decorated_definition', 'lambda',
  'string', 'concatenated_string', 'type', 'comment',
]);

const FLIP: Record<string, string> = {
  '<': '>=', '>=': '<', '<=': '>', '>': '<=', '==': '!=', '!=': '==',
  in: 'not in', 'not in': 'in', is: 'is not', 'is not': 'is',
};
const BOUNDARY: Record<string, string> = { '<': '<=', '<=': '<', '>': '>=', '>=': '>' };

/** Simple statements drop-statement may delete (assignments are expression statements in tree-sitter). */
const DROPPABLE = new Set(['expression_statement', 'raise_statement', 'delete_statement']);

/**
 * Every candidate edit inside a function's own body `block`, skipping its docstring statement.
 * Unchecked: the caller splices, re-parses and keeps those that parse and change the code.
 */
export function bodyEdits(text: string, block: PyNode, docstring: PyNode | null): Edit[] {
  const out: Edit[] = [];
  const lines = new LineText(text);
  const stack: PyNode[] = [block];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n === docstring || OPAQUE.has(n.type)) continue;
    visit(n, text, lines, out);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

function visit(n: PyNode, text: string, lines: LineText, out: Edit[]): void {
  const src = (x: PyNode): string => text.slice(x.start, x.end);
  const replace = (kind: MutationKind, x: { start: number; end: number }, to: string): void => {
    out.push({ kind, start: x.start, end: x.end, text: to, removal: null });
  };
  const remove = (kind: MutationKind, x: PyNode): void => {
    const region = lines.wholeLines(x);
    if (region) out.push({ kind, start: region.start, end: region.end, text: '', removal: { firstLine: region.firstLine } });
  };
  switch (n.type) {
    case 'comparison_operator':
      for (const op of n.children.filter((c) => c.field === 'operators')) {
        const key = src(op).split(/\s+/).join(' ');
        const flipped = FLIP[key];
        if (flipped) replace('flip-comparison', op, flipped);
        const bound = BOUNDARY[key];
        if (bound) replace('off-by-one', op, bound);
      }
      break;
    case 'boolean_operator': {
      const op = child(n, 'operator');
      if (op && (op.type === 'and' || op.type === 'or')) replace('flip-boolean', op, op.type === 'and' ? 'or' : 'and');
      break;
    }
    case 'not_operator': {
      const arg = child(n, 'argument');
      if (arg) replace('flip-boolean', n, src(arg));
      break;
    }
    case 'true':
    case 'false':
      // `return True` is change-return's.
      if (n.parent?.type !== 'return_statement') replace('flip-boolean', n, n.type === 'true' ? 'False' : 'True');
      break;
    case 'integer':
      for (const delta of [1n, -1n]) {
        const shifted = shiftInteger(src(n), delta);
        if (shifted !== null) replace('off-by-one', n, shifted);
      }
      break;
    case 'return_statement': {
      const value = n.children.find((c) => c.named && c.type !== 'comment');
      if (!value || value.type === 'none') break;
      replace('change-return', value, value.type === 'true' ? 'False' : value.type === 'false' ? 'True' : 'None');
      break;
    }
    case 'call': {
      const args = child(n, 'arguments');
      if (args?.type !== 'argument_list') break;
      const positional = args.children.filter(
        (c) => c.named && !['comment', 'keyword_argument', 'list_splat', 'dictionary_splat', 'parenthesized_list_splat'].includes(c.type),
      );
      const [a, b] = positional;
      if (!a || !b || positional.length < 2 || src(a) === src(b)) break;
      replace('swap-args', { start: a.start, end: b.end }, src(b) + text.slice(a.end, b.start) + src(a));
      break;
    }
    case 'if_statement': {
      const alternatives = n.children.filter((c) => c.field === 'alternative');
      for (const alt of alternatives) remove('remove-branch', alt);
      if (alternatives.length === 0 && n.parent?.type === 'block' && blockStatements(n.parent).length > 1) remove('remove-branch', n);
      break;
    }
    case 'block': {
      const stmts = blockStatements(n);
      if (stmts.length < 2) break;
      for (const s of stmts) if (DROPPABLE.has(s.type) && !inert(s)) remove('drop-statement', s);
      break;
    }
  }
}

/** A block's statements (the docstring included; comments and line continuations are not statements). */
function blockStatements(block: PyNode): PyNode[] {
  return statements(block).filter((s) => s.type !== 'line_continuation');
}

/** A statement that does nothing: a bare string (a comment in disguise), `...`, or an annotation without a value. */
function inert(s: PyNode): boolean {
  const inner = s.children.filter((c) => c.named && c.type !== 'comment');
  if (s.type !== 'expression_statement' || inner.length !== 1) return false;
  const e = inner[0]!;
  return ['string', 'concatenated_string', 'ellipsis'].includes(e.type) || (e.type === 'assignment' && !child(e, 'right'));
}

/** `n ± 1` written in the literal's base; null for complex (`1j`) and Python 2 long (`1L`) literals or below 0. */
export function shiftInteger(literal: string, delta: bigint): string | null {
  const clean = literal.replace(/_/g, '');
  const m = /^0([xXoObB])([0-9a-fA-F]+)$/.exec(clean);
  if (!m && !/^[0-9]+$/.test(clean)) return null;
  let value: bigint;
  try {
    value = m ? BigInt(`0${m[1]!.toLowerCase()}${m[2]}`) : BigInt(clean);
  } catch {
    return null;
  }
  const next = value + delta;
  if (next < 0n) return null;
  if (!m) return next.toString(10);
  const prefix = m[1]!;
  const base = { x: 16, o: 8, b: 2 }[prefix.toLowerCase() as 'x' | 'o' | 'b'];
  const digits = next.toString(base);
  return `0${prefix}${/[A-F]/.test(m[2]!) ? digits.toUpperCase() : digits}`;
}

/** Line geometry of the original text (rows split on `\n`, as the parser counts them). */
class LineText {
  constructor(private readonly text: string) {}

  /**
   * The whole lines of a statement or clause, when nothing else shares them: only indentation
   * before it, only a comment after its code. Null otherwise (`a; b`, `if x: y`).
   */
  wholeLines(node: PyNode): { start: number; end: number; firstLine: number } | null {
    const { text } = this;
    const start = text.lastIndexOf('\n', node.start - 1) + 1;
    if (text.slice(start, node.start).trim() !== '') return null;
    // After a backslash the line continues the one above: it is not a line of its own.
    if (/\\\r?\n$/.test(text.slice(Math.max(0, start - 3), start))) return null;
    const last = codeEnd(node);
    const nl = text.indexOf('\n', last);
    const lineEnd = nl < 0 ? text.length : nl;
    const after = text.slice(last, lineEnd).trim();
    if (after !== '' && !after.startsWith('#')) return null;
    if (nl >= 0) return { start, end: nl + 1, firstLine: start };
    // The file's last line has no newline to remove: the line above gives up its own, so the file still ends without one.
    const above = text[start - 2] === '\r' ? start - 2 : start - 1;
    return { start: above, end: text.length, firstLine: start };
  }
}
