import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import createDebug from 'debug';
import { ClosedError, SandboxError, ShellBusyError } from '../errors.js';
import { CappedOutput } from './capped-output.js';
import { killForegroundScript, killSessionScript, type ShellHost, type ShellTransport } from './shell-transport.js';
import type { ExecResult, RunOptions } from './types.js';

const log = createDebug('hybrid-gym:shell');

export interface ShellSessionOptions {
  /** Working directory the shell starts in. */
  cwd: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Characters of output kept from the start and from the end of each command. @default 50000 */
  keepChars?: number;
  /** Default hard timeout per command. @default 120000 */
  timeoutMs?: number;
}

const KEYS = { 'C-c': '\x03', 'C-d': '\x04', 'C-z': '\x1a' } as const;
const GRACE_AFTER_INTERRUPT_MS = 1000;
const FORK_FAILED = /fork: (retry: )?Resource temporarily unavailable/;
const MARKER_END = /^(-?\d+)__\r?\n/;
const GRACE_AFTER_KILL_MS = 2000;

function quoteChar(ch: string): string {
  const c = ch.codePointAt(0)!;
  if (ch === '\\') return '\\\\';
  if (ch === "'") return "\\'";
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return ch;
}

/** Quote text as a bash $'...' word, so any command (multi-line, heredocs, quotes) is one input line. */
export function ansiCQuote(text: string): string {
  let out = "$'";
  for (const ch of text) out += quoteChar(ch);
  return out + "'";
}

// A terminal in canonical mode cuts input lines at 4095 bytes: stay well below.
const MAX_LINE_BYTES = 3000;

/**
 * The input that makes bash eval `command`: one $'...' word, split into physical lines of at most
 * MAX_LINE_BYTES joined by backslash-newline continuations, which bash reads as one command.
 */
export function evalInput(command: string): string {
  const parts: string[] = [];
  let cur = '';
  let bytes = 0;
  for (const ch of command) {
    const q = quoteChar(ch);
    const n = Buffer.byteLength(q);
    if (bytes + n > MAX_LINE_BYTES) {
      parts.push(cur);
      cur = '';
      bytes = 0;
    }
    cur += q;
    bytes += n;
  }
  parts.push(cur);
  return `eval ${parts.map((p) => `$'${p}'`).join('\\\n')}`;
}

interface Running {
  command: string;
  startedAt: number;
  output: CappedOutput;
  onOutput: ((chunk: string) => void) | undefined;
  lastOutputAt: number;
  /** Settles the caller currently waiting on this command, if any. */
  waiter: ((r: ExecResult | null) => void) | null;
  exitCode: number | null;
  notice: string | undefined;
  timedOut: boolean;
}

/**
 * One persistent interactive bash on a pseudo-terminal. Commands are sent as one `eval` line each;
 * the end of a command is seen when PROMPT_COMMAND prints a marker with a per-session nonce and `$?`.
 * Job control puts each command in its own process group, so Ctrl-C reaches the command, not bash.
 */
export class ShellSession {
  private transport: ShellTransport | null = null;
  private readonly nonce = randomBytes(6).toString('hex');
  private readonly marker = `__HGM_${this.nonce}_`;
  private decoder = new StringDecoder('utf8');
  private carry = '';
  private running: Running | null = null;
  private pid = 0;
  private isClosed = false;
  private readonly keep: number;
  private readonly defaultTimeoutMs: number;

  private constructor(
    private readonly host: ShellHost,
    private readonly options: ShellSessionOptions,
  ) {
    this.keep = options.keepChars ?? 50_000;
    this.defaultTimeoutMs = options.timeoutMs ?? 120_000;
  }

