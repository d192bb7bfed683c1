import { docstringStatement } from '../../analysis/python/docstrings.js';
import { child, parsePython, type PyNode } from '../../analysis/python/parser.js';
import { stripDocstringsAndComments } from '../../analysis/python/source.js';
import { findFunction, functionBodies } from '../func-gen/body.js';
import { bodyEdits, type Edit } from './mutation-kinds.js';
import { MUTATION_KINDS, type MutationKind } from './schema.js';

/** A synthetic bug: one procedural change inside one function's own body. */
export interface Mutant {
  kind: MutationKind;
  /**
   * 1-based inclusive lines of the changed region in the MUTATED file: the changed node's lines for
   * an in-line edit; for a removal, the line just above the removed lines (inside the function).
   */
  line: number;
  endLine: number;
  /**
   * The whole original lines of the region, joined by '\n' (no final newline): exactly
   * `original.split('\n').slice(a, b).join('\n')`, so a CRLF file's lines keep their `\r`.
   */
  original: string;
  /** The same region's whole lines as they stand in the mutated file ('' when the mutation removed lines). */
  mutated: string;
  /** The whole mutated file. */
  source: string;
}

export interface MutationTarget {
  qualname: string;
  /** Which definition with this qualname in the file, from 0. @default 0 */
  occurrence?: number;
}

/**
 * Every mutant of the function `qualname` (the `occurrence`-th definition with that qualname in the
 * file, from 0), in a deterministic order (source position, then kind as in MUTATION_KINDS). Only
 * the function's own body changes: never nested defs, classes or lambdas, decorators, the
 * signature, annotations, the docstring or the inside of a string. Each mutant parses without
 * errors and differs from the original once docstrings and comments are stripped; mutants with the
 * same resulting source are kept once. An unknown function gives [].
 */
export function functionMutants(source: string, target: MutationTarget): Mutant[] {
  const parsed = functionBodies(source);
  const fn = findFunction(parsed, target.qualname, target.occurrence ?? 0);
  const block = fn && child(fn.node, 'body');
  // A file that does not parse has no mutant that does.
  if (!block || parsed.hasErrors) return [];
  const docstring = docstringStatement(block, source)?.statement ?? null;
  const rank = (k: MutationKind): number => MUTATION_KINDS.indexOf(k);
  const edits = bodyEdits(source, block, docstring)
    .map((edit, order) => ({ edit, order }))
    .sort((a, b) => a.edit.start - b.edit.start || rank(a.edit.kind) - rank(b.edit.kind) || a.order - b.order)
    .map((e) => e.edit);
  const rows = new Rows(source);
  const region = checkRegion(source, fn.node);
  const baseline = stripDocstringsAndComments(region.snippet(source, 0));
  const seen = new Set<string>();
  const out: Mutant[] = [];
  for (const edit of edits) {
    const mutatedSource = source.slice(0, edit.start) + edit.text + source.slice(edit.end);
    const snippet = region.snippet(mutatedSource, edit.text.length - (edit.end - edit.start));
    if (seen.has(snippet)) continue;
    seen.add(snippet);
    if (parsePython(snippet, { full: false }).hasErrors) continue;
    if (stripDocstringsAndComments(snippet) === baseline) continue;
    out.push(describe(edit, source, mutatedSource, rows));
  }
  return out;
}

/**
 * What a mutant is checked on: the function's own lines (wrapped in `if 1:` when indented, so they
 * parse alone), or the whole file when the def shares its line with other code. The rest of the
 * file is unchanged and parsed without errors, so the function parsing alone means the file
 * parses, and its code differing means the file's does; parsing only the function keeps the check
 * proportional to the function, not the file.
 */
function checkRegion(source: string, def: PyNode): { snippet(text: string, delta: number): string } {
  const start = source.lastIndexOf('\n', def.start - 1) + 1;
  const indent = source.slice(start, def.start);
  if (!/^[ \t\f]*$/.test(indent)) return { snippet: (text) => text };
  const nl = source.indexOf('\n', def.end);
  const end = nl < 0 ? source.length : nl + 1;
  const prefix = indent === '' ? '' : 'if 1:\n';
  return { snippet: (text, delta) => prefix + text.slice(start, end + delta) };
}

function describe(edit: Edit, source: string, mutatedSource: string, rows: Rows): Mutant {
  const first = rows.rowOf(edit.removal?.firstLine ?? edit.start);
  const last = rows.rowOf(Math.max(edit.start, edit.end - 1));
  const original = rows.lines(first, last);
  if (edit.removal) {
    // The removed region starts a line (first ≥ 1: the def line is above), so 1-based `first` is the line above it.
    return { kind: edit.kind, line: first, endLine: first, original, mutated: '', source: mutatedSource };
  }
  const added = edit.text.split('\n').length - 1;
  const from = rows.startOf(first);
  const nl = mutatedSource.indexOf('\n', edit.start + edit.text.length);
  const mutated = mutatedSource.slice(from, nl < 0 ? mutatedSource.length : nl);
  return { kind: edit.kind, line: first + 1, endLine: first + 1 + added, original, mutated, source: mutatedSource };
}

/** Rows of a text split on `\n` (as the parser counts them); a line keeps its `\r` in a CRLF file. */
class Rows {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  startOf(row: number): number {
    return this.starts[row] ?? this.text.length;
  }

  rowOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Rows `first..last` (inclusive) without the final `\n`. */
  lines(first: number, last: number): string {
    const end = this.starts[last + 1];
    return this.text.slice(this.startOf(first), end === undefined ? this.text.length : end - 1);
  }
}
