import { diffFiles, type WorkspaceFiles } from '../../workspace/files.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { compileDetails, firstCompileErrorOf } from '../compile-changed.js';
import type { VerifyContext, VerifyResult } from '../define-task.js';
import { ownBytes, runFileJobOffThread } from '../verify-offload.js';
import { verifyLimits, type VerifyLimits } from '../verify-limits.js';
import { markerName, sameName } from './comment.js';
import type { DepSearchInstance, Dependency } from './schema.js';

export type { Violation } from './check-files.js';
export type Extra = { file: string; line: number | null; reason: 'duplicate' | 'misplaced' | 'wrong-name'; comment: string; above?: string };
export type Found = { file: string; qualname: string; line: number };

const label = (d: Pick<Dependency, 'file' | 'qualname'>): string => `${d.file}::${d.qualname}`;

/**
 * Scores the final files: which dependencies carry the comment in the comment block right above
 * their first decorator or `def`/`class` line (found again by qualname), which comments are extra,
 * and whether anything but comments changed. Every changed `.py` file must also compile under
 * CPython 3.11 (`details.compileError` otherwise); `\N{...}` names are looked up through `ctx.run`.
 *
 * The changed files are parsed on the verify worker (see verify-offload.ts), each text once; a
 * large file only in the top-level blocks that changed or hold a marker. A changed `.py` file over
 * `limits.maxFileBytes` is a violation (`too-large`).
 */
export async function verifyDepSearch(
  instance: DepSearchInstance,
  final: WorkspaceFiles,
  ctx: Partial<VerifyContext> = {},
  limits: Partial<VerifyLimits> = {},
): Promise<VerifyResult> {
  const original = await repoFiles(instance.repo.path);
  const files = diffFiles(original, final).map(({ path }) => ({ path, original: ownBytes(original.get(path)), final: ownBytes(final.get(path)) }));
  const { violations, markers, compile: checks } = await runFileJobOffThread({ task: 'dep-search', job: { files, limits: verifyLimits(limits) } });

  // A marker's owner is a definition of the final file, so every dependency can be looked up by label.
  const depAt = new Map(instance.dependencies.map((d) => [label(d), d]));
  const found: Found[] = [];
  const extra: Extra[] = [];
  const foundLabels = new Set<string>();
  for (const c of markers) {
    const name = markerName(c.text)!;
    const where = { file: c.file, line: c.row + 1, comment: c.text.trim() };
    if (!sameName(name, instance.target.name)) {
      extra.push({ ...where, reason: 'wrong-name' });
      continue;
    }
    const above = c.ownLine ? c.owner : undefined;
    const dep = above ? depAt.get(above) : undefined;
    if (!dep) extra.push({ ...where, reason: 'misplaced', ...(above && { above }) });
    else if (foundLabels.has(above!)) extra.push({ ...where, reason: 'duplicate', above: above! });
    else {
      foundLabels.add(above!);
      found.push({ file: c.file, qualname: dep.qualname, line: c.row + 1 });
    }
  }
  const missed = instance.dependencies.filter((d) => !foundLabels.has(label(d))).map((d) => ({ file: d.file, qualname: d.qualname }));

  const tp = found.length;
  const precision = tp + extra.length === 0 ? 0 : tp / (tp + extra.length);
  const recall = tp / instance.dependencies.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const scoring = violations.length === 0 && (instance.reward === 'f1' ? f1 > 0 : missed.length === 0 && extra.length === 0);
  const python = checks.map((c) => ({ file: c.file, after: final.get(c.file)!, ...(original.has(c.file) && { before: original.get(c.file)! }), check: c.check }));
  const compile = compileDetails(await firstCompileErrorOf(python, ctx.run, { pureOnly: !scoring }));
  const compileError = compile.compileError ?? null;
  const success = violations.length === 0 && compileError === null && missed.length === 0 && extra.length === 0;
  const reward = violations.length > 0 || compileError !== null ? 0 : instance.reward === 'f1' ? f1 : success ? 1 : 0;
  return {
    reward,
    success,
    details: { precision, recall, f1, found, missed, extra, violations, ...compile },
  };
}
