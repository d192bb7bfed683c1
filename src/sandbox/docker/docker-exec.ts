import type Docker from 'dockerode';
import { PassThrough, type Duplex } from 'node:stream';
import { endSignal, type ShellTransport } from '../shell-transport.js';

// How long past its own timeout an exec may run before the host stops waiting for it.
const HOST_GRACE_MS = 5_000;

export interface ExecOutcome {
  exitCode: number;
  output: string;
}

/**
 * Run argv in the container as a fresh process, merging stdout and stderr; killed after timeoutMs
 * by coreutils' `timeout` (0: no limit, for scripts that must not have a parent they could kill).
 */
export async function dockerExec(
  container: Docker.Container,
  argv: string[],
  options: { timeoutMs: number; cwd?: string; env?: string[]; user?: string },
): Promise<ExecOutcome> {
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  const exec = await container.exec({
    Cmd: options.timeoutMs > 0 ? ['timeout', '-s', 'KILL', String(seconds), ...argv] : argv,
    AttachStdout: true,
    AttachStderr: true,
    WorkingDir: options.cwd,
    Env: options.env,
    ...(options.user !== undefined && { User: options.user }),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  container.modem.demuxStream(stream, sink, sink);
  let hostTimer: NodeJS.Timeout | undefined;
  const ended = await new Promise<boolean>((resolve, reject) => {
    stream.on('end', () => resolve(true));
    stream.on('close', () => resolve(true));
    stream.on('error', reject);
    // The `timeout` inside runs as the sandbox's user, who can stop it: the host keeps its own.
    if (options.timeoutMs > 0) hostTimer = setTimeout(() => resolve(false), options.timeoutMs + HOST_GRACE_MS);
  }).finally(() => clearTimeout(hostTimer));
  if (!ended) {
    (stream as { destroy?: () => void }).destroy?.();
    return { exitCode: 137, output: `${Buffer.concat(chunks).toString('utf8')}\n[killed: still running ${Math.round((options.timeoutMs + HOST_GRACE_MS) / 1000)} s after it was started, past its timeout]` };
  }
  // The exit code can lag the end of the stream by a moment.
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 10));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Start a shell launcher (see `shellLauncher`) in the container: its stdout is the terminal, its
 * stderr the shell's control channel; the two arrive apart through the engine's multiplexed stream.
 */
export async function openShellExec(
  container: Docker.Container,
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  user?: string,
): Promise<ShellTransport> {
  const exec = await container.exec({
    Cmd: argv,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    WorkingDir: cwd,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...(user !== undefined && { User: user }),
  });
  const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
  const terminal = new PassThrough();
  const control = new PassThrough();
  container.modem.demuxStream(stream, terminal, control);
  const signal = endSignal();
  // The exit code tells `exit 3` from a killed shell; a container that is gone has none to give.
  const ended = (): void => {
    if (signal.ended) return;
    void exec
      .inspect()
      .then((info) => signal.end(info.Running ? undefined : (info.ExitCode ?? undefined)))
      .catch(() => signal.end());
  };
  stream.on('end', ended);
  stream.on('close', ended);
  stream.on('error', ended);
  return {
    write: (data) => {
      if (!signal.ended && !stream.destroyed) stream.write(data);
    },
    onData: (listener) => terminal.on('data', listener),
    onControl: (listener) => control.on('data', listener),
    onClose: signal.onEnd,
    close: async () => {
      // End of input makes bash exit; destroying the socket stops the exec either way.
      stream.end();
      stream.destroy();
    },
  };
}
