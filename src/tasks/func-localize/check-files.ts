import { checkCompiles, compareScans, mergeScans, plainUtf8, scanText, type CompileCheck, type CompileScan } from '../../analysis/python/compile-check.js';
import { parsePython, type ParsedSource } from '../../analysis/python/parser.js';
import { definitionsOf, sourceOf, strippedOf } from '../../analysis/python/source.js';
import type { Definition, Docstring } from '../../analysis/types.js';
import { HybridGymError } from '../../errors.js';
import { contentHash } from '../../util/disk-cache.js';
import { diffFiles, type WorkspaceFiles } from '../../workspace/files.js';
import { firstDifferentLine } from '../first-different-line.js';
import { alignBlocks, blocksOf, type Block, type Segment } from '../python-blocks.js';
import { jobWorkspaces, tooLargeProblem, type JobFile, type VerifyLimits } from '../verify-limits.js';
import { removeDocstrings, type DocstringSpan } from './mask.js';
import type { FuncLocalizeTarget } from './schema.js';

export interface Violation {
  file: string;
  line?: number;
  problem: string;
}

export interface TargetVerdict {
  file: string;
  qualname: string;
  documented: boolean;
  line?: number;
  reason?: string;
}

/** What the verifier needs from the files: the changed ones and the targets' (all others are equal to the original). */
export interface FuncLocalizeJob {
  repoPath: string;
  targets: FuncLocalizeTarget[];
  /** Original bytes (none when the file was added) and final bytes (none when deleted). */
  files: JobFile[];
  limits: VerifyLimits;
}

/** A changed `.py` file's pure compile check; `before` (the masked file) is given back when the interpreter must judge. */
export interface FileCompileCheck {
  file: string;
  check: CompileCheck;
  before?: Uint8Array;
}

export interface FuncLocalizeFindings {
  violations: Violation[];
  targets: TargetVerdict[];
  compile: FileCompileCheck[];
}

/** A target in its masked file: the masked line of its `def`/`class`. */
interface MaskedTarget {
  index: number;
  target: FuncLocalizeTarget;
  line: number;
}

/**
 * The file work of the func-localize verifier, for a worker or the calling thread: masks the
 * targets' files again, compares every changed file with the masked one (each text parsed once; a
 * large file only in the top-level blocks that changed), finds the targets again, and runs the
 * pure compile check.
 */
export function checkFuncLocalizeFiles(job: FuncLocalizeJob): FuncLocalizeFindings {
  const { limits } = job;
  const { original, final } = jobWorkspaces(job.files);
  const byFile = new Map<string, Array<{ index: number; target: FuncLocalizeTarget }>>();
  job.targets.forEach((target, index) => byFile.set(target.file, [...(byFile.get(target.file) ?? []), { index, target }]));

  const masked: WorkspaceFiles = new Map(original);
  const maskedTargets = new Map<string, MaskedTarget[]>();
  for (const [file, ts] of byFile) {
    const content = original.get(file);
    if (!content) throw new HybridGymError('TARGET_MISSING', `${job.repoPath}: ${file} is gone; regenerate the instances`);
    const m = maskFile(file, content.toString('utf8'), ts, limits);
    masked.set(file, Buffer.from(m.text, 'utf8'));
    maskedTargets.set(file, m.targets);
  }

  const verdicts: TargetVerdict[] = job.targets.map((t) => ({ file: t.file, qualname: t.qualname, documented: false, reason: 'file missing' }));
  const violations: Violation[] = [];
  const compile: FileCompileCheck[] = [];
  const changed = new Set<string>();
  for (const { path, change } of diffFiles(masked, final)) {
    changed.add(path);
    const here = maskedTargets.get(path) ?? [];
    const after = final.get(path);
    const before = masked.get(path);
    const size = Math.max(after?.length ?? 0, before?.length ?? 0);
    if (change === 'deleted') {
      violations.push({ file: path, problem: 'file deleted' });
      continue;
    }
    if (path.endsWith('.py') && size > limits.maxFileBytes) {
      violations.push({ file: path, problem: tooLargeProblem(size, limits) });
      for (const t of here) verdicts[t.index] = { file: path, qualname: t.target.qualname, documented: false, reason: 'file too large to verify' };
      continue;
    }
    if (change === 'added') {
      const code = path.endsWith('.py') && isCode(after!.toString('utf8'));
      violations.push({ file: path, problem: code ? 'new file with code' : 'new file (only docstrings and comments may change)' });
    } else if (!path.endsWith('.py')) {
      violations.push({ file: path, problem: 'a file that is not Python changed' });
    } else {
      const r = compareFile(path, before!, after!, here, limits);
      violations.push(...r.violations);
      for (const [index, v] of r.targets) verdicts[index] = v;
      const pending = r.compile.ok === 'interpreter' || (r.compile.ok === true && r.compile.names.length > 0);
      compile.push({ file: path, check: r.compile, ...(pending && { before: before! }) });
      continue;
    }
    if (path.endsWith('.py')) {
      const check = checkCompiles(after!);
      compile.push({ file: path, check });
    }
  }
  // Target files the agent did not change: the masked definition, where masking left it.
  for (const [file, ts] of maskedTargets) {
    if (changed.has(file)) continue;
    for (const t of ts) verdicts[t.index] = { file, qualname: t.target.qualname, documented: false, line: t.line, reason: 'no docstring' };
  }
  return { violations, targets: verdicts, compile };
}

