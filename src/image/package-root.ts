import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageBuildError } from '../errors.js';

const PACKAGE_NAME = 'hybrid-gym';

/**
 * The folder of hybrid-gym's own package.json, found by walking up from this module; works from
 * src/image/ (source tree, tests) and from dist/ (the published package, where docker/ sits next
 * to dist/).
 */
export function findPackageRoot(from: string = moduleDir()): string {
  let dir = path.resolve(from);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (name === PACKAGE_NAME) return dir;
      } catch {
        // An unreadable manifest belongs to some other package: keep walking.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new ImageBuildError(`Cannot find the ${PACKAGE_NAME} package root above ${from}.`);
    }
    dir = parent;
  }
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** docker/ of the package: the Dockerfile and the setup script shared by both recipes. */
export function dockerAssetsDir(): string {
  const dir = path.join(findPackageRoot(), 'docker');
  if (!existsSync(path.join(dir, 'Dockerfile'))) {
    throw new ImageBuildError(`The image recipe is missing: ${path.join(dir, 'Dockerfile')} does not exist.`);
  }
  return dir;
}

function moduleDir(): string {
  // tsup's shims make import.meta.url work in the CJS build too.
  return path.dirname(fileURLToPath(import.meta.url));
}
