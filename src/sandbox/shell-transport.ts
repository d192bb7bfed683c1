/** A byte pipe to a bash process that runs on a pseudo-terminal (docker exec with a TTY, or `script`). */
export interface ShellTransport {
  write(data: string): void;
  onData(listener: (chunk: Buffer) => void): void;
  /** Called once when the process behind the transport is gone. */
  onClose(listener: () => void): void;
  close(): Promise<void>;
}

/** How a provider starts shells and reaches their processes from outside. */
export interface ShellHost {
  /** Start `argv` on a fresh pseudo-terminal with `env` added, in `cwd`. */
  openShell(argv: string[], env: Record<string, string>, cwd: string): Promise<ShellTransport>;
  /** Run a short POSIX `sh -c` script outside the shell (used to kill a stuck foreground job). */
  runScript(script: string, timeoutMs: number): Promise<{ exitCode: number; output: string }>;
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
export function endSignal(): { end: () => void; readonly ended: boolean; onEnd: (listener: () => void) => void } {
  const listeners: Array<() => void> = [];
  let ended = false;
  return {
    end: () => {
      if (ended) return;
      ended = true;
      for (const l of listeners) l();
    },
    get ended() {
      return ended;
    },
    onEnd: (listener) => listeners.push(listener),
  };
}