/** `text` with every docstring's literal blanked, its line breaks kept: every line keeps its number. */
function blankDocstrings(text: string, source: { definitions: Definition[]; moduleDocstring?: Docstring | null }): string {
  const spans = [source.moduleDocstring, ...source.definitions.map((d) => d.docstring)]
    .filter((d): d is Docstring => !!d)
    .sort((x, y) => x.startIndex - y.startIndex);
  let out = '';
  let at = 0;
  for (const d of spans) {
    if (d.startIndex < at) continue;
    out += text.slice(at, d.startIndex) + text.slice(d.startIndex, d.endIndex).replace(/[^\n]/g, '');
    at = d.endIndex;
  }
  return out + text.slice(at);
}

/** A new file holds code: it parses and has more than docstrings and comments. */
function isCode(text: string): boolean {
  const parsed = parsePython(text);
  return !parsed.hasErrors && codeOf(parsed) !== '';
}

/** The code of a text as a syntax tree without docstrings and comments; a lone `pass` equals an empty body. */
function codeOf(parsed: ParsedSource): string {
  return strippedOf(parsed).replace(/\{ pass \n \}/g, '{ }').trim();
}

const verdictOf = (file: string, t: FuncLocalizeTarget, def: Definition | undefined): TargetVerdict => {
  if (!def) return { file, qualname: t.qualname, documented: false, reason: 'definition not found' };
  const documented = def.docstring !== null && def.docstring.cleaned.trim() !== '';
  return documented ? { file, qualname: t.qualname, documented, line: def.docstring!.line } : { file, qualname: t.qualname, documented, line: def.line, reason: 'no docstring' };
};

// ---- Masking ----

/** The targets' docstrings removed from their file, as `maskedWorkspace` does, and where each target then is. */
function maskFile(file: string, text: string, targets: Array<{ index: number; target: FuncLocalizeTarget }>, limits: VerifyLimits): { text: string; targets: MaskedTarget[] } {
  const found = (text.length > limits.blockChars && findInBlocks(text, targets)) || findWhole(file, text, targets);
  const spans: DocstringSpan[] = found.map(({ def }) => ({ startIndex: def.docstring!.startIndex, endIndex: def.docstring!.endIndex, only: def.docstringOnly }));
  // Lines each removal takes out (a docstring that was the whole body leaves a `pass` line).
  const removed = found.map(({ def }) => ({ line: def.docstring!.line, count: def.docstring!.endLine - def.docstring!.line + 1 - (def.docstringOnly ? 1 : 0) }));
  return {
    text: removeDocstrings(text, spans),
    targets: found.map(({ index, target, def }) => ({
      index,
      target,
      line: def.line - removed.filter((r) => r.line < def.line).reduce((n, r) => n + r.count, 0),
    })),
  };
}

