import { diffFiles, type WorkspaceFiles } from '../../workspace/files.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { compileDetails, firstCompileErrorOf } from '../compile-changed.js';
import type { VerifyContext, VerifyResult } from '../define-task.js';
import { ownBytes, runFileJobOffThread } from '../verify-offload.js';
import { asBuffer, verifyLimits, type VerifyLimits } from '../verify-limits.js';
import type { FuncLocalizeInstance } from './schema.js';

export type { Violation } from './check-files.js';

/**
 * Success when every target (found again by qualified name) has a docstring and every other
 * difference from the masked workspace is a comment: code is compared as syntax trees without
 * docstrings and comments, so moved lines and reformatted docstrings do not matter. Every changed
 * `.py` file must also compile under CPython 3.11 (`details.compileError` otherwise); `\N{...}`
 * names are looked up by the sandbox's Python through `ctx.run`.
 *
 * The files are parsed on the verify worker (see verify-offload.ts), only the changed ones and the
 * targets', each text once; a large file only in the top-level blocks that changed. A changed
 * `.py` file over `limits.maxFileBytes` is a violation (`too large to verify`).
 */
export async function verifyFuncLocalize(
  instance: FuncLocalizeInstance,
  final: WorkspaceFiles,
  ctx: Partial<VerifyContext> = {},
  limits: Partial<VerifyLimits> = {},
): Promise<VerifyResult> {
  const original = await repoFiles(instance.repo.path);
  // Masking changes only the targets' files: any other file the agent left as it was is as given.
  const paths = new Set([...diffFiles(original, final).map((d) => d.path), ...instance.targets.map((t) => t.file)]);
  const files = [...paths].map((path) => ({ path, original: ownBytes(original.get(path)), final: ownBytes(final.get(path)) }));
  const found = await runFileJobOffThread({
    task: 'func-localize',
    job: { repoPath: instance.repo.path, targets: instance.targets, files, limits: verifyLimits(limits) },
  });
  const { violations, targets } = found;
  const documented = targets.filter((t) => t.documented).length;
  const python = found.compile.map((c) => ({ file: c.file, after: final.get(c.file)!, ...(c.before && { before: asBuffer(c.before) }), check: c.check }));
  const compile = compileDetails(await firstCompileErrorOf(python, ctx.run, { pureOnly: violations.length > 0 || documented === 0 }));
  const compileError = compile.compileError ?? null;
  const failed = violations.length > 0 || compileError !== null;
  return {
    reward: failed ? 0 : documented / targets.length,
    success: !failed && documented === targets.length,
    details: { targets, violations, ...compile },
  };
}
