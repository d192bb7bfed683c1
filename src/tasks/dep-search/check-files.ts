import { checkCompiles, compareScans, mergeScans, plainUtf8, scanText, type CompileScan } from '../../analysis/python/compile-check.js';
import { parsePython } from '../../analysis/python/parser.js';
import { decodeSource } from '../../analysis/python/read-source.js';
import { sourceOf } from '../../analysis/python/source.js';
import { diffFiles } from '../../workspace/files.js';
import { commentViewOf, firstDifference, type CommentView } from '../comment-view.js';
import type { FileCompileCheck } from '../func-localize/check-files.js';
import { alignBlocks, type Block, type Segment } from '../python-blocks.js';
import { jobWorkspaces, tooLargeProblem, type JobFile, type VerifyLimits } from '../verify-limits.js';
import { markerName } from './comment.js';

type Where = { file: string; line: number | null };
export type Violation = Where & { kind: 'deleted-file' | 'added-file' | 'non-python-changed' | 'code-changed' | 'not-decodable' | 'too-large'; originalLine?: number; problem?: string };

/** A comment of the marker's form in a changed file, with the definition whose comment block it is in (`file::qualname`). */
export interface MarkerComment {
  file: string;
  /** 0-based. */
  row: number;
  text: string;
  ownLine: boolean;
  owner?: string;
}

export interface DepSearchJob {
  /** Every file that differs: original bytes (none when added) and final bytes (none when deleted). */
  files: JobFile[];
  limits: VerifyLimits;
}

export interface DepSearchFindings {
  violations: Violation[];
  /** Marker comments of the changed `.py` files, file by file in the diff's order, each file's by row. */
  markers: MarkerComment[];
  compile: FileCompileCheck[];
}

// A comment that may be a marker: far looser than `markerName`, to find the blocks worth parsing.
const MAYBE_MARKER = /called\s+by/gi;

/**
 * The file work of the dep-search verifier, for a worker or the calling thread: which changed files
 * changed more than comments (each text parsed once; a large file only in the top-level blocks that
 * changed or that hold a marker), the marker comments and the definitions right below them, and the
 * pure compile check.
 */
export function checkDepSearchFiles(job: DepSearchJob): DepSearchFindings {
  const { limits } = job;
  const { original, final } = jobWorkspaces(job.files);
  const violations: Violation[] = [];
  const markers: MarkerComment[] = [];
  const compile: FileCompileCheck[] = [];
  const decode = (bytes: Buffer): string | null => {
    const r = decodeSource(bytes);
    return r.ok ? r.text : null;
  };
  for (const change of diffFiles(original, final)) {
    const file = change.path;
    if (change.change === 'deleted') {
      violations.push({ kind: 'deleted-file', file, line: null });
      continue;
    }
    const isPy = file.endsWith('.py');
    if (change.change === 'added') violations.push({ kind: 'added-file', file, line: null });
    else if (!isPy) violations.push({ kind: 'non-python-changed', file, line: null });
    if (!isPy) continue;
    const afterBytes = final.get(file)!;
    const beforeBytes = change.change === 'modified' ? original.get(file)! : undefined;
    const size = Math.max(afterBytes.length, beforeBytes?.length ?? 0);
    if (size > limits.maxFileBytes) {
      violations.push({ kind: 'too-large', file, line: null, problem: tooLargeProblem(size, limits) });
      continue;
    }
    const text = decode(afterBytes);
    const before = beforeBytes ? decode(beforeBytes) : undefined;
    let check = null as FileCompileCheck['check'] | null;
    const segments = text !== null && typeof before === 'string' && Math.max(text.length, before.length) > limits.blockChars ? alignBlocks(before, text) : [];
    if (text === null) {
      violations.push({ kind: 'not-decodable', file, line: null });
    } else if (segments.length > 1) {
      const plain = plainUtf8(afterBytes) && plainUtf8(beforeBytes!);
      const r = checkSegments(file, segments, plain);
      if (r.diff) violations.push({ kind: 'code-changed', file, line: r.diff.line, originalLine: r.diff.originalLine });
      markers.push(...r.markers);
      if (r.scans) check = compareScans(r.scans.after, r.scans.before);
    } else {
      const parsed = parsePython(text);
      const view = commentViewOf(parsed);
      if (before !== undefined) {
        const diff = before === null ? { line: 1, originalLine: 1 } : firstDifference(commentViewOf(parsePython(before)).tokens, view.tokens);
        if (diff) violations.push({ kind: 'code-changed', file, line: diff.line, originalLine: diff.originalLine });
      }
      markers.push(...markersOf(file, [{ view, defs: sourceOf(parsed, file).definitions, row: 0 }]));
    }
    check ??= checkCompiles(afterBytes, beforeBytes);
    compile.push({ file, check });
  }
  return { violations, markers, compile };
}