type Found = { index: number; target: FuncLocalizeTarget; def: Definition };

function checkMaskable(file: string, t: FuncLocalizeTarget, def: Definition | undefined): Definition {
  if (!def?.docstring || def.docstring.literal !== t.docstring.text) {
    throw new HybridGymError('TARGET_MISSING', `${file}: ${t.qualname} or its docstring changed since generation; regenerate the instances`);
  }
  return def;
}

/** `findTarget` for every target of the file, from one parse. */
function findWhole(file: string, text: string, targets: Array<{ index: number; target: FuncLocalizeTarget }>): Found[] {
  const defs = definitionsOf(text, file);
  return targets.map(({ index, target }) => ({ index, target, def: checkMaskable(file, target, defs.filter((d) => d.qualname === target.qualname)[target.occurrence]) }));
}

/**
 * Each target in the top-level block holding its line, parsed alone: the definition with its
 * qualname on its line, with its docstring as generated. False when one is not found so (the
 * whole file decides then).
 */
function findInBlocks(text: string, targets: Array<{ index: number; target: FuncLocalizeTarget }>): Found[] | false {
  const blocks = blocksOf(text);
  if (blocks.length < 2) return false;
  const parsed = new Map<Block, Definition[]>();
  const out: Found[] = [];
  for (const { index, target } of targets) {
    const block = blockAt(blocks, target.line - 1);
    let defs = parsed.get(block);
    if (!defs) {
      const p = parsePython(block.text);
      if (p.hasErrors) return false;
      defs = sourceOf(p).definitions.map((d) => shiftDefinition(d, block));
      parsed.set(block, defs);
    }
    const def = defs.find((d) => d.qualname === target.qualname && d.line === target.line);
    if (!def?.docstring || def.docstring.literal !== target.docstring.text) return false;
    out.push({ index, target, def });
  }
  return out;
}

/** The last block starting at or before a 0-based row. */
function blockAt<T extends { row: number }>(blocks: T[], row: number): T {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid]!.row <= row) lo = mid;
    else hi = mid - 1;
  }
  return blocks[lo]!;
}

/** A definition found in a block, with lines and offsets of the whole file. */
function shiftDefinition(d: Definition, block: Block): Definition {
  const doc = d.docstring && {
    ...d.docstring,
    line: d.docstring.line + block.row,
    endLine: d.docstring.endLine + block.row,
    startIndex: d.docstring.startIndex + block.start,
    endIndex: d.docstring.endIndex + block.start,
  };
  return {
    ...d,
    line: d.line + block.row,
    anchorLine: d.anchorLine + block.row,
    endLine: d.endLine + block.row,
    bodyLine: d.bodyLine + block.row,
    startIndex: d.startIndex + block.start,
    endIndex: d.endIndex + block.start,
    docstring: doc,
  };
}

// ---- Comparing a changed file with its masked version ----

interface FileComparison {
  violations: Violation[];
  targets: Map<number, TargetVerdict>;
  compile: CompileCheck;
}

function compareFile(file: string, beforeBytes: Buffer, afterBytes: Buffer, targets: MaskedTarget[], limits: VerifyLimits): FileComparison {
  const before = beforeBytes.toString('utf8');
  const after = afterBytes.toString('utf8');
  if (Math.max(before.length, after.length) > limits.blockChars) {
    const segments = alignBlocks(before, after);
    if (segments.length > 1) return compareSegments(file, segments, targets, plainUtf8(beforeBytes) && plainUtf8(afterBytes) ? undefined : [afterBytes, beforeBytes]);
  }
  return compareWhole(file, before, after, targets, afterBytes, beforeBytes);
}

