import { definitionsOf } from '../../analysis/python/source.js';
import type { Definition } from '../../analysis/types.js';
import { HybridGymError } from '../../errors.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { repoFiles } from '../../workspace/repo-cache.js';
import { removeDocstrings, type DocstringSpan } from './mask.js';
import type { FuncLocalizeInstance, FuncLocalizeTarget } from './schema.js';

/** The target's definition in a source text: the `occurrence`-th definition with its qualified name. */
export function findTarget(text: string, target: Pick<FuncLocalizeTarget, 'file' | 'qualname' | 'occurrence'>): Definition | undefined {
  return definitionsOf(text, target.file).filter((d) => d.qualname === target.qualname)[target.occurrence];
}

/** The repository with every target's docstring removed: what the agent sees. */
export async function maskedWorkspace(
  repoPath: string,
  targets: readonly FuncLocalizeTarget[],
  base?: WorkspaceFiles,
): Promise<{ files: WorkspaceFiles }> {
  const original = base ?? (await repoFiles(repoPath));
  const files: WorkspaceFiles = new Map(original);
  const byFile = new Map<string, FuncLocalizeTarget[]>();
  for (const t of targets) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  for (const [file, ts] of byFile) {
    const content = original.get(file);
    if (!content) throw new HybridGymError('TARGET_MISSING', `${repoPath}: ${file} is gone; regenerate the instances`);
    const text = content.toString('utf8');
    const spans: DocstringSpan[] = ts.map((t) => {
      const def = findTarget(text, t);
      if (!def?.docstring || def.docstring.literal !== t.docstring.text) {
        throw new HybridGymError('TARGET_MISSING', `${file}: ${t.qualname} or its docstring changed since generation; regenerate the instances`);
      }
      return { startIndex: def.docstring.startIndex, endIndex: def.docstring.endIndex, only: def.docstringOnly };
    });
    files.set(file, Buffer.from(removeDocstrings(text, spans), 'utf8'));
  }
  return { files };
}

/** The text inside a string literal's quotes. */
export function literalBody(literal: string): string {
  const m = /^[A-Za-z]*("""|'''|"|')([\s\S]*)\1$/.exec(literal);
  return m ? m[2]! : literal;
}

/** Whether any file of the masked workspace still contains a target's docstring. */
export function leaksAnswer(masked: WorkspaceFiles, targets: readonly FuncLocalizeTarget[]): boolean {
  const needles = targets.map((t) => literalBody(t.docstring.text).trim()).filter((s) => s.length > 0);
  for (const content of masked.values()) {
    if (content.includes(0)) continue;
    const text = content.toString('utf8');
    if (needles.some((n) => text.includes(n))) return true;
  }
  return false;
}

export async function funcLocalizeWorkspace(instance: FuncLocalizeInstance): Promise<WorkspaceFiles> {
  return (await maskedWorkspace(instance.repo.path, instance.targets)).files;
}