interface ParsedBlock {
  view: CommentView;
  defs: Array<{ qualname: string; anchorLine: number }>;
  /** Rows of the block's lines in the file: add to its view's rows and its definitions' lines. */
  row: number;
}

/**
 * Marker comments of parsed text (a whole file, or blocks of one), each with the definition whose
 * comment block (the comment-only rows right above its first decorator or `def`/`class` line) holds it.
 */
function markersOf(file: string, parts: ParsedBlock[]): MarkerComment[] {
  const commentRows = new Set<number>();
  for (const p of parts) for (const r of p.view.commentRows) commentRows.add(r + p.row);
  const owner = new Map<number, string>();
  for (const p of parts) {
    for (const d of p.defs) {
      for (let r = d.anchorLine + p.row - 2; r >= 0 && commentRows.has(r); r--) owner.set(r, `${file}::${d.qualname}`);
    }
  }
  const out: MarkerComment[] = [];
  for (const p of parts) {
    for (const c of p.view.comments) {
      if (markerName(c.text) === null) continue;
      const row = c.row + p.row;
      const above = c.ownLine ? owner.get(row) : undefined;
      out.push({ file, row, text: c.text, ownLine: c.ownLine, ...(above && { owner: above }) });
    }
  }
  return out.sort((a, b) => a.row - b.row);
}

/**
 * A large file, block by block: the changed segments' token lists compared (the first difference,
 * in lines of the files), and the markers of every block that changed or may hold one (and of the
 * block after it, where the definition below such a comment may start).
 */
function checkSegments(file: string, segments: Segment[], plain: boolean): { diff: { line: number; originalLine: number } | null; markers: MarkerComment[]; scans?: { after: CompileScan; before: CompileScan } } {
  let diff: { line: number; originalLine: number } | null = null;
  const parts = new Map<Block, ParsedBlock>();
  const parse = (block: Block): ParsedBlock => {
    let p = parts.get(block);
    if (!p) {
      const parsed = parsePython(block.text);
      p = { view: commentViewOf(parsed), defs: sourceOf(parsed, file).definitions, row: block.row };
      parts.set(block, p);
    }
    return p;
  };
  const after: CompileScan[] = [];
  const before: CompileScan[] = [];
  const wanted = new Set<number>();
  segments.forEach((s, i) => {
    MAYBE_MARKER.lastIndex = 0;
    if (!s.same || MAYBE_MARKER.test(s.after.text)) wanted.add(i).add(i + 1);
    if (s.same) return;
    if (plain) {
      after.push(scanText(s.after.text, s.after.row));
      before.push(scanText(s.before.text, s.before.row));
    }
    if (diff) {
      parse(s.after);
      return;
    }
    const b = commentViewOf(parsePython(s.before.text)).tokens;
    const a = parse(s.after).view.tokens;
    const d = firstDifference(b, a);
    if (d) diff = { line: d.line + s.after.row, originalLine: d.originalLine + s.before.row };
  });
  for (const i of wanted) if (segments[i]) parse(segments[i]!.after);
  const markers = markersOf(file, [...parts.values()]);
  return { diff, markers, ...(plain && { scans: { after: mergeScans(after), before: mergeScans(before) } }) };
}