/** What the comparison reads of the file as the agent got it: the same for every episode of an instance. */
interface Before {
  hasErrors: boolean;
  code: string;
  source: ReturnType<typeof sourceOf>;
}

const befores = new Map<string, Before>();

/** The masked original's parse, the last few remembered (an instance's episodes share it). */
function beforeOf(file: string, text: string): Before {
  const key = `${file}\0${contentHash(text)}`;
  let b = befores.get(key);
  if (b) befores.delete(key);
  else {
    const pb = parsePython(text);
    b = { hasErrors: pb.hasErrors, code: pb.hasErrors ? '' : codeOf(pb), source: sourceOf(pb, file) };
    if (befores.size >= 16) befores.delete(befores.keys().next().value!);
  }
  befores.set(key, b);
  return b;
}

/** The whole texts, each parsed once (the masked original once per instance). */
function compareWhole(file: string, before: string, after: string, targets: MaskedTarget[], afterBytes: Buffer, beforeBytes: Buffer): FileComparison {
  const pb = beforeOf(file, before);
  const pa = parsePython(after);
  const a = sourceOf(pa, file);
  const found = new Map<number, TargetVerdict>();
  for (const { index, target } of targets) found.set(index, verdictOf(file, target, a.definitions.filter((d) => d.qualname === target.qualname)[target.occurrence]));
  const result = (violations: Violation[]): FileComparison => ({ violations, targets: found, compile: checkCompiles(afterBytes, beforeBytes) });
  // A file that never parsed (Python 2 leftovers) is compared as text minus comment lines instead.
  if (pb.hasErrors) {
    return result(firstDifferentLine(before, after, true) === 0 ? [] : [{ file, line: firstDifferentLine(before, after), problem: 'a file that does not parse changed' }]);
  }
  if (pa.hasErrors) return result([{ file, line: firstDifferentLine(before, after), problem: 'the file is no longer valid Python' }]);
  const out: Violation[] = [];
  const b = pb.source;
  if (pb.code !== codeOf(pa)) {
    // Reported at the first line whose code differs: docstrings (the agent's own work) do not count.
    out.push({ file, line: firstDifferentLine(blankDocstrings(before, b), blankDocstrings(after, a)), problem: 'code changed (only docstrings and comments may change)' });
  }
  if ((b.moduleDocstring?.literal ?? null) !== (a.moduleDocstring?.literal ?? null)) {
    out.push({ file, line: a.moduleDocstring?.line ?? 1, problem: 'the module docstring changed' });
  }
  const keys = new Set(targets.map((t) => `${t.target.qualname}#${t.target.occurrence}`));
  out.push(...docstringChanges(file, b.definitions, a.definitions, (qualname, k) => keys.has(`${qualname}#${k}`), 0));
  return result(out);
}

/**
 * Docstrings added, removed or changed on definitions that are not targets. Redefinitions share a
 * qualname (typing.overload stubs): they are paired by their order of appearance.
 */
function docstringChanges(file: string, before: Definition[], after: Definition[], isTarget: (qualname: string, k: number) => boolean, row: number): Violation[] {
  const out: Violation[] = [];
  const beforeDocs = new Map<string, Array<string | null>>();
  for (const d of before) beforeDocs.set(d.qualname, [...(beforeDocs.get(d.qualname) ?? []), d.docstring?.literal ?? null]);
  const seen = new Map<string, number>();
  for (const d of after) {
    const k = seen.get(d.qualname) ?? 0;
    seen.set(d.qualname, k + 1);
    if (isTarget(d.qualname, k)) continue;
    const was = beforeDocs.get(d.qualname)?.[k] ?? null;
    const now = d.docstring?.literal ?? null;
    if (was !== now) {
      out.push({ file, line: (d.docstring?.line ?? d.line) + row, problem: `docstring of ${d.qualname} ${was === null ? 'added' : now === null ? 'removed' : 'changed'}, but it is not a target` });
    }
  }
  return out;
}

