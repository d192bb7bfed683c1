import { createRequire } from 'node:module';

/** A syntax node copied out of tree-sitter into plain objects (walking plain objects is much cheaper). */
export interface PyNode {
  type: string;
  /** Offsets in UTF-16 code units of the source string. */
  start: number;
  end: number;
  /** 0-based rows of the first and last character (a final newline does not count). */
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
  nodeTypeId: number;
  currentFieldId: number;
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
  parse(input: string): NativeTree;
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

export interface ParsePythonOptions {
  /** Copy anonymous tokens (punctuation, keywords) too; without, only `async` of them is kept. @default true */
  full?: boolean;
  /**
   * Copy only what definitions and docstrings are read from: statements and the parts of a
   * definition's header (parameters, bases); any other node is copied without its children.
   * Implies `full: false`. @default false
   */
  outline?: boolean;
}

/**
 * Parses Python source with tree-sitter; never throws on syntax errors (they become ERROR nodes).
 * With `full: false` anonymous tokens (punctuation, keywords but `async`) are left out of the copy.
 */
export function parsePython(text: string, { full = true, outline = false }: ParsePythonOptions = {}): ParsedSource {
  // The whole string at once: the binding reads it without copying chunks (faster than a reader callback).
  const tree = getParser().parse(text);
  const root = convert(tree.walk(), text, full && !outline, outline);
  return { text, root, hasErrors: tree.rootNode.hasError || legacySeen };
}

/**
 * What an outline descends into: statement containers, definitions and the parts of their headers
 * that definitions are built from, and what a docstring statement is made of. Every other node (an
 * expression, a simple statement) is copied as a leaf: its text and lines, no children.
 */
const OUTLINE = new Set([
  'module', 'block', 'if_statement', 'elif_clause', 'else_clause', 'try_statement', 'except_clause',
  'except_group_clause', 'finally_clause', 'with_statement', 'for_statement', 'while_statement',
  'match_statement', 'case_clause', 'decorated_definition', 'ERROR',
  'function_definition', 'class_definition', 'parameters', 'default_parameter', 'typed_parameter',
  'typed_default_parameter', 'list_splat_pattern', 'dictionary_splat_pattern', 'argument_list',
  'expression_statement', 'parenthesized_expression', 'concatenated_string',
]);

/** Python 2 statements tree-sitter accepts but Python 3 rejects; set by the last convert(). */
let legacySeen = false;
const LEGACY = new Set(['print_statement', 'exec_statement']);
const legacyIds = new Set<number>();

/** Anonymous tokens other than `async` (which marks async defs). */
function isDroppable(c: NativeCursor): boolean {
  const id = learnType(c);
  return !typeNamed[id] && typeNames[id] !== 'async';
}

/** The cursor node's type id, its name and namedness recorded on first sight. */
function learnType(c: NativeCursor): number {
  const id = c.nodeTypeId;
  if (typeNames[id] === undefined) {
    const type = c.nodeType;
    typeNames[id] = type;
    typeNamed[id] = c.nodeIsNamed;
    if (LEGACY.has(type)) legacyIds.add(id);
  }
  return id;
}

// Type and field names by numeric id, learnt once: ids are cheaper to read through the binding.
const typeNames: string[] = [];
const typeNamed: boolean[] = [];
const fieldNames: (string | null)[] = [];

/** Copies the tree iteratively: deeply nested expressions must not overflow the JS stack. */
function convert(c: NativeCursor, text: string, full: boolean, outline = false): PyNode {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  let row = 0;
  // Pre-order start offsets never decrease, so the start row only moves forward.
  const rowAt = (index: number): number => {
    while (row + 1 < lineStarts.length && (lineStarts[row + 1] as number) <= index) row++;
    return row;
  };
  const endRowAt = (index: number, from: number): number => {
    let lo = from;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const make = (parent: PyNode | null): PyNode => {
    const id = learnType(c);
    const type = typeNames[id] as string;
    if (legacyIds.has(id)) legacySeen = true;
    const fid = parent ? c.currentFieldId : 0;
    let field = fid ? fieldNames[fid] : null;
    if (field === undefined) {
      field = c.currentFieldName || null;
      fieldNames[fid] = field;
    }
    const start = c.startIndex;
    const end = c.endIndex;
    const startRow = rowAt(start);
    // A node ending exactly at a line start (after a newline) still ends on the previous row.
    const endRow = end > start ? endRowAt(end - 1, startRow) : startRow;
    return { type, start, end, row: startRow, endRow, named: typeNamed[id] ?? true, field, children: [], parent };
  };
  legacySeen = false;
  const root = make(null);
  let current = root;
  if (!c.gotoFirstChild()) return root;
  for (;;) {
    // Punctuation and keyword tokens are leaves nobody reads when indexing: not copying them halves the work.
    if (!full && isDroppable(c) && !c.gotoFirstChild()) {
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent() || current.parent === null) return root;
        current = current.parent;
      }
      continue;
    }
    if (!full && isDroppable(c)) c.gotoParent(); // An anonymous node with children is kept.
    const node = make(current);
    current.children.push(node);
    if ((!outline || OUTLINE.has(node.type)) && c.gotoFirstChild()) {
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
export function endLineOf(node: PyNode, _text?: string): number {
  return node.endRow + 1;
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
  return parsePython(source).hasErrors;
}
