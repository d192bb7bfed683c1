import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { posix } from 'node:path';
import { closeSync, constants } from 'node:fs';
import { access } from 'node:fs/promises';
import createDebug from 'debug';
import { ClosedError, FileTooLargeError, SandboxError, WorkspaceError } from '../../errors.js';
import { holdMountedFolder, HostReadUnsupported, readHostFile, writeHostFile } from '../host-fs.js';
import { ShellSession } from '../shell-session.js';
import { runInSubshell } from '../subshell.js';
import { readSmallFile, writeFilesByExec, writeSmallFiles } from './shell-files.js';
import type { ShellHost } from '../shell-transport.js';
import { extractTar, filesOfFolder, packDirectory, packFiles, readFirstFile } from '../tar.js';
import type { ExecResult, FileEntry, HostFolder, Owner, RunOptions, Sandbox } from '../types.js';
import { dockerExec, openShellExec } from './docker-exec.js';
import { withTimeout } from '../../util/with-timeout.js';

const log = createDebug('hybrid-gym:sandbox');

// Longest any single engine call may take before the sandbox counts as failed.
const ENGINE_MS = 120_000;
// A file read through readFile() is held in memory: never more than this.
const READ_FILE_MAX_BYTES = 64 * 1024 * 1024;

export interface DockerSandboxSettings {
  workdir: string;
  env: Record<string, string>;
  commandTimeoutMs: number;
  keepChars: number;
  /** The workdir is a tmpfs volume: it goes when the container stops. */
  workdirTmpfs: boolean;
  /** Remove the workdir's volume (when its container was removed from outside without it). */
  removeVolumes: () => Promise<void>;
  /** Whether this stopped container was asked to stop through the engine (see StopWatch); rejects when that cannot be told. */
  askedToStop: () => Promise<boolean>;
  /** The user every process of the agent's runs as (`uid:gid`); the image's own when unset. */
  user?: string;
  /** Who files written into the sandbox belong to (the agent's user); root when unset. */
  owner?: Owner;
  /** A container lent for one episode (the provider's reuse): given back when the sandbox closes, not removed. */
  lease?: { view: HostView; giveBack: () => Promise<void>; served: Set<string> };
}

/** What this process sees of a sandbox from outside it: the overlay's merged folder, and the workdir's folder. */
export interface HostView {
  merged: string;
  workdir: HostFolder;
}

