import type Docker from 'dockerode';

/**
 * Tag of the default sandbox image (bash, git, python 3.11, pytest, procps).
 * Bump the suffix whenever docker/Dockerfile, docker/setup.sh or the offline recipe changes,
 * so that machines with an older image build the new one instead of reusing it.
 */
export const DEFAULT_IMAGE = 'hybrid-gym/sandbox:0.1.0-1';

/** Base image of docker/Dockerfile (the registry recipe). */
export const BASE_IMAGE = 'python:3.11-slim-bookworm';

/** Environment of the default image; docker/Dockerfile sets the same values. */
export const IMAGE_ENV: Readonly<Record<string, string>> = Object.freeze({
  LANG: 'C.UTF-8',
  PYTHONDONTWRITEBYTECODE: '1',
  PIP_NO_INPUT: '1',
  DEBIAN_FRONTEND: 'noninteractive',
});

/** Working directory of containers made from the default image. */
export const IMAGE_WORKDIR = '/workspace';

/** True when the engine has an image with this tag (or id); false on 404, throws on other errors. */
export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** How to get a missing image: the default one is built by us; another is the user's (or a per-repo build). */
export function buildHint(image: string): string {
  return image === DEFAULT_IMAGE
    ? 'Build it with `npx hybrid-gym image build`.'
    : 'Build it (`npx hybrid-gym image build --apt PKG ...` prints the tag it made) or load it into this engine.';
}
