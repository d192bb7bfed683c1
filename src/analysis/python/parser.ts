import { createRequire } from 'node:module';

/** A syntax node copied out of tree-sitter into plain objects (walking plain objects is much cheaper). */
export interface PyNode {
  type: string;
  /** Offsets in UTF-16 code units of the source string. */
  start: number;
  end: number;
  /** 0-based rows of the first and last character. */
  row: number;
  endRow: number;
  named: boolean;
  /** Field name in the parent (`name`, `body`, ...), or null. */
  field: string | null;
  children: PyNode[];
  parent: PyNode | null;
}

export interface ParsedSource {
  text: string;
  root: PyNode;
  hasErrors: boolean;
}

interface NativeCursor {
  nodeType: string;
  nodeIsNamed: boolean;
  startIndex: number;
  endIndex: number;
  startPosition: { row: number };
  endPosition: { row: number };
  currentFieldName: string | null | undefined;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
}
interface NativeTree {
  rootNode: { hasError: boolean };
  walk(): NativeCursor;
}
interface NativeParser {
  setLanguage(language: unknown): void;
  parse(input: string | ((index: number) => string | null)): NativeTree;
}

let parser: NativeParser | undefined;

// The native binding loads on first use: importing the library must stay cheap.
function getParser(): NativeParser {
  if (parser) return parser;
  const require = createRequire(import.meta.url);
  const Parser = require('tree-sitter') as new () => NativeParser;
  const python = require('tree-sitter-python') as unknown;
  parser = new Parser();
  parser.setLanguage(python);
  return parser;
}

const CHUNK = 64 * 1024;

/** Parses Python source with tree-sitter; never throws on syntax errors (they become ERROR nodes). */
export function parsePython(text: string): ParsedSource {
  // A chunked reader avoids the binding's default of re-slicing the whole remaining string per read.
  const tree = getParser().parse((index: number) => (index < text.length ? text.slice(index, index + CHUNK) : null));
  return { text, root: convert(tree.walk()), hasErrors: tree.rootNode.hasError };
}

/** Copies the tree iteratively: deeply nested expressions must not overflow the JS stack. */
function convert(c: NativeCursor): PyNode {
  const make = (parent: PyNode | null): PyNode => ({
    type: c.nodeType,
    start: c.startIndex,
    end: c.endIndex,
    row: c.startPosition.row,
    endRow: c.endPosition.row,
    named: c.nodeIsNamed,
    field: c.currentFieldName || null,
    children: [],
    parent,
  });
  const root = make(null);
  let current = root;
  if (!c.gotoFirstChild()) return root;
  for (;;) {
    const node = make(current);
    current.children.push(node);
    if (c.gotoFirstChild()) {
      current = node;
      continue;
    }
    while (!c.gotoNextSibling()) {
      if (!c.gotoParent() || current.parent === null) return root;
      current = current.parent;
    }
  }
}

/** The 1-based last line of a node (a node ending right after a newline ends on the line before). */
export function endLineOf(node: PyNode, text: string): number {
  return node.end > node.start && text.charCodeAt(node.end - 1) === 10 ? node.endRow : node.endRow + 1;
}

export function textOf(node: PyNode, text: string): string {
  return text.slice(node.start, node.end);
}

export function child(node: PyNode, field: string): PyNode | undefined {
  return node.children.find((c) => c.field === field);
}

export function namedChildren(node: PyNode): PyNode[] {
  return node.children.filter((c) => c.named && c.type !== 'comment');
}

/** True when tree-sitter found a syntax error anywhere in the source. */
export function hasSyntaxErrors(source: string): boolean {
  return getParser().parse((index: number) => (index < source.length ? source.slice(index, index + CHUNK) : null))
    .rootNode.hasError;
}
