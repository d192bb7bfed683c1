import type { Definition, Docstring } from '../types.js';
import { ByteOffsets } from './byte-offsets.js';
import { docstringStatement, extractDocstring } from './docstrings.js';
import { extractDefinitions } from './definitions.js';
import { parsePython, type PyNode } from './parser.js';

/** Definitions of one source text, for re-finding them by qualname in an edited file. */
export interface ParsedPythonSource {
  file: string;
  definitions: Definition[];
  /** The module's docstring, or null. */
  moduleDocstring: Docstring | null;
  hasErrors: boolean;
  /** The definition with this qualname (the last one when redefined). */
  find(qualname: string): Definition | undefined;
}

/** Parses one Python source string (no module context: `module` is null, nothing is resolved). */
export function parsePythonSource(text: string, file = '<string>'): ParsedPythonSource {
  const parsed = parsePython(text);
  const { definitions } = extractDefinitions(parsed.root, parsed.text, file, null);
  return {
    file,
    definitions,
    moduleDocstring: extractDocstring(parsed.root, parsed.text, new ByteOffsets(parsed.text)),
    hasErrors: parsed.hasErrors,
    find: (qualname) => definitions.filter((d) => d.qualname === qualname).pop(),
  };
}

/** Docstring statements: the first string statement of the module and of each def/class body. */
function docstringNodes(root: PyNode): Set<PyNode> {
  const out = new Set<PyNode>();
  const stack: PyNode[] = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.type === 'module') {
      const d = docstringStatement(n);
      if (d) out.add(d.statement);
    } else if (n.type === 'function_definition' || n.type === 'class_definition') {
      const d = docstringStatement(n.children.find((c) => c.field === 'body'));
      if (d) out.add(d.statement);
    }
    for (const c of n.children) if (c.named) stack.push(c);
  }
  return out;
}

/** Extras that are formatting, not code. */
const IGNORED = new Set(['comment', 'line_continuation']);

/**
 * A canonical rendering of the syntax tree without docstrings and comments: tokens separated by
 * single spaces, statements by newlines, blocks in braces. Equal renderings mean the same code up
 * to formatting, comments and docstrings.
 */
export function stripDocstringsAndComments(source: string): string {
  const { root, text } = parsePython(source);
  const skip = docstringNodes(root);
  const out: string[] = [];
  // Entries are nodes to render or literal markers to emit (iterative: deep expressions are common).
  const stack: (PyNode | string)[] = [root];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const n = item;
    if (IGNORED.has(n.type) || skip.has(n)) continue;
    if (n.children.length === 0 || n.type === 'string_content' || n.type === 'escape_sequence') {
      out.push(text.slice(n.start, n.end));
      continue;
    }
    const isBlock = n.type === 'block' || n.type === 'module';
    const parts: (PyNode | string)[] = [];
    if (n.type === 'block') parts.push('{');
    for (const c of n.children) {
      if (IGNORED.has(c.type) || skip.has(c)) continue;
      parts.push(c);
      if (isBlock) parts.push('\n');
    }
    if (n.type === 'block') parts.push('}');
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as PyNode | string);
  }
  return out.join(' ');
}
