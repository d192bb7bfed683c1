import { execa } from 'execa';
import { ImageBuildError } from '../errors.js';

/** Options of one logged subprocess. */
export interface RunLoggedOptions {
  /** Each stdout/stderr line, as it arrives (not prefixed: the caller knows the step). */
  onLine: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** Feeds this file to stdin. */
  inputFile?: string | undefined;
  env?: Record<string, string> | undefined;
}

const TAIL_LINES = 40;
const KILL_GRACE_MS = 3_000;

/**
 * Runs a build step, streaming its output line by line without keeping it (debootstrap prints a
 * line per package); on failure the error carries the last lines, which say what went wrong.
 */
export async function runLogged(
  step: string,
  file: string,
  args: readonly string[],
  options: RunLoggedOptions,
): Promise<void> {
  const tail: string[] = [];
  const onLine = function* (line: unknown) {
    const text = String(line);
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
    options.onLine(text);
  };
  const subprocess = execa(file, args, {
    stdin: options.inputFile ? { file: options.inputFile } : 'ignore',
    stdout: onLine,
    stderr: onLine,
    // Its own process group, so an abort reaches debootstrap's dpkg and maintainer scripts too.
    detached: true,
    env: options.env,
    extendEnv: options.env === undefined,
  });
  const stop = () => killGroup(subprocess.pid);
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    if (options.signal?.aborted) stop();
    await subprocess;
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal, error);
    const e = error as { shortMessage?: string; message?: string };
    throw new ImageBuildError(
      `${step} failed: ${e.shortMessage ?? e.message ?? String(error)}\n${tail.join('\n')}`,
      { cause: error },
    );
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** SIGTERM to the whole group, SIGKILL to what is left after a grace period. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // The group is gone already.
    }
  };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS).unref();
}

/** The error an aborted build rejects with: the signal's reason when it is an Error. */
export function abortError(signal: AbortSignal, cause?: unknown): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new ImageBuildError('The image build was aborted.', { cause: cause ?? reason });
}
