import type { Readable } from 'node:stream';

/** What one shell command gave back. Output is stdout and stderr merged, as a terminal shows them. */
export interface ExecResult {
  /** The command as given. */
  command: string;
  /** Exit status; -1 while the command is still running (see `running`). 128+N when killed by signal N. */
  exitCode: number;
  /** stdout and stderr merged in arrival order, capped (head and tail kept, a notice in between). */
  output: string;
  durationMs: number;
  /** The hard timeout expired and the command was interrupted (Ctrl-C, then killed). */
  timedOut: boolean;
  /** Part of the output was cut to respect the cap. */
  truncated: boolean;
  /** The command has not finished: it waits for input or has produced no new output for a while. */
  running: boolean;
  /** Something the shell layer did on the caller's behalf (killed the command, restarted the shell). */
  notice?: string;
}

export interface RunOptions {
  /** Hard limit: the command is interrupted (Ctrl-C, then SIGKILL) after this many ms. @default 120000 */
  timeoutMs?: number;
  /**
   * Return early with `running: true` when no new output arrived for this many ms, leaving the
   * command running (like a terminal the agent looks away from). @default undefined (wait until done)
   */
  idleMs?: number;
  /** Called with each chunk of output as it arrives. */
  onOutput?: (chunk: string) => void;
}

/** One file to put into a sandbox. Paths are absolute, or relative to the sandbox's workdir. */
export interface FileEntry {
  path: string;
  content: string | Uint8Array;
  /** Unix permission bits. @default 0o644 */
  mode?: number;
}

/**
 * A place where an agent's commands run: a container, or a directory on the host. A sandbox serves
 * one episode and is then closed: its container removed, or reset and shown clean before another
 * episode gets it (the docker provider's `reuse`; see docs/sandboxes.md, "Isolation").
 */
export interface Sandbox extends AsyncDisposable {
  readonly id: string;
  /** The working directory where the workspace lives (for example /workspace). */
  readonly workdir: string;
  readonly closed: boolean;
  /** A shell command is still running (it returned with `running: true`). */
  readonly shellBusy: boolean;

  /** Run a command in the persistent shell: cwd and exported variables carry over between calls. */
  exec(command: string, options?: RunOptions): Promise<ExecResult>;
  /** Send text to the command that is still running (a newline is not added). */
  sendInput(text: string, options?: RunOptions): Promise<ExecResult>;
  /** Send a control key (C-c, C-d, C-z) to the running command and collect what follows. */
  sendKey(key: 'C-c' | 'C-d' | 'C-z', options?: RunOptions): Promise<ExecResult>;
  /** Collect more output of a still running command, waiting up to `idleMs` for news. */
  poll(options?: RunOptions): Promise<ExecResult>;
  /**
   * Run a command as a fresh process that carries no state over: in a subshell of the persistent
   * shell when it is idle (well under a millisecond of overhead), else through a new process.
   */
  execDetached(argv: string[], options?: { timeoutMs?: number; cwd?: string }): Promise<ExecResult>;

  writeFiles(files: FileEntry[]): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  /** Copy a host directory's contents into `dest` (default: workdir). */
  copyIn(hostDir: string, dest?: string): Promise<void>;
  /** A tar stream of `path` (file or directory) inside the sandbox. */
  archiveOut(path: string): Promise<Readable>;
  /** Copy `path` inside the sandbox to `hostDir` on the host. */
  copyOut(path: string, hostDir: string): Promise<void>;

  /**
   * Whether the sandbox is still there for its episode: false means the infrastructure failed (the
   * container was removed, stopped or paused from outside, the engine does not answer). A container
   * whose PID 1 ended by what ran in it (its memory use got PID 1 OOM-killed, a limit the agent set
   * on PID 1 ended it) counts as there: the agent's doing, and its files can be read.
   */
  isAlive(): Promise<boolean>;
  /** Replace the persistent shell with a new process (nothing of the old one's memory survives). */
  restartShell(): Promise<void>;
  /** Release every resource. Safe to call twice. */
  close(): Promise<void>;
  /**
   * Whether the container behind this sandbox served an episode of `key` (an instance) before, and
   * note that it serves one now: only a reusing provider's sandboxes ever say yes. An env asks
   * before it installs an instance, and takes another sandbox when the answer is yes: counters that
   * outlive a reset (process ids, say) could carry a finding to a later episode of the same instance.
   */
  servedBefore?(key: string): boolean;
  /**
   * Where this process can see the sandbox's workdir from outside it, without any process in the
   * sandbox taking part (with a local Docker engine: the workdir's tmpfs volume, or the overlay's
   * merged folder): workspace installs and reads go there. Undefined when there is no such place
   * (a remote engine, another storage driver).
   */
  hostWorkdir?(): Promise<HostFolder | undefined>;
}

/** A folder of a sandbox seen from the host: `inner` below the host folder `root`, each name looked up without following links. */
export interface HostFolder {
  root: string;
  inner: string;
  /** Who the files written there must belong to (the agent's user, where it is not root); this process's own ids when unset. */
  owner?: Owner;
}

/** Who files in a sandbox belong to (numeric ids). */
export interface Owner {
  uid: number;
  gid: number;
}

/** Makes sandboxes of one kind. */
export interface SandboxProvider extends AsyncDisposable {
  readonly name: string;
  /**
   * A new sandbox; `image` replaces the provider's image for this one (providers without images
   * ignore it); `reuse: false` asks for a container of its own where the provider reuses them (a
   * code check needs root in its sandbox); `unserved` asks for a container that never served an
   * episode of that key (see Sandbox.servedBefore).
   */
  create(options?: { workdir?: string; image?: string; reuse?: boolean; unserved?: string }): Promise<Sandbox>;
  close(): Promise<void>;
}
