import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { ClosedError, SandboxError } from '../../errors.js';
import { ShellSession } from '../shell-session.js';
import { runInSubshell } from '../subshell.js';
import { endSignal, type ShellHost, type ShellTransport } from '../shell-transport.js';
import { packDirectory, packFiles } from '../tar.js';
import type { ExecResult, FileEntry, RunOptions, Sandbox } from '../types.js';

export interface LocalSandboxSettings {
  env: Record<string, string>;
  commandTimeoutMs: number;
  keepChars: number;
}

/** The shell launcher on the host: stdout is the terminal (util-linux `script`), stderr the control channel. */
function openScriptShell(argv: string[], env: Record<string, string>, cwd: string): Promise<ShellTransport> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const signal = endSignal();
  child.on('exit', (code) => signal.end(code ?? undefined));
  child.on('error', () => signal.end());
  child.stdin.on('error', () => {});
  return Promise.resolve({
    write: (data) => {
      if (!signal.ended) child.stdin.write(data);
    },
    onData: (listener) => child.stdout.on('data', listener),
    onControl: (listener) => child.stderr.on('data', listener),
    onClose: signal.onEnd,
    close: async () => {
      if (!signal.ended) child.kill('SIGKILL');
    },
  });
}

const hostShell: ShellHost = {
  openShell: openScriptShell,
  runScript: async (script, timeoutMs) => {
    const r = await execa('sh', ['-c', script], { timeout: timeoutMs, reject: false, all: true });
    return { exitCode: r.exitCode ?? -1, output: r.all ?? '' };
  },
  // The host is always there; a closed sandbox closes its shell first.
  alive: () => Promise.resolve(true),
};

/**
 * A temporary directory on the host with a persistent bash. For development and machines without
 * a container engine: it is NOT a security boundary (commands run as you, with your network).
 */
export class LocalSandbox implements Sandbox {
  readonly id: string;
  private shell: ShellSession | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly workdir: string,
    private readonly settings: LocalSandboxSettings,
    private readonly onClose: (s: LocalSandbox) => void,
  ) {
    this.id = `local-${basename(dirname(workdir))}`;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  async restartShell(): Promise<void> {
    const old = this.shell;
    this.shell = null;
    await old?.terminate();
    await this.openShell();
  }

  async openShell(): Promise<void> {
    this.shell = await ShellSession.open(hostShell, {
      cwd: this.workdir,
      env: this.settings.env,
      timeoutMs: this.settings.commandTimeoutMs,
      keepChars: this.settings.keepChars,
    });
  }

  private session(): ShellSession {
    if (this.closing) throw new ClosedError(`Sandbox ${this.id}`);
    if (!this.shell) throw new SandboxError('The sandbox has no shell', { sandboxId: this.id });
    return this.shell;
  }

  get shellBusy(): boolean {
    return this.shell?.busy ?? false;
  }

  exec(command: string, options?: RunOptions): Promise<ExecResult> {
    return this.session().run(command, options);
  }
  sendInput(text: string, options?: RunOptions): Promise<ExecResult> {
    return this.session().sendInput(text, options);
  }
  sendKey(key: 'C-c' | 'C-d' | 'C-z', options?: RunOptions): Promise<ExecResult> {
    return this.session().sendKey(key, options);
  }
  poll(options?: RunOptions): Promise<ExecResult> {
    return this.session().poll(options);
  }

  async execDetached(argv: string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<ExecResult> {
    this.session();
    const quick = await runInSubshell(this.shell, argv, options.cwd ?? this.workdir, options.timeoutMs ?? this.settings.commandTimeoutMs);
    if (quick) return quick;
    const [file, ...args] = argv;
    if (!file) throw new SandboxError('execDetached needs a command', { sandboxId: this.id });
    const r = await execa(file, args, {
      cwd: options.cwd ?? this.workdir,
      env: this.settings.env,
      timeout: options.timeoutMs ?? this.settings.commandTimeoutMs,
      reject: false,
      all: true,
    });
    return {
      command: argv.join(' '),
      exitCode: r.exitCode ?? (r.timedOut ? 137 : -1),
      output: r.all ?? '',
      durationMs: r.durationMs,
      timedOut: r.timedOut,
      truncated: false,
      running: false,
    };
  }

  private abs(p: string): string {
    return isAbsolute(p) ? p : join(this.workdir, p);
  }

  async writeFiles(files: FileEntry[]): Promise<void> {
    this.session();
    for (const f of files) {
      const target = this.abs(f.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, f.content);
      await chmod(target, f.mode ?? 0o644);
    }
  }

  async readFile(path: string): Promise<Buffer> {
    this.session();
    return readFile(this.abs(path));
  }

  async copyIn(hostDir: string, dest?: string): Promise<void> {
    this.session();
    await cp(hostDir, this.abs(dest ?? this.workdir), { recursive: true, verbatimSymlinks: true });
  }

  async archiveOut(path: string): Promise<Readable> {
    this.session();
    const abs = resolve(this.abs(path));
    const st = await stat(abs);
    // Same shape as the engine's archives: the entry's own name first, then its contents.
    if (st.isDirectory()) return packDirectory(abs, basename(abs));
    return packFiles([{ path: basename(abs), content: await readFile(abs), mode: st.mode & 0o7777 }]);
  }

  async copyOut(path: string, hostDir: string): Promise<void> {
    this.session();
    const abs = this.abs(path);
    await cp(abs, join(hostDir, basename(abs)), { recursive: true, verbatimSymlinks: true });
  }

  async isAlive(): Promise<boolean> {
    return !this.closing;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        await this.shell?.close().catch(() => {});
        await rm(dirname(this.workdir), { recursive: true, force: true });
        this.onClose(this);
      })();
    }
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
