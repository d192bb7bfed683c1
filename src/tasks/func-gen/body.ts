import { extractDefinitions } from '../../analysis/python/definitions.js';
import { statements } from '../../analysis/python/docstrings.js';
import { child, parsePython, type PyNode } from '../../analysis/python/parser.js';
import type { Definition } from '../../analysis/types.js';

/** The statement a masked body becomes (DESIGN.md, func-gen). */
export const FUNC_GEN_PLACEHOLDER = 'pass  # TODO: Implement this function';

/** Where a function's body sits in its file: what masking replaces and the triviality filter reads. */
export interface FunctionBody {
  definition: Definition;
  /** Index among the file's definitions with the same qualname (redefinitions, overloads). */
  occurrence: number;
  /** The `function_definition` node. */
  node: PyNode;
  /** The body's statements after the docstring (empty for a docstring-only body). */
  statements: PyNode[];
  /**
   * Offsets of the replaceable region: from the first line after the signature or docstring that
   * holds a comment or code (from the first statement itself when the body follows the colon or
   * the docstring on the same line) to the end of the last statement's line, plus comment lines
   * right after it at the body's indentation or deeper. Null for a docstring-only body.
   */
  region: { start: number; end: number } | null;
  /** Indentation of the body's statements; null when the body starts on the `def` or docstring line. */
  indent: string | null;
}

export interface FileFunctions {
  text: string;
  root: PyNode;
  hasErrors: boolean;
  definitions: Definition[];
  /** Every function and method (classes are left out), in source order. */
  functions: FunctionBody[];
}

// Generation masks, checks and re-reads the same few files over and over: the last parses are kept.
const MEMO_SIZE = 4;
const memo = new Map<string, { file: string; value: FileFunctions }>();

/** Parses a source text once and locates every function's body (the result is shared: do not mutate it). */
export function functionBodies(text: string, file = '<string>'): FileFunctions {
  const hit = memo.get(text);
  if (hit?.file === file) return hit.value;
  const value = parseFunctions(text, file);
  memo.delete(text);
  memo.set(text, { file, value });
  while (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!);
  return value;
}

/** The parse of a text under whatever file name it was last parsed with (for what does not depend on the name). */
export function anyFunctionBodies(text: string): FileFunctions {
  return memo.get(text)?.value ?? functionBodies(text);
}

function parseFunctions(text: string, file: string): FileFunctions {
  const parsed = parsePython(text);
  const { definitions, byNode } = extractDefinitions(parsed.root, parsed.text, file, null);
  const nodeOf = new Map<Definition, PyNode>();
  for (const [node, def] of byNode) nodeOf.set(def, node);
  const seen = new Map<string, number>();
  const functions: FunctionBody[] = [];
  for (const def of definitions) {
    const occurrence = seen.get(def.qualname) ?? 0;
    seen.set(def.qualname, occurrence + 1);
    if (def.kind === 'class') continue;
    const node = nodeOf.get(def)!;
    functions.push({ definition: def, occurrence, node, ...locate(node, def, text) });
  }
  return { text, root: parsed.root, hasErrors: parsed.hasErrors, definitions, functions };
}

/** The function with this qualname and occurrence, if the text has it. */
export function findFunction(parsed: FileFunctions, qualname: string, occurrence = 0): FunctionBody | undefined {
  return parsed.functions.find((f) => f.definition.qualname === qualname && f.occurrence === occurrence);
}

function locate(node: PyNode, def: Definition, text: string): Pick<FunctionBody, 'statements' | 'region' | 'indent'> {
  const block = child(node, 'body');
  const all = block ? statements(block) : [];
  const rest = def.docstring ? all.slice(1) : all;
  const first = rest[0];
  const last = rest[rest.length - 1];
  if (!first || !last) return { statements: rest, region: null, indent: null };
  const colon = node.children.find((c) => c.type === ':');
  const boundary = def.docstring ? all[0]!.end : (colon?.end ?? first.start);
  const firstLine = lineStart(text, first.start);
  const ownLine = firstLine > boundary && text.slice(firstLine, first.start).trim() === '';
  let start = first.start;
  let indent: string | null = null;
  if (ownLine) {
    indent = text.slice(firstLine, first.start);
    // Comment lines between the signature (or docstring) and the first statement belong to the body.
    start = firstLine;
    for (let p = nextLineStart(text, boundary); p < firstLine; p = nextLineStart(text, p)) {
      if (text.slice(p, lineEnd(text, p)).trim() !== '') {
        start = p;
        break;
      }
    }
  }
  let end = lineEnd(text, codeEnd(last));
  if (indent !== null) {
    // Comments right after the last statement, at its indentation or deeper, are the body's too.
    for (let p = nextLineStart(text, end); p < text.length; p = nextLineStart(text, p)) {
      const line = text.slice(p, lineEnd(text, p));
      if (line.trim() === '') continue;
      const lead = line.length - line.trimStart().length;
      if (!line.trimStart().startsWith('#') || !line.startsWith(indent) || lead < indent.length) break;
      end = lineEnd(text, p);
    }
  }
  return { statements: rest, region: { start, end }, indent };
}

/** The end of a node's last token that is not a comment (tree-sitter may hang later comments on a block). */
export function codeEnd(node: PyNode): number {
  for (let i = node.children.length - 1; i >= 0; i--) {
    const c = node.children[i]!;
    if (c.type !== 'comment') return codeEnd(c);
  }
  return node.end;
}

export function lineStart(text: string, index: number): number {
  return Math.max(text.lastIndexOf('\n', index - 1), text.lastIndexOf('\r', index - 1)) + 1;
}

/** The offset of the line terminator (`\n`, `\r\n` or `\r`) ending the line that holds `index`. */
export function lineEnd(text: string, index: number): number {
  for (let i = index; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10 || ch === 13) return i;
  }
  return text.length;
}

function nextLineStart(text: string, index: number): number {
  const e = lineEnd(text, index);
  if (e >= text.length) return text.length;
  return text[e] === '\r' && text[e + 1] === '\n' ? e + 2 : e + 1;
}

/** 1-based line of an offset, counting `\n` as the analysis layer does. */
export function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
