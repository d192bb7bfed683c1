import createDebug from 'debug';
import type Docker from 'dockerode';
import { ImageBuildError } from '../errors.js';
import { eventLines, followEngineStream } from './engine-stream.js';
import { buildLog, type BuildStatus } from './build-progress.js';
import { abortError } from './run-logged.js';

const debug = createDebug('hybrid-gym:image');

/** How long a pull may go without any answer before the registry counts as unreachable. */
export const PULL_PROBE_MS = 15_000;
/** Upper bound for a pull that did start (a slim python base is ~50 MB). */
export const PULL_MAX_MS = 10 * 60_000;

export interface EngineStepOptions {
  docker: Docker;
  /** A few status lines. */
  onProgress: (line: string) => void;
  /** Counts for a progress bar. */
  onStatus?: ((status: BuildStatus) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Pulls `image`, giving up (false) when the registry does not answer within `probeMs` or the pull
 * fails; an air-gapped engine fails within milliseconds, a slow one within the probe.
 */
export async function tryPull(
  image: string,
  options: EngineStepOptions & { probeMs?: number },
): Promise<boolean> {
  const { docker, onProgress, signal } = options;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer = setTimeout(() => controller.abort(new Error(`no answer in ${options.probeMs ?? PULL_PROBE_MS} ms`)), options.probeMs ?? PULL_PROBE_MS);
  try {
    onProgress(`pull: ${image}`);
    const stream = await docker.pull(image, { abortSignal: controller.signal });
    // The registry answered: from here on, only a stalled transfer is cut off.
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`pull took over ${PULL_MAX_MS} ms`)), PULL_MAX_MS);
    let last = '';
    await followEngineStream(docker, stream, `pull ${image}`, (event) => {
      const line = event.status === 'Downloading' || event.status === 'Extracting' ? '' : eventLines(event).join(' ');
      if (line && line !== last) buildLog('pull: %s', (last = line));
    });
    return true;
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, error);
    const reason = controller.signal.aborted ? String((controller.signal.reason as Error)?.message) : (error as Error).message;
    onProgress(`pull: ${image} is not available (${firstLine(reason)})`);
    debug('pull of %s failed: %o', image, error);
    return false;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** `docker build` of docker/ (Dockerfile plus the shared setup script) tagged `tag`. */
export async function buildWithDockerfile(
  contextDir: string,
  tag: string,
  options: EngineStepOptions & { files?: readonly string[] },
): Promise<void> {
  const { docker, onProgress, signal } = options;
  onProgress(`build: docker build ${contextDir} -t ${tag}`);
  try {
    const stream = await docker.buildImage(
      { context: contextDir, src: [...(options.files ?? ['Dockerfile', 'setup.sh'])] },
      { t: tag, rm: true, forcerm: true, abortSignal: signal } as Docker.ImageBuildOptions,
    );
    // The build's output (apt, pip) is the full log; the "Step k/n" lines are the status.
    await followEngineStream(docker, stream, 'docker build', (event) => {
      for (const line of eventLines(event)) {
        buildLog('build: %s', line);
        const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
        if (step) {
          onProgress(`build: step ${step[1]}/${step[2]}: ${step[3]!.slice(0, 100)}`);
          options.onStatus?.({ stage: 'dockerfile', done: Number(step[1]) - 1, total: Number(step[2]) });
        }
      }
    });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, error);
    if (error instanceof ImageBuildError) throw error;
    throw new ImageBuildError(`docker build of ${tag} failed: ${(error as Error).message}`, { cause: error });
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}
