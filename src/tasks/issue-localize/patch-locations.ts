import { applyPatch, parsePatch, type StructuredPatch } from 'diff';
import { innermostDefinition } from './regions.js';
import { parsePythonSource, type Definition } from '../../analysis/index.js';
import { ValidationError } from '../../errors.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { isTestFile } from '../test-files.js';
import type { Location } from './schema.js';

/** A file of the patch that gave no location (or a degraded one), and why. */
export interface SkippedPatchFile {
  file: string;
  reason: string;
}

/**
 * The places a gold patch changes, in the base tree `files` the patch applies to: per Python file
 * outside tests, the old-side lines removed or changed (a pure insertion after line k counts k and
 * k+1), grouped by the innermost definition holding them into runs of adjacent lines. Files it
 * cannot place (not Python, tests, created by the patch, missing from the tree, not matching it)
 * are listed in `skipped`. Sorted by file and line; the same input gives the same output. A patch
 * that is not a unified diff throws a {@link ValidationError}.
 */
export function goldLocations(patch: string, files: WorkspaceFiles): { locations: Location[]; skipped: SkippedPatchFile[] } {
  const parsed = parse(patch);
  const locations: Location[] = [];
  const skipped: SkippedPatchFile[] = [];
  const lines = new Map<string, Set<number>>();
  for (const p of parsed) {
    const created = p.isCreate === true || p.oldFileName === '/dev/null';
    const file = created ? strip(p.newFileName, 'b/', files) : strip(p.oldFileName, 'a/', files);
    if (file === undefined) {
      if (p.hunks.length > 0) skipped.push({ file: '(unnamed)', reason: 'a part of the patch names no file' });
      continue;
    }
    const skip = (reason: string) => void skipped.push({ file, reason });
    if (!file.endsWith('.py')) skip('not a Python file');
    else if (isTestFile(file)) skip('test file');
    else if (created) skip('created by the patch: no place to comment in the base tree');
    else if (!files.has(file)) skip('not in the base tree');
    else if (p.hunks.length === 0) skip(p.isRename ? 'renamed without changes' : 'no lines changed');
    else {
      const text = files.get(file)!.toString('utf8');
      const marked = changedLines(p, text);
      if (typeof marked === 'string') skip(marked);
      else if (marked.size === 0) skip('no lines changed');
      else {
        const set = lines.get(file) ?? new Set<number>();
        for (const l of marked) set.add(l);
        lines.set(file, set);
      }
    }
  }
  for (const [file, set] of lines) {
    const text = files.get(file)!.toString('utf8');
    const sorted = [...set].sort((a, b) => a - b);
    const source = parsePythonSource(text, file);
    if (source.hasErrors) {
      // No definitions to trust: each run of adjacent changed lines is a location of its own.
      skipped.push({ file, reason: 'syntax errors: a location per run of changed lines, without a definition' });
      locations.push(...group(file, sorted, []));
      continue;
    }
    locations.push(...group(file, sorted, source.definitions));
  }
  locations.sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.endLine - b.endLine));
  skipped.sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return { locations, skipped };
}

/**
 * The Python files of the base tree as the patch leaves them (the fixed state), for the files it
 * changes and can be applied to: what an image holding a later release of the package would hold.
 */
export function patchedFiles(patch: string, files: WorkspaceFiles): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of parse(patch)) {
    const file = strip(p.oldFileName, 'a/', files);
    if (!file || !file.endsWith('.py') || !files.has(file) || p.hunks.length === 0) continue;
    const fixed = applyPatch(files.get(file)!.toString('utf8'), p);
    if (typeof fixed === 'string') out.set(file, fixed);
  }
  return out;
}

/**
 * Every base-tree path a patch may refer to (old names, with and without git's `a/` prefix): the
 * only files {@link goldLocations} reads. Throws like it on a patch that does not parse.
 */
export function patchPaths(patch: string): string[] {
  const out = new Set<string>();
  for (const p of parse(patch)) {
    for (const name of [p.oldFileName, p.newFileName]) {
      if (!name || name === '/dev/null') continue;
      out.add(name);
      if (/^[ab]\//.test(name)) out.add(name.slice(2));
    }
  }
  return [...out].sort();
}

function parse(patch: string): StructuredPatch[] {
  try {
    return parsePatch(patch);
  } catch (e) {
    throw new ValidationError('patch', [{ path: '', message: `not a unified diff: ${(e as Error).message.trim()}` }]);
  }
}

/** A patch's path in the tree: without git's `a/`/`b/` prefix unless the tree holds the prefixed path. */
function strip(name: string | undefined, prefix: string, files: WorkspaceFiles): string | undefined {
  if (!name || name === '/dev/null') return undefined;
  if (!name.startsWith(prefix)) return name;
  const bare = name.slice(prefix.length);
  return files.has(name) && !files.has(bare) ? name : bare;
}

/**
 * The old-side lines (1-based) a file's hunks remove or change, and both neighbours of each pure
 * insertion, clipped to the file; a string saying why when the hunks do not fit the base text.
 */
function changedLines(p: StructuredPatch, text: string): Set<number> | string {
  const base = text.split('\n');
  if (base[base.length - 1] === '') base.pop();
  const count = base.length;
  const out = new Set<number>();
  const mark = (l: number) => {
    if (l >= 1 && l <= count) out.add(l);
  };
  for (const h of p.hunks) {
    let old = h.oldStart;
    let run: { removed: boolean; at: number } | undefined;
    const endRun = () => {
      // A block of only added lines sits between old lines at-1 and at.
      if (run && !run.removed) {
        mark(run.at - 1);
        mark(run.at);
      }
      run = undefined;
    };
    for (const line of h.lines) {
      const op = line[0];
      if (op === '\\') continue;
      if (op === '+') {
        run ??= { removed: false, at: old };
        continue;
      }
      const content = line.slice(1);
      if (old > count || base[old - 1]!.replace(/\r$/, '') !== content.replace(/\r$/, '')) {
        return `the patch does not match the base tree (line ${old})`;
      }
      if (op === '-') {
        run ??= { removed: true, at: old };
        run.removed = true;
        mark(old);
      } else {
        endRun();
      }
      old++;
    }
    endRun();
  }
  return out;
}

/** Runs of adjacent lines with the same innermost definition (`qualname` absent at module level). */
function group(file: string, lines: number[], defs: Definition[]): Location[] {
  const out: Location[] = [];
  let cur: { def: Definition | undefined; line: number; endLine: number } | undefined;
  const flush = () => {
    if (cur) out.push({ file, ...(cur.def && { qualname: cur.def.qualname }), line: cur.line, endLine: cur.endLine });
  };
  for (const l of lines) {
    const def = innermostDefinition(defs, l);
    if (cur && cur.def === def && l === cur.endLine + 1) {
      cur.endLine = l;
      continue;
    }
    flush();
    cur = { def, line: l, endLine: l };
  }
  flush();
  return out;
}
