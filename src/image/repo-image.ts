import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { z } from 'zod';
import { ImageBuildError, ValidationError } from '../errors.js';
import { parseOptions } from '../options.js';
import { buildDefaultImage, BuildOptionsSchema, type BuildDefaultImageOptions, type BuildDefaultImageResult } from './build-image.js';
import { readDebianMirror } from './debian-mirror.js';
import { buildWithDebootstrap } from './debootstrap-build.js';
import { BASE_IMAGE, DEFAULT_IMAGE } from './default-image.js';
import { buildWithDockerfile, tryPull } from './dockerfile-build.js';
import { imageManifest } from './manifest.js';
import { dockerAssetsDir } from './package-root.js';

/** What an image per repository is made of: the default image plus Debian packages and pip requirements. */
export interface ImageRecipe {
  /** The default image it extends (its version is part of the content tag). */
  base: string;
  /** Debian packages, sorted, without duplicates. */
  apt: string[];
  /** pip requirements, sorted, without duplicates. */
  pip: string[];
}

/** Label carrying the recipe's hash: an existing tag is reused only when it matches. */
export const RECIPE_LABEL = 'hybrid-gym.recipe';

// Debian package names (policy 5.6.1), optionally :arch and =version.
const APT_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/;
// A requirement as pip takes it on a command line: a name, extras, a version specifier; no options, no paths.
const PIP_REQ = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?\s*([<>=!~]=?\s*[A-Za-z0-9.*+!-]+\s*,?\s*)*$/;

/** The recipe of an image: validated, sorted and without duplicates, so that the same set gives the same tag. */
export function imageRecipe(input: { apt?: readonly string[]; pip?: readonly string[]; base?: string }): ImageRecipe {
  const problems: Array<{ path: string; message: string }> = [];
  const apt = [...new Set((input.apt ?? []).map((p) => p.trim()))].sort();
  const pip = [...new Set((input.pip ?? []).map((p) => p.trim()))].sort();
  for (const p of apt) if (!APT_NAME.test(p)) problems.push({ path: 'apt', message: `not a Debian package name: ${JSON.stringify(p)}` });
  for (const p of pip) if (!PIP_REQ.test(p)) problems.push({ path: 'pip', message: `not a pip requirement (name, extras, version): ${JSON.stringify(p)}` });
  if (problems.length > 0) throw new ValidationError('image recipe', problems);
  return { base: input.base ?? DEFAULT_IMAGE, apt, pip };
}

/** First 12 hex digits of the sha256 of the recipe (base version, packages, requirements). */
export function recipeHash(recipe: ImageRecipe): string {
  return createHash('sha256').update(JSON.stringify([recipe.base, recipe.apt, recipe.pip])).digest('hex').slice(0, 12);
}

/** The content tag: `hybrid-gym/sandbox:0.1.0-1-<hash12>`, or the default image's tag for an empty recipe. */
export function recipeTag(recipe: ImageRecipe): string {
  if (recipe.apt.length === 0 && recipe.pip.length === 0) return recipe.base;
  return `${recipe.base}-${recipeHash(recipe)}`;
}

/** The Dockerfile of a derived image (the route where a registry and the network answer). */
export function derivedDockerfile(recipe: ImageRecipe): string {
  const lines = [`FROM ${recipe.base}`];
  if (recipe.apt.length > 0) {
    lines.push(`RUN apt-get update && apt-get install -y --no-install-recommends ${recipe.apt.join(' ')} && rm -rf /var/lib/apt/lists/* /var/cache/apt/*`);
  }
  if (recipe.pip.length > 0) lines.push(`RUN ${pipScript(recipe.pip, 'dockerfile').replace(/\n/g, ' && ')}`);
  lines.push(`LABEL ${RECIPE_LABEL}="${recipeHash(recipe)}"`);
  return `${lines.join('\n')}\n`;
}

/** Shell that installs pip requirements and removes pip again (it vendors real packages tasks are made from). */
function pipScript(pip: readonly string[], route: 'dockerfile' | 'debootstrap'): string {
  const quoted = pip.map((r) => `'${r.replace(/'/g, '')}'`).join(' ');
  const getPip = route === 'debootstrap' ? 'true' : '(python3 -m pip --version >/dev/null 2>&1 || python3 -m ensurepip || (apt-get update && apt-get install -y --no-install-recommends python3-pip))';
  return [
    getPip,
    `PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check ${quoted}`,
    '(python3 -m pip uninstall -y pip >/dev/null 2>&1 || dpkg --purge python3-pip >/dev/null 2>&1 || true)',
  ].join('\n');
}

/** The package index pip would use: `$PIP_INDEX_URL`, else PyPI's simple index. */
export function pipIndexUrl(): string {
  return process.env.PIP_INDEX_URL || 'https://pypi.org/simple/';
}

/** Throws a one-line {@link ImageBuildError} when no package index answers within `timeoutMs`. */
export async function requirePipIndex(url: string = pipIndexUrl(), timeoutMs = 5_000): Promise<void> {
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    if (response.status < 500) return;
    throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new ImageBuildError(
      `--pip needs a package index, and ${url} did not answer (${cause}); use Debian's packages instead: --apt python3-<name> (apt-cache search python3-<name>), or set PIP_INDEX_URL to a reachable index.`,
    );
  }
}

const optionsSchema = BuildOptionsSchema.extend({
  apt: z.array(z.string()).default([]),
  pip: z.array(z.string()).default([]),
  tag: z.string().min(1).optional(),
  manifest: z.boolean().default(true),
  cacheDir: z.string().min(1).optional(),
});

