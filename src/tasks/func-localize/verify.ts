import { hasSyntaxErrors, parsePythonSource, stripDocstringsAndComments } from '../../analysis/index.js';
import { diffFiles, type WorkspaceFiles } from '../../workspace/files.js';
import { compileDetails, firstCompileError, type ChangedPython } from '../compile-changed.js';
import type { VerifyContext, VerifyResult } from '../define-task.js';
import { firstDifferentLine } from '../first-different-line.js';
import type { FuncLocalizeInstance } from './schema.js';
import { findTarget, funcLocalizeWorkspace } from './workspace.js';

export interface Violation {
  file: string;
  line?: number;
  problem: string;
}

/**
 * Success when every target (found again by qualified name) has a docstring and every other
 * difference from the masked workspace is a comment: code is compared as syntax trees without
 * docstrings and comments, so moved lines and reformatted docstrings do not matter. Every changed
 * `.py` file must also compile under CPython 3.11 (`details.compileError` otherwise); `\N{...}`
 * names are looked up by the sandbox's Python through `ctx.run`.
 */
export async function verifyFuncLocalize(instance: FuncLocalizeInstance, final: WorkspaceFiles, ctx: Partial<VerifyContext> = {}): Promise<VerifyResult> {
  const masked = await funcLocalizeWorkspace(instance);
  const targetKeys = new Set(instance.targets.map((t) => `${t.file}::${t.qualname}#${t.occurrence}`));
  const violations: Violation[] = [];
  const python: ChangedPython[] = [];
  for (const { path, change } of diffFiles(masked, final)) {
    if (change !== 'deleted' && path.endsWith('.py')) python.push({ file: path, after: final.get(path)!, ...(change === 'modified' && { before: masked.get(path)! }) });
    if (change === 'deleted') violations.push({ file: path, problem: 'file deleted' });
    else if (change === 'added') {
      const text = final.get(path)!.toString('utf8');
      const code = path.endsWith('.py') && !hasSyntaxErrors(text) && codeOf(text) !== '';
      violations.push({ file: path, problem: code ? 'new file with code' : 'new file (only docstrings and comments may change)' });
    } else if (!path.endsWith('.py')) {
      violations.push({ file: path, problem: 'a file that is not Python changed' });
    } else {
      violations.push(...comparePython(path, masked.get(path)!.toString('utf8'), final.get(path)!.toString('utf8'), targetKeys));
    }
  }

  const targets = instance.targets.map((t) => {
    const text = final.get(t.file)?.toString('utf8');
    if (text === undefined) return { file: t.file, qualname: t.qualname, documented: false, reason: 'file missing' };
    const def = findTarget(text, t);
    if (!def) return { file: t.file, qualname: t.qualname, documented: false, reason: 'definition not found' };
    const documented = def.docstring !== null && def.docstring.cleaned.trim() !== '';
    return documented
      ? { file: t.file, qualname: t.qualname, documented, line: def.docstring!.line }
      : { file: t.file, qualname: t.qualname, documented, line: def.line, reason: 'no docstring' };
  });
  const documented = targets.filter((t) => t.documented).length;
  const compile = compileDetails(await firstCompileError(python, ctx.run, { pureOnly: violations.length > 0 || documented === 0 }));
  const compileError = compile.compileError ?? null;
  const failed = violations.length > 0 || compileError !== null;
  return {
    reward: failed ? 0 : documented / targets.length,
    success: !failed && documented === targets.length,
    details: { targets, violations, ...compile },
  };
}

/** The code of a file as a syntax tree without docstrings and comments; a lone `pass` equals an empty body. */
function codeOf(text: string): string {
  return stripDocstringsAndComments(text).replace(/\{ pass \n \}/g, '{ }').trim();
}

function comparePython(file: string, before: string, after: string, targets: Set<string>): Violation[] {
  // A file that never parsed (Python 2 leftovers) is compared as text minus comment lines instead.
  if (hasSyntaxErrors(before)) {
    return firstDifferentLine(before, after, true) === 0 ? [] : [{ file, line: firstDifferentLine(before, after), problem: 'a file that does not parse changed' }];
  }
  if (hasSyntaxErrors(after)) return [{ file, line: firstDifferentLine(before, after), problem: 'the file is no longer valid Python' }];
  const out: Violation[] = [];
  if (codeOf(before) !== codeOf(after)) out.push({ file, line: firstDifferentLine(before, after), problem: 'code changed (only docstrings and comments may change)' });
  const b = parsePythonSource(before, file);
  const a = parsePythonSource(after, file);
  if ((b.moduleDocstring?.literal ?? null) !== (a.moduleDocstring?.literal ?? null)) {
    out.push({ file, line: a.moduleDocstring?.line ?? 1, problem: 'the module docstring changed' });
  }
  // Redefinitions share a qualname (typing.overload stubs): pair them by their order of appearance.
  const beforeDocs = new Map<string, Array<string | null>>();
  for (const d of b.definitions) beforeDocs.set(d.qualname, [...(beforeDocs.get(d.qualname) ?? []), d.docstring?.literal ?? null]);
  const seen = new Map<string, number>();
  for (const d of a.definitions) {
    const k = seen.get(d.qualname) ?? 0;
    seen.set(d.qualname, k + 1);
    if (targets.has(`${file}::${d.qualname}#${k}`)) continue;
    const was = beforeDocs.get(d.qualname)?.[k] ?? null;
    const now = d.docstring?.literal ?? null;
    if (was !== now) {
      out.push({ file, line: d.docstring?.line ?? d.line, problem: `docstring of ${d.qualname} ${was === null ? 'added' : now === null ? 'removed' : 'changed'}, but it is not a target` });
    }
  }
  return out;
}
