import createDebug from 'debug';
import type Docker from 'dockerode';
import { EngineUnavailableError, NoInstancesError } from '../errors.js';
import { DEFAULT_IMAGE } from '../image/default-image.js';
import { hostManifest, imageManifest, indexManifest, type ImageManifest } from '../image/manifest.js';
import { answerHash, type DroppedTargets, type ImageContents } from '../tasks/image-contents.js';

const debug = createDebug('hybrid-gym:generate');

/** What a manifest holds, in the tasks layer's terms; `name` is how messages call the image. */
export function imageContentsFromManifest(manifest: ImageManifest, name: string = manifest.image): ImageContents {
  const index = indexManifest(manifest);
  return {
    name,
    hasDocstring: (normalized) => index.docstring(answerHash(normalized)) !== undefined,
    hasBody: (normalized) => index.body(answerHash(normalized)) !== undefined,
    docstringLocation: (normalized) => index.docstring(answerHash(normalized)),
    definitionIn: (file, qualname) => index.definitionIn(file, qualname),
  };
}

/** Where the episodes will run, for {@link episodeImageContents}. */
export interface EpisodeImage {
  sandbox: 'docker' | 'local';
  /** The docker image. @default DEFAULT_IMAGE */
  image?: string | undefined;
  docker?: Docker | undefined;
  cacheDir?: string | undefined;
  onProgress?: (line: string) => void;
}

/**
 * The contents of the image episodes will use: the manifest of the docker image (made and cached
 * on first use), or, with the `local` sandbox, of the host's Python (the agent reads the host's
 * files there). Throws EngineUnavailableError when no engine answers.
 */
export async function episodeImageContents(where: EpisodeImage): Promise<ImageContents> {
  if (where.sandbox === 'local') {
    const manifest = await hostManifest({ cacheDir: where.cacheDir, onProgress: where.onProgress });
    return imageContentsFromManifest(manifest);
  }
  const image = where.image ?? DEFAULT_IMAGE;
  const manifest = await imageManifest(image, { docker: where.docker, cacheDir: where.cacheDir, onProgress: where.onProgress });
  return imageContentsFromManifest(manifest, image);
}

/** One line for a drop report: `dropped 9 targets: docstring in image hybrid-gym/sandbox:0.1.0-1 (e.g. decoder.py:py_scanstring)`. */
export function describeDropped(d: DroppedTargets): string {
  const example = d.examples[0] ? ` (e.g. ${d.examples[0]})` : '';
  return `${d.task}: dropped ${d.count} target${d.count === 1 ? '' : 's'}: ${d.reason}${example}`;
}

/** Collects drop reports and logs them (DEBUG=hybrid-gym:generate). */
export function dropCollector(forward?: (d: DroppedTargets) => void): { dropped: DroppedTargets[]; onDropped: (d: DroppedTargets) => void } {
  const dropped: DroppedTargets[] = [];
  return {
    dropped,
    onDropped: (d) => {
      dropped.push(d);
      debug('%s', describeDropped(d));
      forward?.(d);
    },
  };
}

/**
 * A NoInstancesError that also names the targets dropped because the image holds their answers
 * (the per-file explanation alone would call those files "passed over by the rules").
 */
export function withDropped(error: NoInstancesError, dropped: readonly DroppedTargets[]): NoInstancesError {
  if (dropped.length === 0) return error;
  const reasons: Record<string, number> = { ...error.reasons };
  for (const d of dropped) reasons[`targets with their ${d.reason}`] = (reasons[`targets with their ${d.reason}`] ?? 0) + d.count;
  return new NoInstancesError(error.task, error.repo, error.pythonFiles, reasons);
}

/** Whether an error means that no engine answered (the image check can then be skipped with a warning). */
export function isEngineUnavailable(error: unknown): error is EngineUnavailableError {
  return error instanceof EngineUnavailableError;
}