/** Options of {@link buildImage}: those of the default image's build, plus the recipe. */
export interface BuildImageOptions extends Omit<BuildDefaultImageOptions, 'tag'> {
  /** Debian packages to add (bookworm's names, e.g. `python3-six`). */
  apt?: string[];
  /** pip requirements to add (needs a reachable package index at build time, never at run time). */
  pip?: string[];
  /** Tag of the result. @default the content tag {@link recipeTag} */
  tag?: string;
  /** Record the image's manifest (source files, docstring hashes) right after the build. @default true */
  manifest?: boolean;
  /** Manifest cache folder. @default $HYBRID_GYM_CACHE, else ~/.cache/hybrid-gym */
  cacheDir?: string;
}

/** What {@link buildImage} did. */
export interface BuildImageResult extends BuildDefaultImageResult {
  recipe: ImageRecipe;
  /** The image's manifest: source files recorded, how long it took (0 when cached), where it is. */
  manifest?: { files: number; durationMs: number; imageId: string };
}

/**
 * Builds an image per repository: the default image plus Debian packages and pip requirements,
 * tagged by content (`hybrid-gym/sandbox:0.1.0-1-<hash12>`), so that a repository's test
 * dependencies are in place without network at run time. Offline, debootstrap installs the
 * packages with the image's own (`--include`); where a registry answers, a Dockerfile derived
 * `FROM` the default image does. A tag that exists with the same recipe is reused. With no extra
 * package it is {@link buildDefaultImage}. Then the image's manifest is recorded.
 */
export async function buildImage(input: BuildImageOptions = {}): Promise<BuildImageResult> {
  const options = parseOptions(optionsSchema, input, 'buildImage options');
  const recipe = imageRecipe(options);
  const tag = options.tag ?? recipeTag(recipe);
  const progress = options.onProgress ?? (() => {});
  const common = {
    method: options.method,
    installPrerequisites: options.installPrerequisites,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onStatus ? { onStatus: options.onStatus } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.mirror ? { mirror: options.mirror } : {}),
    ...(options.docker ? { docker: options.docker } : {}),
  };
  const docker = options.docker ?? new (await import('dockerode')).default();
  let result: BuildDefaultImageResult;
  if (recipe.apt.length === 0 && recipe.pip.length === 0) {
    result = await buildDefaultImage({ ...common, tag, force: options.force });
  } else {
    if (recipe.pip.length > 0) await requirePipIndex();
    result = await buildDerived(recipe, tag, docker, options.force, common, progress);
  }
  const out: BuildImageResult = { ...result, recipe };
  if (options.manifest) {
    const started = performance.now();
    const manifest = await imageManifest(tag, { docker, ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}), onProgress: progress });
    out.manifest = { files: manifest.files.length, durationMs: Math.round(performance.now() - started), imageId: manifest.imageId };
  }
  return out;
}

async function buildDerived(
  recipe: ImageRecipe,
  tag: string,
  docker: Docker,
  force: boolean,
  common: Omit<BuildDefaultImageOptions, 'tag' | 'force'>,
  progress: (line: string) => void,
): Promise<BuildDefaultImageResult> {
  const started = performance.now();
  const hash = recipeHash(recipe);
  const done = (method: BuildDefaultImageResult['method']): BuildDefaultImageResult => {
    const durationMs = Math.round(performance.now() - started);
    progress(`image ${tag}: ${method === 'cached' ? 'already present' : `built with ${method}`} (apt: ${recipe.apt.join(' ') || '-'}; pip: ${recipe.pip.join(' ') || '-'})`);
    return { tag, method, durationMs };
  };
  if (!force && (await recipeOf(docker, tag)) === hash) return done('cached');
  const step = { docker, onProgress: progress, onStatus: common.onStatus, signal: common.signal };
  const labels = { [RECIPE_LABEL]: hash };

  const debootstrap = async () => {
    await buildWithDebootstrap({
      ...step,
      tag,
      mirror: common.mirror ?? readDebianMirror(),
      installPrerequisites: common.installPrerequisites,
      setupScript: path.join(dockerAssetsDir(), 'setup.sh'),
      extraPackages: recipe.pip.length > 0 ? [...recipe.apt, 'python3-pip'] : recipe.apt,
      extraScript: recipe.pip.length > 0 ? pipScript(recipe.pip, 'debootstrap') : undefined,
      labels,
    });
    return done('debootstrap');
  };
  const dockerfile = async () => {
    // FROM the default image: make sure it is there first (cached when it is).
    await buildDefaultImage({ ...common, tag: recipe.base, method: 'auto' });
    const dir = await mkdtemp(path.join(tmpdir(), 'hybrid-gym-image-'));
    try {
      await writeFile(path.join(dir, 'Dockerfile'), derivedDockerfile(recipe));
      await buildWithDockerfile(dir, tag, { ...step, files: ['Dockerfile'] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return done('dockerfile');
  };

  if (common.method === 'debootstrap') return debootstrap();
  if (common.method === 'dockerfile') return dockerfile();
  // A registry that answers is the sign that the build container will reach the network too.
  const online = (await docker.getImage(BASE_IMAGE).inspect().then(() => true, () => false)) || (await tryPull(BASE_IMAGE, step));
  if (online) {
    try {
      return await dockerfile();
    } catch (error) {
      common.signal?.throwIfAborted();
      progress(`build: the derived Dockerfile failed, falling back to debootstrap (${(error as Error).message.split('\n')[0]})`);
    }
  } else {
    progress(`image ${tag}: no registry answers, building offline with debootstrap (the default image's packages plus ${recipe.apt.join(', ')})`);
  }
  return debootstrap();
}

/** The recipe hash an existing image was built from, or undefined (no such image, or not ours). */
async function recipeOf(docker: Docker, tag: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config?.Labels?.[RECIPE_LABEL];
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw new ImageBuildError(`The Docker engine failed to answer: ${(error as Error).message}`, { cause: error });
  }
}
