import path from 'node:path';
import createDebug from 'debug';
import type Docker from 'dockerode';
import { z } from 'zod';
import { EngineUnavailableError, ImageBuildError } from '../errors.js';
import { parseOptions } from '../options.js';
import type { BuildStatus } from './build-progress.js';
import { readDebianMirror } from './debian-mirror.js';
import { buildWithDebootstrap } from './debootstrap-build.js';
import { BASE_IMAGE, DEFAULT_IMAGE, imageExists } from './default-image.js';
import { buildWithDockerfile, tryPull } from './dockerfile-build.js';
import { dockerAssetsDir } from './package-root.js';

const debug = createDebug('hybrid-gym:image');

/** The options every image build takes (the default image's, and per-repository ones on top). */
export const BuildOptionsSchema = z.object({
  tag: z.string().min(1).default(DEFAULT_IMAGE),
  method: z.enum(['auto', 'dockerfile', 'debootstrap']).default('auto'),
  force: z.boolean().default(false),
  onProgress: z.custom<(line: string) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  onStatus: z.custom<(status: BuildStatus) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  installPrerequisites: z.boolean().default(true),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
  mirror: z.url().optional(),
  docker: z.custom<Docker>((v) => typeof v === 'object' && v !== null && 'getImage' in v, 'expected a dockerode client').optional(),
});

/** Options of {@link buildDefaultImage}. */
export interface BuildDefaultImageOptions {
  /** Tag to build. @default DEFAULT_IMAGE */
  tag?: string;
  /**
   * `auto`: reuse the tag if present, else docker/Dockerfile when its base image is present or can
   * be pulled, else the offline debootstrap recipe. The others force one recipe.
   * @default 'auto'
   */
  method?: 'auto' | 'dockerfile' | 'debootstrap';
  /** Rebuild even when the tag exists. @default false */
  force?: boolean;
  /**
   * Receives a few status lines per build (the CLI prints them on stderr): which recipe, each
   * stage, the result. The full output of debootstrap, apt and docker build goes to the debug log
   * `hybrid-gym:image:log` (`DEBUG=hybrid-gym*`); a failing step's error carries its last lines.
   */
  onProgress?: (line: string) => void;
  /** Receives counts within the current stage (packages downloaded, installed...), for a progress bar. */
  onStatus?: (status: BuildStatus) => void;
  /**
   * Install what the offline recipe needs (debootstrap) with apt-get when it is missing, as root on
   * a Debian-like system. @default true
   */
  installPrerequisites?: boolean;
  /** Aborts the build; temporary files are removed. */
  signal?: AbortSignal;
  /** Debian mirror for debootstrap. @default the host's apt mirror, else http://deb.debian.org/debian */
  mirror?: string;
  /** Engine client. @default new Docker() (honours DOCKER_HOST) */
  docker?: Docker;
}

/** What {@link buildDefaultImage} did. */
export interface BuildDefaultImageResult {
  tag: string;
  /** `cached`: the tag already existed and nothing was built. */
  method: 'cached' | 'dockerfile' | 'debootstrap';
  durationMs: number;
}

/**
 * Makes sure the default sandbox image exists, building it if needed, and says which way it went
 * (in the result and as a progress line). Throws {@link ImageBuildError} when no recipe works.
 */
export async function buildDefaultImage(input: BuildDefaultImageOptions = {}): Promise<BuildDefaultImageResult> {
  const options = parseOptions(BuildOptionsSchema, input, 'buildDefaultImage options');
  const started = performance.now();
  const progress = (line: string) => {
    debug('%s', line);
    options.onProgress?.(line);
  };
  const docker = options.docker ?? (await defaultDocker());
  const { tag, signal } = options;
  const step = { docker, onProgress: progress, onStatus: options.onStatus, signal };
  const done = (method: BuildDefaultImageResult['method']): BuildDefaultImageResult => {
    const durationMs = Math.round(performance.now() - started);
    progress(`image ${tag}: ${method === 'cached' ? 'already present' : `built with ${method}`} (${formatMs(durationMs)})`);
    return { tag, method, durationMs };
  };

  signal?.throwIfAborted();
  if (!options.force && (await engineCall(docker, () => imageExists(docker, tag)))) return done('cached');

  const assets = dockerAssetsDir();
  const debootstrap = async () => {
    await buildWithDebootstrap({
      ...step,
      tag,
      mirror: options.mirror ?? readDebianMirror(),
      installPrerequisites: options.installPrerequisites,
      setupScript: path.join(assets, 'setup.sh'),
    });
    return done('debootstrap');
  };

  if (options.method === 'debootstrap') return debootstrap();
  if (options.method === 'dockerfile') {
    await buildWithDockerfile(assets, tag, step);
    return done('dockerfile');
  }

  const baseReady = (await engineCall(docker, () => imageExists(docker, BASE_IMAGE))) || (await tryPull(BASE_IMAGE, step));
  if (baseReady) {
    try {
      await buildWithDockerfile(assets, tag, step);
      return done('dockerfile');
    } catch (error) {
      signal?.throwIfAborted();
      // The Dockerfile's apt/pip steps need network in the build container; the offline recipe does not.
      progress(`build: the Dockerfile build failed, falling back to debootstrap (${(error as Error).message.split('\n')[0]})`);
    }
  } else {
    progress(`image ${tag}: ${BASE_IMAGE} is not available, building offline with debootstrap`);
  }
  return debootstrap();
}

async function defaultDocker(): Promise<Docker> {
  const { default: DockerClient } = await import('dockerode');
  return new DockerClient();
}

/** A failing first call (other than "no such image") means there is no usable engine. */
async function engineCall<T>(docker: Docker, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ETIMEDOUT') {
      throw new EngineUnavailableError(engineEndpoint(docker), error);
    }
    throw new ImageBuildError(`The Docker engine failed to answer: ${(error as Error).message}`, { cause: error });
  }
}

function engineEndpoint(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  return `${String(modem.protocol ?? 'http')}://${String(modem.host)}:${String(modem.port ?? '')}`;
}

function formatMs(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
