/**
 * A byte pipe to a bash process on a pseudo-terminal, plus the shell's control channel: a second
 * stream (file descriptor 63 of the shell) on which only the shell's prompt hook writes. The agent's
 * commands run with that descriptor closed, so nothing they print can end a command.
 */
export interface ShellTransport {
  write(data: string): void;
  /** Bytes of the terminal: everything the commands print. */
  onData(listener: (chunk: Buffer) => void): void;
  /** Bytes of the control channel: one `TOKEN EXITCODE` line per prompt. */
  onControl(listener: (chunk: Buffer) => void): void;
  /** Called once when the process behind the transport is gone, with its exit code when known. */
  onClose(listener: (exitCode: number | undefined) => void): void;
  close(): Promise<void>;
}

/** How a provider starts shells and reaches their processes from outside. */
export interface ShellHost {
  /** Start `argv` with `env` added, in `cwd`: stdin/stdout are the terminal, stderr the control channel. */
  openShell(argv: string[], env: Record<string, string>, cwd: string): Promise<ShellTransport>;
  /** Run a short POSIX `sh -c` script outside the shell (used to kill a stuck foreground job). */
  runScript(script: string, timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** Whether the place the shell runs in still exists (the container runs): tells a killed shell from a dead sandbox. */
  alive(): Promise<boolean>;
  /** Whether the place is at its process limit (no process can start in it), when that can be known from outside. */
  atProcessLimit?(): Promise<boolean>;
}

/** File descriptor of the control channel inside the shell. */
export const CONTROL_FD = 63;

/**
 * The argv that starts an interactive bash on a fresh pseudo-terminal (util-linux `script`), with
 * the launcher's stderr kept as descriptor 63 of the shell: the control channel.
 */
export function shellLauncher(bashArgs: readonly string[]): string[] {
  const inner = ['bash', ...bashArgs].join(' ');
  return ['bash', '-c', `exec ${CONTROL_FD}>&2 2>/dev/null && exec script -qfec '${inner}' /dev/null`];
}

/** SIGKILL the terminal's foreground process group of the shell `pid`, unless it is the shell itself. */
export function killForegroundScript(pid: number): string {
  assertShellPid(pid);
  return (
    `read -r _ _ _ _ _ _ _ fg _ < /proc/${pid}/stat || exit 1; ` +
    `[ "$fg" -gt 0 ] && [ "$fg" != ${pid} ] && kill -9 -- -"$fg"; exit 0`
  );
}

/** SIGKILL every process of the shell `pid`'s session, the shell included (for a shell being replaced). */
export function killSessionScript(pid: number): string {
  assertShellPid(pid);
  return (
    `for f in /proc/[0-9]*/stat; do read -r p _ _ _ _ s _ < "$f" 2>/dev/null && ` +
    `[ "$s" = ${pid} ] && kill -9 "$p" 2>/dev/null; done; exit 0`
  );
}

// A pid of 0 or 1 would match the session of processes outside the sandbox's view: never kill those.
function assertShellPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`refusing to signal around pid ${pid}`);
}

/** The end of a transport's process, told once to every listener however many events announce it. */
export function endSignal(): {
  end: (exitCode?: number) => void;
  readonly ended: boolean;
  onEnd: (listener: (exitCode: number | undefined) => void) => void;
} {
  const listeners: Array<(exitCode: number | undefined) => void> = [];
  let ended = false;
  return {
    end: (exitCode?: number) => {
      if (ended) return;
      ended = true;
      for (const l of listeners) l(typeof exitCode === 'number' ? exitCode : undefined);
    },
    get ended() {
      return ended;
    },
    onEnd: (listener) => listeners.push(listener),
  };
}