/**
 * A large file, block by block: only the segments that changed are parsed (each side once) and
 * compared as the whole files would be; a target in an unchanged block is still masked. The
 * compile check scans the changed segments only when both files are plain UTF-8 (`bytes` is set
 * otherwise: the whole files are checked).
 */
function compareSegments(file: string, segments: Segment[], targets: MaskedTarget[], bytes: [Buffer, Buffer] | undefined): FileComparison {
  const out: Violation[] = [];
  const found = new Map<number, TargetVerdict>();
  let codeReported = false;
  const scans: { after: CompileScan[]; before: CompileScan[] } = { after: [], before: [] };
  const targetAt = new Map<string, MaskedTarget>();
  for (const t of targets) targetAt.set(`${t.target.qualname}@${t.line}`, t);
  segments.forEach((s, i) => {
    if (s.same) {
      const end = segments[i + 1]?.before.row ?? Infinity;
      for (const t of targets) {
        if (t.line - 1 >= s.before.row && t.line - 1 < end && !found.has(t.index)) {
          found.set(t.index, { file, qualname: t.target.qualname, documented: false, line: t.line - s.before.row + s.after.row, reason: 'no docstring' });
        }
      }
      return;
    }
    if (!bytes) {
      scans.after.push(scanText(s.after.text, s.after.row));
      scans.before.push(scanText(s.before.text, s.before.row));
    }
    const pb = parsePython(s.before.text);
    const pa = parsePython(s.after.text);
    const sb = sourceOf(pb, file);
    const sa = sourceOf(pa, file);
    const b = sb.definitions;
    const a = sa.definitions;
    // Targets of this segment: the before definition on the target's masked line, and the after one paired with it.
    const isTarget = new Set<string>();
    const kOf = new Map<string, number>();
    for (const d of b) {
      const k = kOf.get(d.qualname) ?? 0;
      kOf.set(d.qualname, k + 1);
      const t = targetAt.get(`${d.qualname}@${d.line + s.before.row}`);
      if (!t) continue;
      isTarget.add(`${d.qualname}#${k}`);
      const paired = a.filter((x) => x.qualname === d.qualname)[k];
      found.set(t.index, verdictOf(file, t.target, paired && shiftDefinition(paired, s.after)));
    }
    const line = (): number => firstDifferentLine(s.before.text, s.after.text) + s.after.row;
    if (pb.hasErrors) {
      if (!codeReported && firstDifferentLine(s.before.text, s.after.text, true) !== 0) {
        out.push({ file, line: line(), problem: 'a file that does not parse changed' });
        codeReported = true;
      }
      return;
    }
    if (pa.hasErrors) {
      if (!codeReported) out.push({ file, line: line(), problem: 'the file is no longer valid Python' });
      codeReported = true;
      return;
    }
    if (!codeReported && codeOf(pb) !== codeOf(pa)) {
      out.push({ file, line: line(), problem: 'code changed (only docstrings and comments may change)' });
      codeReported = true;
    }
    if (s.before.start === 0 && s.after.start === 0) {
      const mb = sb.moduleDocstring;
      const ma = sa.moduleDocstring;
      if ((mb?.literal ?? null) !== (ma?.literal ?? null)) out.push({ file, line: (ma?.line ?? 1) + s.after.row, problem: 'the module docstring changed' });
    }
    out.push(...docstringChanges(file, b, a, (qualname, k) => isTarget.has(`${qualname}#${k}`), s.after.row));
  });
  for (const t of targets) if (!found.has(t.index)) found.set(t.index, { file, qualname: t.target.qualname, documented: false, reason: 'definition not found' });
  const compile = bytes ? checkCompiles(bytes[0], bytes[1]) : compareScans(mergeScans(scans.after), mergeScans(scans.before));
  return { violations: out, targets: found, compile };
}

