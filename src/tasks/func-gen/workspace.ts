import { HybridGymError } from '../../errors.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { maskFunctionBody, type MaskResult } from './mask.js';
import type { FuncGenInstance, FuncGenTarget } from './schema.js';

type Masked = Extract<MaskResult, { ok: true }>;

/**
 * Masks the target in the original file and checks that the repository has not changed since the
 * instance was made: the body must still be the gold one, where the instance says it is.
 */
export function maskTarget(original: WorkspaceFiles, target: FuncGenTarget, repoPath: string): Masked {
  const content = original.get(target.file);
  if (!content) throw new HybridGymError('TARGET_MISSING', `${repoPath}: ${target.file} is gone; regenerate the instances`);
  const masked = maskFunctionBody(content.toString('utf8'), target);
  if (!masked.ok) throw new HybridGymError('TARGET_MISSING', `${repoPath}: ${masked.detail}; regenerate the instances`);
  if (masked.body.text !== target.body.text || masked.body.line !== target.body.line) {
    throw new HybridGymError('TARGET_MISSING', `${target.file}: the body of ${target.qualname} changed since generation; regenerate the instances`);
  }
  return masked;
}

/** The repository with the target's body replaced by the placeholder: what the agent sees. */
export async function funcGenWorkspace(instance: FuncGenInstance): Promise<WorkspaceFiles> {
  const original = await repoFiles(instance.repo.path);
  const files: WorkspaceFiles = new Map(original);
  files.set(instance.target.file, Buffer.from(maskTarget(original, instance.target, instance.repo.path).masked, 'utf8'));
  return files;
}

/** The masked target file's text (for the prompt, the oracle and the verifier). */
export async function maskedTargetFile(instance: FuncGenInstance): Promise<Masked> {
  return maskTarget(await repoFiles(instance.repo.path), instance.target, instance.repo.path);
}