  static async open(host: ShellHost, options: ShellSessionOptions): Promise<ShellSession> {
    const session = new ShellSession(host, options);
    await session.start();
    return session;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  get runningCommand(): string | undefined {
    return this.running?.command;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The bash process id, as seen where it runs. */
  get shellPid(): number {
    return this.pid;
  }

  private async start(): Promise<void> {
    this.decoder = new StringDecoder('utf8');
    this.carry = '';
    const env = {
      PS1: '',
      PS2: '',
      PROMPT_COMMAND: `printf '\\n${this.marker}%s__\\n' "$?"`,
      TERM: 'dumb',
      PAGER: 'cat',
      GIT_PAGER: 'cat',
      LANG: 'C.UTF-8',
      ...this.options.env,
    };
    const transport = await this.host.openShell(
      ['bash', '--noprofile', '--norc', '--noediting', '-i'],
      env,
      this.options.cwd,
    );
    this.transport = transport;
    transport.onData((chunk) => this.onData(chunk));
    transport.onClose(() => this.onTransportClose(transport));
    // The first prompt marks readiness; the init line is echoed (echo is still on) and then silenced.
    const ready = await this.begin('(start)', { timeoutMs: 15_000 }, false);
    if (ready.exitCode === -1 || ready.timedOut) throw new SandboxError(`The shell did not start: ${ready.output}`);
    const init = await this.begin(
      '(init)',
      { timeoutMs: 15_000 },
      true,
      "stty -echo -onlcr cols 250 rows 50 2>/dev/null; PS1=''; PS2=''; set +H; set +o history; unset HISTFILE; printf '__HGPID_%s__' $$",
    );
    const m = /__HGPID_(\d+)__/.exec(init.output);
    if (!m) throw new SandboxError(`The shell did not initialise: ${init.output.slice(-500)}`);
    this.pid = Number(m[1]);
    log('shell ready, pid %d', this.pid);
  }

  /** Run a command and wait for it (or for `idleMs` without output, or the hard timeout). */
  async run(command: string, options: RunOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    if (this.running) throw new ShellBusyError(this.running.command);
    return this.begin(command, options, true, evalInput(command));
  }

  /** Send raw text to the running command (or to the shell when idle) and collect what follows. */
  async sendInput(text: string, options: RunOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    if (!this.running) return this.run(text, options);
    this.transport!.write(text);
    return this.collect(options);
  }

  async sendKey(key: keyof typeof KEYS, options: RunOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    if (!this.running) {
      return this.idleResult(key, `No command is running; ${key} was not sent.`);
    }
    this.transport!.write(KEYS[key]);
    return this.collect({ timeoutMs: options.timeoutMs ?? 5_000, ...options });
  }

  /** Collect more output of the running command. */
  async poll(options: RunOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    if (!this.running) return this.idleResult('', 'No command is running.');
    return this.collect(options);
  }

  private idleResult(command: string, notice: string): ExecResult {
    return { command, exitCode: 0, output: '', durationMs: 0, timedOut: false, truncated: false, running: false, notice };
  }

  private async begin(command: string, options: RunOptions, send: boolean, line?: string): Promise<ExecResult> {
    const now = Date.now();
    this.running = {
      command,
      startedAt: now,
      output: new CappedOutput(this.keep, this.keep),
      onOutput: options.onOutput,
      lastOutputAt: now,
      waiter: null,
      exitCode: null,
      notice: undefined,
      timedOut: false,
    };
    if (send && line !== undefined) this.transport!.write(line + '\n');
    return this.collect(options);
  }

  /** Wait for the running command to end, go idle, or time out; return output gathered since last time. */
  private collect(options: RunOptions): Promise<ExecResult> {
    const r = this.running!;
    if (options.onOutput) r.onOutput = options.onOutput;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const started = Date.now();
    return new Promise<ExecResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let idleTimer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        clearTimeout(idleTimer);
        r.waiter = null;
        resolve(this.takeResult(r));
      };
      r.waiter = finish;
      if (r.exitCode !== null) return finish();
      timer = setTimeout(() => {
        clearInterval(idleTimer);
        r.waiter = null;
        void this.interrupt(r).then(() => finish());
      }, timeoutMs);
      if (options.idleMs !== undefined) {
        const idleMs = options.idleMs;
        const check = (): void => {
          const quietFor = Date.now() - Math.max(r.lastOutputAt, started);
          if (quietFor >= idleMs) return finish();
          idleTimer = setTimeout(check, idleMs - quietFor);
        };
        idleTimer = setTimeout(check, idleMs);
      }
    });
  }

  /** Build the result for what the caller has not seen yet; clears `running` when the command ended. */
  private takeResult(r: Running): ExecResult {
    const done = r.exitCode !== null;
    const result: ExecResult = {
      command: r.command,
      exitCode: done ? r.exitCode! : -1,
      output: r.output.toString(),
      durationMs: Date.now() - r.startedAt,
      timedOut: r.timedOut,
      truncated: r.output.truncated,
      running: !done,
    };
    if (r.notice) result.notice = r.notice;
    if (done) {
      if (this.running === r) this.running = null;
      if (r.exitCode === 137 && !r.timedOut && !r.notice) {
        result.notice = 'The command was killed by SIGKILL (exit 137); the usual cause is the sandbox memory limit.';
      }
    }
    if (FORK_FAILED.test(result.output)) {
      const limit = 'The sandbox reached its process limit: processes could not be started. Kill runaway processes.';
      result.notice = result.notice ? `${result.notice} ${limit}` : limit;
    } else {
      // The next call reports only what arrives after this one.
      r.output = new CappedOutput(this.keep, this.keep);
    }
    return result;
  }

  /** Hard timeout: Ctrl-C, then SIGKILL the foreground job, then restart the shell as a last resort. */
  private async interrupt(r: Running): Promise<void> {
    r.timedOut = true;
    this.transport?.write(KEYS['C-c']);
    if (await this.waitForEnd(r, GRACE_AFTER_INTERRUPT_MS)) {
      r.notice = 'The command timed out and was interrupted with Ctrl-C.';
      return;
    }
    try {
      if (this.pid > 1) await this.host.runScript(killForegroundScript(this.pid), 5_000);
    } catch (err) {
      log('foreground kill failed: %O', err);
    }
    if (await this.waitForEnd(r, GRACE_AFTER_KILL_MS)) {
      r.notice = 'The command timed out, ignored Ctrl-C and was killed.';
      return;
    }
    await this.restart(r, 'The command timed out and could not be stopped; the shell was restarted (cwd and variables reset).');
  }

  private waitForEnd(r: Running, ms: number): Promise<boolean> {
    if (r.exitCode !== null) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        r.waiter = null;
        resolve(false);
      }, ms);
      r.waiter = () => {
        clearTimeout(timer);
        r.waiter = null;
        resolve(true);
      };
    });
  }

  private async restart(r: Running, notice: string): Promise<void> {
    const old = this.transport;
    this.transport = null;
    await old?.close().catch(() => {});
    // A dropped connection does not end a process started by docker exec: kill the old shell's session.
    if (this.pid > 1) await this.host.runScript(killSessionScript(this.pid), 5_000).catch(() => {});
    r.exitCode = r.exitCode ?? 130;
    r.notice = notice;
    if (this.running === r) this.running = null;
    if (this.isClosed) return;
    try {
      await this.start();
    } catch (err) {
      log('shell restart failed: %O', err);
      r.notice = `${notice} The new shell failed to start: ${(err as Error).message}`;
    }
  }

  private onData(chunk: Buffer): void {
    const r = this.running;
    let text = this.carry + this.decoder.write(chunk);
    const at = text.indexOf(this.marker);
    if (at >= 0) {
      // The first prompt comes before `stty -onlcr`, so its line ends in \r\n.
      const m = MARKER_END.exec(text.slice(at + this.marker.length, at + this.marker.length + 16));
      if (m) {
        const code = Number(m[1]);
        const end = at + this.marker.length + m[0].length;
        const before = text.slice(0, at);
        this.carry = '';
        if (r) {
          // The marker is printed after a newline of its own; that newline is not the command's.
          this.emit(r, before.endsWith('\n') ? before.slice(0, -1) : before);
          r.exitCode = Number.isFinite(code) ? code : -1;
          r.waiter?.(null);
        }
        // Whatever follows (a background job's output) belongs to no command; scan it for markers too.
        const rest = text.slice(end);
        if (rest.length > 0) this.onData(Buffer.from(rest));
        return;
      }
    }
    // Hold back only what may be the start of a marker (it always follows a newline), so output streams.
    let keepFrom: number;
    if (at >= 0) keepFrom = at > 0 && text[at - 1] === '\n' ? at - 1 : at;
    else {
      const nl = text.lastIndexOf('\n');
      keepFrom = nl >= 0 && `\n${this.marker}`.startsWith(text.slice(nl, nl + this.marker.length + 1)) ? nl : text.length;
    }
    this.carry = text.slice(keepFrom);
    text = text.slice(0, keepFrom);
    if (r && text.length > 0) this.emit(r, text);
  }

  private emit(r: Running, text: string): void {
    if (text.length === 0) return;
    r.output.append(text);
    r.lastOutputAt = Date.now();
    r.onOutput?.(text);
  }

  private onTransportClose(transport: ShellTransport): void {
    if (transport !== this.transport) return;
    this.transport = null;
    const r = this.running;
    if (!r || this.isClosed) return;
    log('shell exited while running %s', r.command);
    if (this.carry) this.emit(r, this.carry);
    this.carry = '';
    r.exitCode = r.exitCode ?? 0;
    r.notice = 'The shell exited; a new shell was started for the next command (cwd and variables reset).';
    this.running = null;
    const waiter = r.waiter;
    // Start the replacement before answering, so the next command finds a shell.
    void this.start()
      .catch((err) => {
        r.notice = `The shell exited and a new one failed to start: ${(err as Error).message}`;
      })
      .finally(() => waiter?.(null));
  }

  private assertOpen(): void {
    if (this.isClosed) throw new ClosedError('Shell session');
    if (!this.transport) throw new SandboxError('The shell is not running (its process is gone).');
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const t = this.transport;
    this.transport = null;
    const r = this.running;
    if (r) {
      r.exitCode = r.exitCode ?? -1;
      r.notice = 'The sandbox was closed while the command ran.';
      r.waiter?.(null);
    }
    await t?.close().catch(() => {});
  }
}