/** A running container with one persistent shell. */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  readonly workdir: string;
  private shell: ShellSession | null = null;
  private isClosed = false;
  private closing: Promise<void> | null = null;
  private readonly host: ShellHost;
  private view: Promise<HostView | undefined> | undefined;
  /** The workdir's tmpfs held open (see findHostView). */
  private heldWorkdir: number | undefined;

  constructor(
    readonly container: Docker.Container,
    private readonly settings: DockerSandboxSettings,
    private readonly onClose: (s: DockerSandbox) => void,
  ) {
    this.id = container.id;
    this.workdir = settings.workdir;
    if (settings.lease) this.view = Promise.resolve(settings.lease.view);
    this.host = {
      openShell: (argv, env, cwd) => openShellExec(container, argv, env, cwd, settings.user),
      runScript: (script, timeoutMs) => dockerExec(container, ['sh', '-c', script], { timeoutMs, user: settings.user }),
      alive: () => this.isAlive(),
      atProcessLimit: () => this.atProcessLimit(),
    };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  servedBefore(key: string): boolean {
    const served = this.settings.lease?.served;
    if (!served) return false;
    const had = served.has(key);
    served.add(key);
    return had;
  }

  /**
   * Replace the shell with a new process. Whatever the old one held in memory (file contents that
   * went through it, say an earlier workspace) is gone with it.
   */
  async restartShell(): Promise<void> {
    const old = this.shell;
    this.shell = null;
    await old?.terminate();
    await this.guard('openShell', () => this.openShell());
  }

  /** Open the shell; called by the provider once the container runs. */
  async openShell(): Promise<void> {
    this.shell = await ShellSession.open(this.host, {
      cwd: this.workdir,
      env: this.settings.env,
      timeoutMs: this.settings.commandTimeoutMs,
      keepChars: this.settings.keepChars,
    });
  }

  private session(): ShellSession {
    if (this.isClosed) throw new ClosedError(`Sandbox ${this.id.slice(0, 12)}`);
    if (!this.shell) throw new SandboxError('The sandbox has no shell', { sandboxId: this.id });
    return this.shell;
  }

  /** Engine errors become SandboxError with this sandbox's id; an agent never sees them as output. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SandboxError || err instanceof ClosedError) throw err;
      throw new SandboxError(`${what} failed in sandbox ${this.id.slice(0, 12)}: ${(err as Error).message}`, {
        sandboxId: this.id,
        cause: err,
      });
    }
  }

  exec(command: string, options?: RunOptions): Promise<ExecResult> {
    return this.guard('exec', () => this.session().run(command, options));
  }

  sendInput(text: string, options?: RunOptions): Promise<ExecResult> {
    return this.guard('sendInput', () => this.session().sendInput(text, options));
  }

  sendKey(key: 'C-c' | 'C-d' | 'C-z', options?: RunOptions): Promise<ExecResult> {
    return this.guard('sendKey', () => this.session().sendKey(key, options));
  }

  poll(options?: RunOptions): Promise<ExecResult> {
    return this.guard('poll', () => this.session().poll(options));
  }

  get shellBusy(): boolean {
    return this.shell?.busy ?? false;
  }

  async execDetached(argv: string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<ExecResult> {
    this.session();
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? this.settings.commandTimeoutMs;
    const quick = await this.guard('execDetached', () => runInSubshell(this.shell, argv, options.cwd ?? this.workdir, timeoutMs));
    if (quick) return quick;
    const out = await this.guard('execDetached', () =>
      dockerExec(this.container, argv, { timeoutMs, cwd: options.cwd ?? this.workdir, user: this.settings.user }),
    );
    const durationMs = Date.now() - started;
    return {
      command: argv.join(' '),
      exitCode: out.exitCode,
      output: out.output,
      durationMs,
      timedOut: out.exitCode === 137 && durationMs >= timeoutMs,
      truncated: false,
      running: false,
    };
  }

  private abs(p: string): string {
    return posix.isAbsolute(p) ? posix.normalize(p) : posix.join(this.workdir, p);
  }

  async writeFiles(files: FileEntry[]): Promise<void> {
    this.session();
    const entries = files.map((f) => ({ ...f, path: this.abs(f.path) }));
    if (await this.guard('writeFiles', () => writeSmallFiles(this.shell, entries))) return;
    if (this.settings.lease) {
      await this.guard('writeFiles', () => this.writeLent(entries));
      return;
    }
    await this.guard('writeFiles', () => withTimeout(this.container.putArchive(packFiles(entries, this.settings.owner), { path: '/' }), ENGINE_MS, 'putArchive', this.id));
  }

  /**
   * Writing into a lent container, whose root file system is read-only to the engine's archive too:
   * a file of the workdir from the host where nothing odd is in the way, else as the agent's user.
   */
  private async writeLent(entries: FileEntry[]): Promise<void> {
    const workdir = (await this.hostWorkdir())!;
    const rest: FileEntry[] = [];
    for (const f of entries) {
      const content = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
      try {
        if (!this.inWorkdir(f.path) || f.path === this.workdir) throw new HostReadUnsupported('outside the workdir');
        writeHostFile(workdir.root, posix.relative(this.workdir, f.path), content, f.mode ?? 0o644, this.settings.owner);
      } catch (err) {
        if (!(err instanceof HostReadUnsupported)) throw err;
        rest.push(f);
      }
    }
    await writeFilesByExec((argv) => dockerExec(this.container, argv, { timeoutMs: ENGINE_MS, user: this.settings.user }), rest);
  }

  async readFile(path: string): Promise<Buffer> {
    this.session();
    const abs = this.abs(path);
    // From the host when the engine's view of the container is there: no round trip at all.
    const host = await this.hostPathOf(abs);
    if (host && !this.isClosed) {
      try {
        return readHostFile(host.root, host.path, READ_FILE_MAX_BYTES);
      } catch (err) {
        if (err instanceof FileTooLargeError) throw err;
        if (!(err instanceof HostReadUnsupported)) log('reading %s from the host failed: %s', abs, (err as Error).message);
      }
    }
    const small = await this.guard('readFile', () => readSmallFile(this.shell, abs));
    if (small) return small;
    // In a lent container the agent is not root: what it asks to read is read as it would read it.
    if (this.settings.lease) return this.readAsAgent(abs);
    await this.assertWorkdirThere(abs);
    const stream = await this.guard('readFile', async () =>
      (await withTimeout(this.container.getArchive({ path: abs }), ENGINE_MS, 'getArchive', this.id)) as Readable,
    );
    const data = await readFirstFile(stream, READ_FILE_MAX_BYTES, abs);
    if (data === undefined) throw new SandboxError(`Not a regular file: ${abs}`, { sandboxId: this.id });
    return data;
  }

  private async readAsAgent(abs: string): Promise<Buffer> {
    const script = '[ -e "$1" ] || exit 4; [ -f "$1" ] && [ -r "$1" ] || exit 3; head -c "$2" -- "$1" 2>/dev/null | base64 -w0';
    const r = await this.guard('readFile', () => dockerExec(this.container, ['sh', '-c', script, 'sh', abs, String(READ_FILE_MAX_BYTES + 1)], { timeoutMs: ENGINE_MS, user: this.settings.user }));
    // Errors of the path (an errno code, no library error): the agent's to see, not the sandbox's failure.
    if (r.exitCode === 4) throw Object.assign(new Error(`${abs}: no such file`), { code: 'ENOENT' });
    if (r.exitCode === 3) throw Object.assign(new Error(`${abs}: not a regular file the sandbox's user may read`), { code: 'EACCES' });
    if (r.exitCode !== 0) {
      // The reader runs as the agent's user, which can stop or kill it: its doing, while the sandbox is there.
      if (!(await this.isAlive())) throw new SandboxError(`readFile of ${abs} failed: sandbox ${this.id.slice(0, 12)} is gone`, { sandboxId: this.id });
      throw Object.assign(new Error(`${abs} could not be read as the sandbox's user (its reader ended with ${r.exitCode}: stopped or killed)`), { code: 'EACCES' });
    }
    const data = Buffer.from(r.output.trim(), 'base64');
    if (data.byteLength > READ_FILE_MAX_BYTES) throw new FileTooLargeError(abs, data.byteLength, READ_FILE_MAX_BYTES);
    return data;
  }

  async copyIn(hostDir: string, dest?: string): Promise<void> {
    this.session();
    const target = this.abs(dest ?? this.workdir);
    if (this.settings.lease) {
      await this.writeFiles(await this.guard('copyIn', () => filesOfFolder(hostDir, target)));
      return;
    }
    await this.guard('copyIn', () => withTimeout(this.container.putArchive(packDirectory(hostDir, target, this.settings.owner), { path: '/' }), ENGINE_MS, 'putArchive', this.id));
  }

  async archiveOut(path: string): Promise<Readable> {
    this.session();
    const abs = this.abs(path);
    await this.assertWorkdirThere(abs);
    return this.guard('archiveOut', async () => (await withTimeout(this.container.getArchive({ path: abs }), ENGINE_MS, 'getArchive', this.id)) as Readable);
  }

  async copyOut(path: string, hostDir: string): Promise<void> {
    const stream = await this.archiveOut(path);
    await extractTar(stream, hostDir);
  }

  private inWorkdir(abs: string): boolean {
    const rel = posix.relative(this.workdir, abs);
    return rel === '' || (rel !== '..' && !rel.startsWith('../') && !posix.isAbsolute(rel));
  }

  /**
   * A tmpfs workdir went with its container when that stopped; the engine would read it as a new,
   * empty volume (every file deleted). Say what happened instead: the agent's doing when what ran
   * inside stopped PID 1 (a WorkspaceError, scored 0), else the sandbox is gone (a SandboxError).
   */
  private async assertWorkdirThere(abs: string): Promise<void> {
    if (!this.settings.workdirTmpfs || !this.inWorkdir(abs)) return;
    const state = await this.guard('inspect', () => this.state());
    if (state === 'running') return;
    if (state === 'stopped by the agent') {
      throw new WorkspaceError('lost', 'The container stopped by what ran in it (PID 1 ended: killed by the OOM killer, or by a limit set on it), and its workspace (a tmpfs) went with it');
    }
    throw new SandboxError(`Sandbox ${this.id.slice(0, 12)} ${state}; its workspace, a tmpfs, went with it`, { sandboxId: this.id });
  }

  /**
   * Running, stopped by the agent, or gone by anything else. The agent can stop PID 1 from inside:
   * make the OOM killer pick it (oom_score_adj is raised without privilege), or set a limit on it
   * (prlimit: same uid, no capability) that ends it; the container stopped by its doing, and its
   * files are still readable. Stopped through the engine (`docker kill`, `stop`, `rm -f`, an engine
   * shutting down), paused, removed: infrastructure.
   */
  private async state(): Promise<'running' | 'stopped by the agent' | 'paused' | 'stopped from outside'> {
    const info = await withTimeout(this.container.inspect(), 10_000, 'inspect', this.id);
    if (info.State.Running) return info.State.Paused ? 'paused' : 'running';
    // The events first: the engine's OOMKilled stays set after any OOM kill in the container (a
    // child's, PID 1 surviving it), so a later `docker kill` would pass for the agent's doing.
    const asked = await this.settings.askedToStop().catch((err: Error) => {
      log('who stopped %s is not known from the events (%s): %s', this.id.slice(0, 12), err.message, info.State.OOMKilled ? 'OOM-killed, the agent' : 'from outside');
      return !info.State.OOMKilled;
    });
    return asked ? 'stopped from outside' : 'stopped by the agent';
  }

  async isAlive(): Promise<boolean> {
    if (this.isClosed) return false;
    try {
      const state = await this.state();
      return state === 'running' || state === 'stopped by the agent';
    } catch {
      return false;
    }
  }

  /** From the engine's one-shot stats (about 10 ms): the container's pids cgroup is full. */
  private async atProcessLimit(): Promise<boolean> {
    const stats = (await withTimeout(this.container.stats({ stream: false, 'one-shot': true } as { stream: false }), 5_000, 'stats', this.id)) as {
      pids_stats?: { current?: number; limit?: number };
    };
    const { current, limit } = stats.pids_stats ?? {};
    // A few pids of headroom: processes that could not start leave the count just under the limit.
    return current !== undefined && limit !== undefined && limit > 0 && current >= limit - 2;
  }

  hostWorkdir(): Promise<HostFolder | undefined> {
    // Closed, the held folder's descriptor is gone (and its number may be another's).
    return this.hostView().then((v) => (this.isClosed ? undefined : v?.workdir));
  }

  /** Where on the host the file at `abs` (an absolute path in the sandbox) can be read, if anywhere. */
  private async hostPathOf(abs: string): Promise<{ root: string; path: string } | undefined> {
    const view = await this.hostView();
    if (!view) return undefined;
    if (this.inWorkdir(abs)) return { root: view.workdir.root, path: posix.join(view.workdir.inner, posix.relative(this.workdir, abs)) };
    // The host reads as root: outside the workdir of a lent container (its agent not root) it does not read at all.
    return this.settings.lease ? undefined : { root: view.merged, path: abs };
  }

  private hostView(): Promise<HostView | undefined> {
    return (this.view ??= this.findHostView());
  }

  private async findHostView(): Promise<HostView | undefined> {
    // Only an engine on this machine (a unix socket) shares its file systems with this process.
    if (process.platform !== 'linux' || !(this.container.modem as { socketPath?: string }).socketPath) return undefined;
    try {
      const info = await withTimeout(this.container.inspect(), 10_000, 'inspect', this.id);
      const data = info.GraphDriver?.Data as { MergedDir?: string } | undefined;
      const merged = info.GraphDriver?.Name === 'overlay2' ? data?.MergedDir : undefined;
      if (!merged || !posix.isAbsolute(merged)) return undefined;
      await access(merged, constants.R_OK | constants.X_OK);
      // The workdir is a volume of its own (a tmpfs): its host folder, not the overlay's, holds it.
      const mount = info.Mounts?.find((m) => m.Destination === this.workdir);
      if (!mount) return this.settings.workdirTmpfs ? undefined : { merged, workdir: { root: merged, inner: this.workdir } };
      if (mount.Type !== 'volume' || !posix.isAbsolute(mount.Source) || !info.State.Running) return undefined;
      // Held from here to close(): the workspace stays readable after the container stops,
      // whatever stopped it (the agent can stop PID 1 without an OOM: a prlimit on it, then a kill).
      const held = holdMountedFolder(mount.Source);
      if (held === undefined || this.isClosed) {
        if (held !== undefined) closeSync(held);
        return undefined;
      }
      this.heldWorkdir = held;
      return { merged, workdir: { root: `/proc/self/fd/${held}`, inner: '/' } };
    } catch (err) {
      log('no host view of %s: %s', this.id.slice(0, 12), (err as Error).message);
      return undefined;
    }
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.isClosed = true;
      this.closing = (async () => {
        await this.shell?.close().catch(() => {});
        await this.view?.catch(() => undefined);
        if (this.settings.lease) {
          // The container goes back to the provider, which resets it or removes it.
          await this.settings.lease.giveBack().catch((err: unknown) => log('giving back %s failed: %O', this.id, err));
          this.onClose(this);
          return;
        }
        try {
          await withTimeout(this.container.remove({ force: true, v: true }), ENGINE_MS, 'remove', this.id);
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 404) log('remove %s failed: %O', this.id, err);
          // Removed from outside without its volume: the volume goes here.
          else await this.settings.removeVolumes().catch((e: unknown) => log('removing the volume of %s failed: %O', this.id, e));
        }
        if (this.heldWorkdir !== undefined) closeSync(this.heldWorkdir);
        this.heldWorkdir = undefined;
        this.onClose(this);
      })();
    }
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
