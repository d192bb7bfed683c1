import { extractDefinitions } from '../../analysis/python/definitions.js';
import { walkCode } from '../../analysis/python/code-tokens.js';
import { parsePython, type PyNode } from '../../analysis/python/parser.js';
import type { Definition } from '../../analysis/types.js';
import { isBlockMarker } from '../comment-view.js';
import type { Location } from './schema.js';

/** Lines (1-based, inclusive). */
export interface Span {
  line: number;
  endLine: number;
}

/** One thing the agent must find: a gold function (all its locations) or a module-level location of a file. */
export interface GoldTarget {
  file: string;
  /** The function, method or class, or null at module level. */
  qualname: string | null;
  /** The definition's lines (first decorator to last line); null at module level or when not found. */
  definition: Span | null;
  /** The gold lines, each widened up to the first line of the statement holding it (where a comment line can go). */
  hunks: Span[];
}

/** Nodes a comment line may go right above. */
const STATEMENT = /(_statement|_definition|_clause)$|^decorator$/;

/**
 * The first line of the innermost statement (or clause, such as `elif`/`else`/`except`) holding
 * `line` in itself or in its header (not in its block): a comment on its own line right above it
 * changes no code, whereas above a line inside a multi-line string it would. A line that no
 * statement holds so (a blank line in a block) is its own start.
 */
export function statementStart(root: PyNode, line: number): number {
  const row = line - 1;
  let best: PyNode | null = null;
  const stack: PyNode[] = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.row > row || n.endRow < row) continue;
    // A compound statement counts only through its header: a blank or comment line in its block
    // (where a row's patch may add a method) must not widen the location over the whole block.
    const inBlock = n.children.some((c) => c.type === 'block' && c.row <= row && row <= c.endRow);
    if (n !== root && STATEMENT.test(n.type) && !inBlock && (!best || n.row >= best.row)) best = n;
    for (const c of n.children) if (c.named) stack.push(c);
  }
  return best ? best.row + 1 : line;
}

/** The innermost definition holding a line (first decorator to last line), or undefined at module level. */
export function innermostDefinition(definitions: readonly Definition[], line: number): Definition | undefined {
  let best: Definition | undefined;
  for (const d of definitions) {
    if (d.anchorLine <= line && line <= d.endLine && (!best || d.endLine - d.anchorLine < best.endLine - best.anchorLine)) best = d;
  }
  return best;
}

/** The gold targets of the locations in one file, given the file's text the agent started from. */
export function goldTargets(file: string, text: string, locations: readonly Location[]): { targets: GoldTarget[]; definitions: Definition[] } {
  // One parse for the statements, the definitions and the rows that hold code.
  const parsed = parsePython(text);
  const { root } = parsed;
  const { definitions } = extractDefinitions(root, parsed.text, file, null);
  const rows = codeRows(root, parsed.text);
  const targets = new Map<string, GoldTarget>();
  for (const loc of locations) {
    const key = loc.qualname ?? '';
    let t = targets.get(key);
    if (!t) {
      // Of redefinitions sharing the qualname, the one holding the lines.
      const def = loc.qualname ? definitions.find((d) => d.qualname === loc.qualname && d.anchorLine <= loc.line && loc.line <= d.endLine) ?? definitions.filter((d) => d.qualname === loc.qualname).pop() : undefined;
      t = { file, qualname: loc.qualname ?? null, definition: def ? { line: def.anchorLine, endLine: def.endLine } : null, hunks: [] };
      targets.set(key, t);
    }
    t.hunks.push(codeSpan({ line: Math.min(loc.line, statementStart(root, loc.line)), endLine: loc.endLine }, rows));
  }
  return { targets: [...targets.values()], definitions };
}

/** 0-based rows that hold code (a token that is not a comment), sorted. */
function codeRows(root: PyNode, text: string): number[] {
  const rows = new Set<number>();
  walkCode(root, text, new Set(), (t) => {
    if (!isBlockMarker(t)) rows.add(t.row);
  });
  return [...rows].sort((a, b) => a - b);
}

/**
 * A span of blank or comment lines only (where a patch inserts, say a method at the end of a
 * class) widened to the code lines around it, where the comments placed there count (the line
 * below, or above for one indented into the block); a span holding code is kept.
 */
function codeSpan(span: Span, rows: readonly number[]): Span {
  if (rows.some((r) => r + 1 >= span.line && r + 1 <= span.endLine)) return span;
  const above = rows.filter((r) => r + 1 < span.line).pop();
  const below = rows.find((r) => r + 1 > span.endLine);
  return { line: above !== undefined ? above + 1 : span.line, endLine: below !== undefined ? below + 1 : span.endLine };
}

export const within = (s: Span, line: number): boolean => s.line <= line && line <= s.endLine;
