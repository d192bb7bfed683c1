import type { WorkspaceFiles } from '../../workspace/files.js';
import { codeEnd, functionBodies } from '../func-gen/body.js';
import { normalizeAnswerText, type ImageContents } from '../image-contents.js';
import { patchedFiles } from './patch-locations.js';
import type { Location } from './schema.js';

/**
 * The first gold function whose fixed body (the patch applied) the image holds while the base
 * differs from it: an installed later release of the package would show the fix to a `diff`.
 * Returns `file:qualname`, or null.
 */
export function fixInImage(patch: string, base: WorkspaceFiles, locations: readonly Location[], contents: ImageContents): string | null {
  const fixed = patchedFiles(patch, base);
  for (const loc of locations) {
    const after = fixed.get(loc.file);
    if (!loc.qualname || after === undefined) continue;
    const was = bodyOf(base.get(loc.file)!.toString('utf8'), loc.file, loc.qualname);
    const now = bodyOf(after, loc.file, loc.qualname);
    if (now !== null && now !== was && contents.hasBody(now)) return `${loc.file}:${loc.qualname}`;
  }
  return null;
}

/** A function's body code (first to last statement), whitespace collapsed as the image manifest has it; null when absent. */
function bodyOf(text: string, file: string, qualname: string): string | null {
  const fn = functionBodies(text, file).functions.filter((f) => f.definition.qualname === qualname).pop();
  const first = fn?.statements[0];
  const last = fn?.statements[fn.statements.length - 1];
  return first && last ? normalizeAnswerText(text.slice(first.start, codeEnd(last))) : null;
}
