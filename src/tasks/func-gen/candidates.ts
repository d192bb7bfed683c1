import { z } from 'zod';
import type { DefinitionKind } from '../../analysis/types.js';
import type { PyNode } from '../../analysis/python/parser.js';
import { parseOptions } from '../../options.js';
import { isTestFile } from '../test-files.js';
import { functionBodies, type FunctionBody } from './body.js';

export const FuncGenCandidateOptionsSchema = z.object({
  /** Fewest lines of code in the body (docstring, blank and comment-only lines not counted). @default 2 */
  minLines: z.number().int().min(1).default(2),
  /** Most lines of code in the body: longer ones make prompts and answers that few agents finish. @default 60 */
  maxLines: z.number().int().min(1).default(60),
  /** Take definitions in test files (tests/, test_*.py, *_test.py, conftest.py) and `test*` functions / `Test*` classes. @default false */
  includeTests: z.boolean().default(false),
});
export type FuncGenCandidateOptions = z.input<typeof FuncGenCandidateOptionsSchema>;

/** Why a function is not a func-gen target. */
export type CandidateRejection =
  | 'syntax-errors'
  | 'test'
  | 'locals'
  | 'docstring-only'
  | 'empty'
  | 'returns-constant'
  | 'returns-parameter'
  | 'returns-attribute'
  | 'not-implemented'
  | 'too-short'
  | 'too-long';

export interface CandidateVerdict {
  qualname: string;
  name: string;
  occurrence: number;
  kind: Exclude<DefinitionKind, 'class'>;
  line: number;
  endLine: number;
  /** Lines of the body holding code (0 for a docstring-only body). */
  codeLines: number;
  ok: boolean;
  reason?: CandidateRejection;
}

/**
 * Every function and method of one file with its verdict, in source order: not in tests, not
 * nested in a function (`<locals>`), a body of `minLines`..`maxLines` lines of code that is not
 * trivial (see {@link trivialBody}). The test map decides later which of these any test exercises.
 */
export function funcGenCandidates(source: string, file: string, options: FuncGenCandidateOptions = {}): CandidateVerdict[] {
  const o = parseOptions(FuncGenCandidateOptionsSchema, options, 'func-gen candidate options');
  const parsed = functionBodies(source, file);
  const inTestFile = isTestFile(file);
  return parsed.functions.map((fn) => {
    const d = fn.definition;
    const codeLines = countCodeLines(fn.statements);
    const verdict: CandidateVerdict = {
      qualname: d.qualname, name: d.name, occurrence: fn.occurrence, kind: d.kind as 'function' | 'method',
      line: d.line, endLine: d.endLine, codeLines, ok: false,
    };
    const reason: CandidateRejection | null = parsed.hasErrors
      ? 'syntax-errors'
      : !o.includeTests && (inTestFile || isTestName(d.qualname))
        ? 'test'
        : d.qualname.includes('<locals>')
          ? 'locals'
          : !fn.region
            ? 'docstring-only'
            : (trivialBody(fn, source) ?? (codeLines < o.minLines ? 'too-short' : codeLines > o.maxLines ? 'too-long' : null));
    return reason ? { ...verdict, reason } : { ...verdict, ok: true };
  });
}

/** pytest's default names for tests: `test*` functions and methods of `Test*` classes. */
function isTestName(qualname: string): boolean {
  const parts = qualname.split('.');
  return /^test/.test(parts[parts.length - 1]!) || parts.slice(0, -1).some((p) => /^Test/.test(p));
}

/**
 * Why a body is trivial, or null. Trivial (docstring aside, `pass` and `...` ignored): nothing at
 * all; a lone `return` of nothing, of a constant (literals, `None`, `NotImplemented`, containers of
 * constants) or of a parameter; a lone `return` of a parameter's attribute (`return self.x`: a
 * property getter, or a plain one); only `raise NotImplementedError` (called or not).
 */
export function trivialBody(fn: Pick<FunctionBody, 'statements' | 'definition'>, text: string): CandidateRejection | null {
  const identifierName = (n: PyNode): string => text.slice(n.start, n.end);
  const stmts = fn.statements.filter((s) => !isFiller(s));
  if (stmts.length === 0) return 'empty';
  if (stmts.length > 1) return null;
  const s = stmts[0]!;
  const params = new Set(fn.definition.parameters.map((p) => p.name));
  if (s.type === 'return_statement') {
    const value = named(s)[0];
    if (!value || isConstant(value, text)) return 'returns-constant';
    if (value.type === 'identifier' && params.has(identifierName(value))) return 'returns-parameter';
    if (value.type === 'attribute' && params.has(rootName(value, text) ?? '')) return 'returns-attribute';
    return null;
  }
  if (s.type === 'raise_statement') {
    const value = named(s)[0];
    const callee = value?.type === 'call' ? named(value)[0] : value;
    if (callee?.type === 'identifier' && /^NotImplemented(Error)?$/.test(identifierName(callee))) return 'not-implemented';
  }
  return null;
}

/** `pass`, `...` and bare string statements do nothing. */
function isFiller(s: PyNode): boolean {
  if (s.type === 'pass_statement') return true;
  if (s.type !== 'expression_statement') return false;
  const e = named(s);
  return e.length === 1 && (e[0]!.type === 'ellipsis' || e[0]!.type === 'string' || e[0]!.type === 'concatenated_string');
}

const LITERALS = new Set(['integer', 'float', 'true', 'false', 'none', 'ellipsis']);
const CONTAINERS = new Set(['tuple', 'list', 'set', 'dictionary', 'pair', 'parenthesized_expression', 'unary_operator', 'concatenated_string']);

function isConstant(n: PyNode, text: string): boolean {
  if (LITERALS.has(n.type)) return true;
  if (n.type === 'identifier') return text.slice(n.start, n.end) === 'NotImplemented';
  if (n.type === 'string') return !n.children.some((c) => c.type === 'interpolation');
  if (CONTAINERS.has(n.type)) return named(n).every((c) => isConstant(c, text));
  return false;
}

function named(n: PyNode): PyNode[] {
  return n.children.filter((c) => c.named && c.type !== 'comment');
}

function rootName(n: PyNode, text: string): string | undefined {
  let cur: PyNode | undefined = n;
  while (cur?.type === 'attribute') cur = cur.children.find((c) => c.field === 'object');
  return cur?.type === 'identifier' ? text.slice(cur.start, cur.end) : undefined;
}

/** Lines spanned by the body's code tokens (multi-line strings count every line they cover). */
function countCodeLines(stmts: readonly PyNode[]): number {
  const rows = new Set<number>();
  const stack = [...stmts];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.type === 'comment') continue;
    if (n.children.length === 0) for (let r = n.row; r <= n.endRow; r++) rows.add(r);
    else stack.push(...n.children);
  }
  return rows.size;
}
