import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { posix } from 'node:path';
import createDebug from 'debug';
import { ClosedError, SandboxError } from '../../errors.js';
import { ShellSession } from '../shell-session.js';
import { runInSubshell } from '../subshell.js';
import { readSmallFile, writeSmallFiles } from './shell-files.js';
import type { ShellHost } from '../shell-transport.js';
import { extractTar, packDirectory, packFiles, readFirstFile } from '../tar.js';
import type { ExecResult, FileEntry, RunOptions, Sandbox } from '../types.js';
import { dockerExec, openTtyExec } from './docker-exec.js';

const log = createDebug('hybrid-gym:sandbox');

export interface DockerSandboxSettings {
  workdir: string;
  env: Record<string, string>;
  commandTimeoutMs: number;
  keepChars: number;
}

/** A running container with one persistent shell. */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  readonly workdir: string;
  private shell: ShellSession | null = null;
  private isClosed = false;
  private closing: Promise<void> | null = null;
  private readonly host: ShellHost;

  constructor(
    readonly container: Docker.Container,
    private readonly settings: DockerSandboxSettings,
    private readonly onClose: (s: DockerSandbox) => void,
  ) {
    this.id = container.id;
    this.workdir = settings.workdir;
    this.host = {
      openShell: (argv, env, cwd) => openTtyExec(container, argv, env, cwd),
      runScript: (script, timeoutMs) => dockerExec(container, ['sh', '-c', script], { timeoutMs }),
    };
  }

  get closed(): boolean {
    return this.isClosed;
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
      dockerExec(this.container, argv, { timeoutMs, cwd: options.cwd ?? this.workdir }),
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
    await this.guard('writeFiles', () => this.container.putArchive(packFiles(entries), { path: '/' }));
  }

  async readFile(path: string): Promise<Buffer> {
    this.session();
    const abs = this.abs(path);
    const small = await this.guard('readFile', () => readSmallFile(this.shell, abs));
    if (small) return small;
    const data = await this.guard('readFile', async () =>
      readFirstFile((await this.container.getArchive({ path: abs })) as Readable),
    );
    if (data === undefined) throw new SandboxError(`Not a regular file: ${abs}`, { sandboxId: this.id });
    return data;
  }

  async copyIn(hostDir: string, dest?: string): Promise<void> {
    this.session();
    const target = this.abs(dest ?? this.workdir);
    await this.guard('copyIn', () => this.container.putArchive(packDirectory(hostDir, target), { path: '/' }));
  }

  async archiveOut(path: string): Promise<Readable> {
    this.session();
    const abs = this.abs(path);
    return this.guard('archiveOut', async () => (await this.container.getArchive({ path: abs })) as Readable);
  }

  async copyOut(path: string, hostDir: string): Promise<void> {
    const stream = await this.archiveOut(path);
    await extractTar(stream, hostDir);
  }

  async wipe(options: { keepWorkdir?: boolean } = {}): Promise<void> {
    this.session();
    await this.shell?.close();
    this.shell = null;
    const w = options.keepWorkdir ? '' : this.workdir;
    // kill -1 spares the calling shell and PID 1 (the keeper that holds the container up).
    const script =
      `for i in 1 2 3 4 5; do kill -9 -1 2>/dev/null; sleep 0.02; done; ` +
      `find ${w} /tmp /var/tmp /dev/shm /root -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null; ` +
      `mkdir -p ${this.workdir}; exit 0`;
    const clean = () => this.guard('wipe', () => dockerExec(this.container, ['sh', '-c', script], { timeoutMs: 0 }));
    let out = await clean();
    if (out.exitCode !== 0) {
      // No process can start (a fork bomb holds every pid): a restart kills them all, files stay.
      log('wipe of %s failed (%s), restarting the container', this.id.slice(0, 12), out.output.trim());
      await this.guard('restart', () => this.container.restart({ t: 0 }));
      out = await clean();
    }
    if (out.exitCode !== 0) throw new SandboxError(`wipe failed: ${out.output}`, { sandboxId: this.id });
    await this.guard('openShell', () => this.openShell());
  }

  async isAlive(): Promise<boolean> {
    if (this.isClosed) return false;
    try {
      const info = await this.container.inspect();
      return info.State.Running && !(this.shell?.closed ?? true);
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.isClosed = true;
      this.closing = (async () => {
        await this.shell?.close().catch(() => {});
        try {
          await this.container.remove({ force: true, v: true });
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 404) log('remove %s failed: %O', this.id, err);
        }
        this.onClose(this);
      })();
    }
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
