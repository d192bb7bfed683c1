import { decodeSource } from '../../analysis/python/read-source.js';
import { parsePythonSource } from '../../analysis/index.js';
import { diffFiles, loadRepoFiles, type WorkspaceFiles } from '../../workspace/files.js';
import { compileDetails, firstCompileError, type ChangedPython } from '../compile-changed.js';
import type { VerifyContext, VerifyResult } from '../define-task.js';
import { markerName, sameName } from './comment.js';
import type { DepSearchInstance, Dependency } from './schema.js';
import { commentView, firstDifference, type CommentView } from '../comment-view.js';

type Where = { file: string; line: number | null };
export type Violation = Where & { kind: 'deleted-file' | 'added-file' | 'non-python-changed' | 'code-changed' | 'not-decodable'; originalLine?: number };
export type Extra = Where & { reason: 'duplicate' | 'misplaced' | 'wrong-name'; comment: string; above?: string };
export type Found = { file: string; qualname: string; line: number };

const label = (d: Pick<Dependency, 'file' | 'qualname'>): string => `${d.file}::${d.qualname}`;

/**
 * Scores the final files: which dependencies carry the comment in the comment block right above
 * their first decorator or `def`/`class` line (found again by qualname), which comments are extra,
 * and whether anything but comments changed. Every changed `.py` file must also compile under
 * CPython 3.11 (`details.compileError` otherwise); `\N{...}` names are looked up through `ctx.run`.
 */
export async function verifyDepSearch(instance: DepSearchInstance, final: WorkspaceFiles, ctx: Partial<VerifyContext> = {}): Promise<VerifyResult> {
  const original = await loadRepoFiles(instance.repo.path);
  const violations: Violation[] = [];
  const views = new Map<string, CommentView>();
  const texts = new Map<string, string>();
  const python: ChangedPython[] = [];

  const decode = (file: string, bytes: Buffer): string | null => {
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
    python.push({ file, after: final.get(file)!, ...(change.change === 'modified' && { before: original.get(file)! }) });
    const text = decode(file, final.get(file)!);
    if (text === null) {
      violations.push({ kind: 'not-decodable', file, line: null });
      continue;
    }
    const view = commentView(text);
    views.set(file, view);
    texts.set(file, text);
    if (change.change === 'modified') {
      const before = decode(file, original.get(file)!);
      const diff = before === null ? { line: 1, originalLine: 1 } : firstDifference(commentView(before).tokens, view.tokens);
      if (diff) violations.push({ kind: 'code-changed', file, line: diff.line, originalLine: diff.originalLine });
    }
  }

  // Rows (0-based) of the comment block right above each definition's anchor, in every changed file.
  const owner = new Map<string, Map<number, string>>();
  const depAt = new Map<string, Dependency>();
  for (const [file, view] of views) {
    const rows = new Map<number, string>();
    for (const d of parsePythonSource(texts.get(file)!, file).definitions) {
      for (let r = d.anchorLine - 2; r >= 0 && view.commentRows.has(r); r--) rows.set(r, label(d));
    }
    owner.set(file, rows);
  }
  for (const d of instance.dependencies) {
    const parsed = views.has(d.file) ? parsePythonSource(texts.get(d.file)!, d.file) : null;
    // Unchanged files keep the original lines; changed ones are searched again by qualname.
    if (!parsed || parsed.find(d.qualname)) depAt.set(label(d), d);
  }

  const found: Found[] = [];
  const extra: Extra[] = [];
  const foundLabels = new Set<string>();
  for (const [file, view] of views) {
    for (const c of view.comments) {
      const name = markerName(c.text);
      if (name === null) continue;
      const where = { file, line: c.row + 1, comment: c.text.trim() };
      if (!sameName(name, instance.target.name)) {
        extra.push({ ...where, reason: 'wrong-name' });
        continue;
      }
      const above = c.ownLine ? owner.get(file)?.get(c.row) : undefined;
      const dep = above ? depAt.get(above) : undefined;
      if (!dep) extra.push({ ...where, reason: 'misplaced', ...(above && { above }) });
      else if (foundLabels.has(above!)) extra.push({ ...where, reason: 'duplicate', above: above! });
      else {
        foundLabels.add(above!);
        found.push({ file, qualname: dep.qualname, line: c.row + 1 });
      }
    }
  }
  const missed = instance.dependencies.filter((d) => !foundLabels.has(label(d))).map((d) => ({ file: d.file, qualname: d.qualname }));

  const tp = found.length;
  const precision = tp + extra.length === 0 ? 0 : tp / (tp + extra.length);
  const recall = tp / instance.dependencies.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const scoring = violations.length === 0 && (instance.reward === 'f1' ? f1 > 0 : missed.length === 0 && extra.length === 0);
  const compile = compileDetails(await firstCompileError(python, ctx.run, { pureOnly: !scoring }));
  const compileError = compile.compileError ?? null;
  const success = violations.length === 0 && compileError === null && missed.length === 0 && extra.length === 0;
  const reward = violations.length > 0 || compileError !== null ? 0 : instance.reward === 'f1' ? f1 : success ? 1 : 0;
  return {
    reward,
    success,
    details: { precision, recall, f1, found, missed, extra, violations, ...compile },
  };
}
