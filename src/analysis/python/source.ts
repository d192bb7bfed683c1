import type { Definition, Docstring } from '../types.js';
import { ByteOffsets } from './byte-offsets.js';
import { docstringStatement, extractDocstring } from './docstrings.js';
import { extractDefinitions } from './definitions.js';
import { walkCode } from './code-tokens.js';
import { parsePython, type ParsedSource, type PyNode } from './parser.js';
import { contentHash } from '../../util/disk-cache.js';

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
  return sourceOf(parsePython(text), file);
}

const remembered = new Map<string, readonly Definition[]>();
const REMEMBERED = 16;

/**
 * The definitions `parsePythonSource` finds in a text, from an outline parse (definitions and
 * their headers only: about half the work). The last few texts' are remembered, so an episode's
 * workspace, its oracle and its verifier re-find a target without parsing its file each time; the
 * array and its definitions are shared: read them, do not change them.
 */
export function definitionsOf(text: string, file = '<string>'): readonly Definition[] {
  const key = `${file}\0${contentHash(text)}`;
  let defs = remembered.get(key);
  if (defs) {
    remembered.delete(key);
  } else {
    defs = Object.freeze(extractDefinitions(parsePython(text, { outline: true }).root, text, file, null).definitions);
    if (remembered.size >= REMEMBERED) remembered.delete(remembered.keys().next().value!);
  }
  remembered.set(key, defs);
  return defs;
}

/** `parsePythonSource` of a text already parsed (each text is parsed once by the verifiers). */
export function sourceOf(parsed: ParsedSource, file = '<string>'): ParsedPythonSource {
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
function docstringNodes(root: PyNode, text: string): Set<PyNode> {
  const out = new Set<PyNode>();
  const stack: PyNode[] = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.type === 'module') {
      const d = docstringStatement(n, text);
      if (d) out.add(d.statement);
    } else if (n.type === 'function_definition' || n.type === 'class_definition') {
      const d = docstringStatement(n.children.find((c) => c.field === 'body'), text);
      if (d) out.add(d.statement);
    }
    for (const c of n.children) if (c.named) stack.push(c);
  }
  return out;
}

/**
 * A canonical rendering of the syntax tree without docstrings and comments: tokens separated by
 * single spaces, statements by newlines, blocks in braces. Equal renderings mean the same code up
 * to formatting, comments and docstrings.
 */
export function stripDocstringsAndComments(source: string): string {
  return strippedOf(parsePython(source));
}

/** `stripDocstringsAndComments` of a text already parsed. */
export function strippedOf({ root, text }: ParsedSource): string {
  const out: string[] = [];
  walkCode(root, text, docstringNodes(root, text), (t) => out.push(t.text));
  return out.join(' ');
}
