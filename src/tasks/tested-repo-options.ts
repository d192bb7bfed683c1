import { z } from 'zod';
import { SuitePytestOptionsSchema } from '../testrun/pytest-check.js';
import type { CodeRunner } from './code-check.js';
import { isImageContents, type DroppedTargets, type ImageContents } from './image-contents.js';

/**
 * Options shared by generators that run a repository's tests (func-gen, synthetic issue-localize):
 * where the tests run, how the suite is run, the test-map cache, the image check and progress.
 */
export const TestedRepoOptionsShape = {
  repo: z.string().min(1),
  /** @default 0 */
  seed: z.number().int().default(0),
  /** Most instances per repository. @default 50 */
  n: z.number().int().positive().default(50),
  /** Runs the repository's tests in fresh sandboxes (make() and the CLI pass one on the episodes' provider). */
  runner: z.custom<CodeRunner>((v) => typeof (v as CodeRunner | null)?.run === 'function', 'expected a CodeRunner ({ run(files, check) })'),
  /** The image the tests run in, written into each instance when given. @default the runner's image (instances then name none) */
  image: z.string().min(1).optional(),
  /** pytest options the suite needs (plugins to load, source folders such as `src`), kept in each instance. @default {} */
  pytest: SuitePytestOptionsSchema.default({}),
  /** Limit of each screening run of one instance's tests. @default 300000 */
  testTimeoutMs: z.number().int().positive().default(300_000),
  /** Test-map cache folder. @default $HYBRID_GYM_CACHE or ~/.cache/hybrid-gym */
  cacheDir: z.string().min(1).optional(),
  /** Rebuild the test map even when one is cached. @default false */
  refreshTestMap: z.boolean().default(false),
  /** Screening runs at once (each one a sandbox). @default 2 */
  concurrency: z.number().int().positive().default(2),
  /** The episode image's contents: a target whose answer the image holds is dropped. */
  imageContents: z.custom<ImageContents>(isImageContents, 'expected an ImageContents ({ name, hasDocstring, hasBody })').optional(),
  /** Loads `imageContents` when there are candidates to check (what make() and the CLI pass). */
  loadImageContents: z.custom<() => Promise<ImageContents>>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told, after generation, how many targets were dropped and why (once per reason). */
  onDropped: z.custom<(dropped: DroppedTargets) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told what generation is doing (test map, screening), for progress lines. */
  onProgress: z.custom<(line: string) => void>((v) => typeof v === 'function', 'expected a function').optional(),
};
