import { StringDecoder } from 'node:string_decoder';
import createDebug from 'debug';
import { ClosedError, SandboxError, ShellBusyError } from '../errors.js';
import { CappedOutput } from './capped-output.js';
import { CONTROL_FD, killForegroundScript, killSessionScript, shellLauncher, type ShellHost, type ShellTransport } from './shell-transport.js';
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
  // The command runs with the control channel closed: nothing it does can write an end of command.
  // `\builtin eval`: an alias or function named eval that the agent defined is not ours to run.
  return `\\builtin eval ${parts.map((p) => `$'${p}'`).join('\\\n')} ${CONTROL_FD}>&-`;
}

// The prompt hook prints a fresh random token on the control channel, then the same token inside a
// terminal mark (RS "HG" token RS) after the command's output. The command has ended when the
// control line has come and its mark has been seen; output before the mark is the command's. Only
// that exact token ends a command, and no one knows it before the command ended.
const MARK_START = '\x1eHG';
const MARK_END = '\x1e';
const PARTIAL_MARK = /\x1e(?:H(?:G\d{0,24}\x1e?)?)?$/;
const WHOLE_MARK = /\x1eHG\d{1,24}\x1e/;
// It also empties PS1 and PS2 before bash shows them: a prompt the agent set would otherwise be
// printed after the mark and taken for the output of the next command.
const PROMPT_FN =
  `__hg_prompt() { local c=$? t=$SRANDOM$SRANDOM; PS1=''; PS2=''; printf '%s %s\\n' "$t" "$c" >&${CONTROL_FD}; ` +
  `printf '\\036HG%s\\036' "$t" >/dev/tty; }`;
// The first prompt, before the init line defines the hook: token 0.
const FIRST_PROMPT = `printf '0 %s\\n' "$?" >&${CONTROL_FD}; PS1=''; PS2=''; printf '\\036HG0\\036' >/dev/tty`;
// A command that redirected the terminal away (`exec >/dev/null` cannot hide /dev/tty, but a broken
// terminal can): after the control line, wait this long for the mark, then end the command anyway.
const MARK_WAIT_MS = 3000;
// Tokens of recent prompts: a mark that comes late (after its command ended) is still removed.
const RECENT_TOKENS = 8;
const ALIVE_CHECK_MS = 10_000;
const GONE = 'The sandbox is gone: its container was stopped, paused or removed from outside.';
/** The engine's words for refusing a process in a stopped container. */
const ENGINE_STOPPING = /stopped state|is not running|no such container/i;
/** How often, and how far apart, a container the engine called stopped is inspected again. */
const STOPPING_CHECKS = 10;
const STOPPING_CHECK_MS = 200;

interface Running {
  command: string;
  startedAt: number;
  output: CappedOutput;
  onOutput: ((chunk: string) => void) | undefined;
  lastOutputAt: number;
  /** Wakes the caller currently waiting on this command, if any. */
  waiter: (() => void) | null;
  /** The control line of the prompt that followed the command. */
  end: { token: string; code: number } | null;
  exitCode: number | null;
  /** The sandbox is gone: the caller gets this error instead of a result. */
  error: Error | undefined;
  notice: string | undefined;
  timedOut: boolean;
  markTimer: NodeJS.Timeout | undefined;
}

/** Why a new shell failed, naming the process limit when that is the cause (the agent's fork bomb). */
function startFailure(what: string, output: string): string {
  const cause = FORK_FAILED.test(output)
    ? ' The sandbox is at its process limit: processes started in it keep it full, so no new process can start.'
    : '';
  const last = output.trim() ? ` Its last output: ${output.trim().slice(-300)}` : '';
  return `The shell ${what}.${cause}${last}`;
}

/**
 * One persistent interactive bash on a pseudo-terminal. Commands are sent as one `eval` line each;
 * their end is signalled on a separate control channel that the commands themselves cannot write
 * (see PROMPT_FN), so any output — the environment, floods, binary bytes, fake marks — is output.
 * Job control puts each command in its own process group, so Ctrl-C reaches the command, not bash.
 */
export class ShellSession {
  private transport: ShellTransport | null = null;
  private decoder = new StringDecoder('utf8');
  private controlBuf = '';
  /** Terminal text of the running command not yet given to it (may hold the start of a mark). */
  private pty = '';
  private readonly recentTokens: string[] = [];
  private running: Running | null = null;
  private pid = 0;
  private isClosed = false;
  /** Set when the sandbox is gone; every later call throws it. */
  private dead: SandboxError | null = null;
  /** A shell is being started: its exit fails that start instead of starting yet another shell. */
  private starting = false;
  /** A replacement shell being started after the old one exited. */
  private recovering: Promise<void> | null = null;
  /** What happened to the shell between commands, told with the next result. */
  private pendingNotice: string | undefined;
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
    return this.running !== null || this.recovering !== null;
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
    this.starting = true;
    try {
      await this.startShell();
    } finally {
      this.starting = false;
    }
  }

  private async startShell(): Promise<void> {
    this.decoder = new StringDecoder('utf8');
    this.controlBuf = '';
    this.pty = '';
    const env = {
      PS1: '',
      PS2: '',
      PROMPT_COMMAND: FIRST_PROMPT,
      TERM: 'dumb',
      PAGER: 'cat',
      GIT_PAGER: 'cat',
      LANG: 'C.UTF-8',
      ...this.options.env,
    };
    const transport = await this.host.openShell(shellLauncher(['--noprofile', '--norc', '--noediting', '-i']), env, this.options.cwd);
    this.transport = transport;
    transport.onData((chunk) => this.onData(chunk));
    transport.onControl((chunk) => this.onControl(chunk));
    transport.onClose((code) => this.onTransportClose(transport, code));
    const ready = await this.begin('(start)', { timeoutMs: 15_000 }, false);
    if (ready.timedOut || ready.exitCode === -1) throw new SandboxError(startFailure('did not start', ready.output));
    // Echo off, the hook installed read-only (a command cannot remove or replace it), no history.
    const init = await this.begin(
      '(init)',
      { timeoutMs: 15_000 },
      true,
      `stty -echo -onlcr cols 250 rows 50 2>/dev/null; PS1=''; PS2=''; set +H; set +o history; unset HISTFILE; ` +
        `${PROMPT_FN}; readonly -f __hg_prompt; declare -r +x PROMPT_COMMAND=__hg_prompt; printf '__HGPID_%s__' $$`,
    );
    const m = /__HGPID_(\d+)__/.exec(init.output);
    if (!m) throw new SandboxError(startFailure('did not initialise', init.output));
    this.pid = Number(m[1]);
    log('shell ready, pid %d', this.pid);
  }

  /** Run a command and wait for it (or for `idleMs` without output, or the hard timeout). */
  async run(command: string, options: RunOptions = {}): Promise<ExecResult> {
    await this.ready();
    if (this.running) throw new ShellBusyError(this.running.command);
    return this.begin(command, options, true, evalInput(command));
  }

  /** Send raw text to the running command (or to the shell when idle) and collect what follows. */
  async sendInput(text: string, options: RunOptions = {}): Promise<ExecResult> {
    await this.ready();
    if (!this.running) return this.run(text, options);
    this.transport!.write(text);
    return this.collect(options);
  }

  async sendKey(key: keyof typeof KEYS, options: RunOptions = {}): Promise<ExecResult> {
    await this.ready();
    if (!this.running) return this.idleResult(key, `No command is running; ${key} was not sent.`);
    this.transport!.write(KEYS[key]);
    return this.collect({ timeoutMs: options.timeoutMs ?? 5_000, ...options });
  }

  /** Collect more output of the running command. */
  async poll(options: RunOptions = {}): Promise<ExecResult> {
    await this.ready();
    if (!this.running) return this.idleResult('', 'No command is running.');
    return this.collect(options);
  }

  private idleResult(command: string, notice: string): ExecResult {
    return { command, exitCode: 0, output: '', durationMs: 0, timedOut: false, truncated: false, running: false, notice };
  }

  /** Wait out a shell restart, then fail if the session cannot take commands. */
  private async ready(): Promise<void> {
    if (this.recovering) await this.recovering;
    if (this.isClosed) throw new ClosedError('Shell session');
    if (this.dead) throw this.dead;
    if (!this.transport) throw new SandboxError('The shell is not running (its process is gone).');
  }

  private begin(command: string, options: RunOptions, send: boolean, line?: string): Promise<ExecResult> {
    const now = Date.now();
    this.pty = '';
    this.running = {
      command,
      startedAt: now,
      output: new CappedOutput(this.keep, this.keep),
      onOutput: options.onOutput,
      lastOutputAt: now,
      waiter: null,
      end: null,
      exitCode: null,
      error: undefined,
      notice: undefined,
      timedOut: false,
      markTimer: undefined,
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
    return new Promise<ExecResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let idleTimer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        clearTimeout(idleTimer);
        r.waiter = null;
        if (r.error) {
          if (this.running === r) this.running = null;
          reject(r.error);
        } else resolve(this.takeResult(r));
      };
      r.waiter = finish;
      if (r.exitCode !== null || r.error) return finish();
      timer = setTimeout(() => {
        clearTimeout(idleTimer);
        r.waiter = null;
        // A shell that does not start in time is not interrupted (that would start another): the start fails.
        if (this.starting) {
          r.timedOut = true;
          return finish();
        }
        void this.interrupt(r).then(finish, finish);
      }, timeoutMs);
      if (options.idleMs !== undefined) {
        const idleMs = options.idleMs;
        const check = (): void => {
          const quietFor = Date.now() - Math.max(r.lastOutputAt, started);
          if (quietFor >= idleMs) {
            // Quiet because nothing runs any more (the container paused, stopped or removed from
            // outside) is not the command still running: say the sandbox is gone. An engine too slow
            // to answer is not an answer: the command is reported idle as usual.
            void this.hostAlive(true).then((alive) => {
              if (!alive && r.exitCode === null) r.error ??= (this.dead = new SandboxError(GONE));
              if (r.waiter === finish) finish();
            });
            return;
          }
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
    const notices = [this.pendingNotice, r.notice].filter((n): n is string => !!n);
    this.pendingNotice = undefined;
    if (done) {
      if (this.running === r) this.running = null;
      if (r.exitCode === 137 && !r.timedOut && !r.notice) {
        notices.push('The command was killed by SIGKILL (exit 137); the usual cause is the sandbox memory limit.');
      }
    }
    if (FORK_FAILED.test(result.output)) {
      notices.push('The sandbox reached its process limit: processes could not be started. Kill runaway processes.');
    } else {
      // The next call reports only what arrives after this one.
      r.output = new CappedOutput(this.keep, this.keep);
    }
    if (notices.length > 0) result.notice = notices.join(' ');
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
    if (r.exitCode !== null || r.error) return Promise.resolve(true);
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
    this.flushTo(r);
    r.exitCode = r.exitCode ?? 130;
    r.notice = notice;
    if (this.running === r) this.running = null;
    if (this.isClosed) return;
    try {
      await this.start();
    } catch (err) {
      log('shell restart failed: %O', err);
      r.error = await this.sandboxGoneOr(`${notice} The new shell failed to start: ${(err as Error).message}`);
    }
  }

  /** The error for a shell that cannot be replaced: the sandbox is gone (infrastructure) or broken. */
  private async sandboxGoneOr(message: string): Promise<SandboxError> {
    let alive = await this.hostAlive();
    // The engine refuses a process in a container it is stopping (`docker kill` from outside)
    // before its inspect stops saying running: when the refusal says so, ask again a few times.
    for (let i = 0; alive && i < STOPPING_CHECKS && ENGINE_STOPPING.test(message); i++) {
      await new Promise((r) => setTimeout(r, STOPPING_CHECK_MS));
      alive = await this.hostAlive();
    }
    if (alive && !/process limit/.test(message) && (await this.host.atProcessLimit?.().catch(() => false))) {
      message += ' The sandbox is at its process limit: processes started in it keep it full, so no new process can start.';
    }
    this.dead = new SandboxError(alive ? message : GONE);
    return this.dead;
  }

  /** Whether the sandbox is there, as its host says within ALIVE_CHECK_MS (no answer by then: `onTimeout`). */
  private async hostAlive(onTimeout = false): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(onTimeout), ALIVE_CHECK_MS)));
    try {
      return await Promise.race([this.host.alive().catch(() => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private onData(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    // Between commands, output (of background jobs) belongs to no command.
    if (!this.running || this.running.exitCode !== null) return;
    // A late mark of an earlier prompt (its command ended on the control line alone) is not output.
    for (const t of this.recentTokens) if (t !== this.running.end?.token) text = text.split(MARK_START + t + MARK_END).join('');
    this.pty += text;
    this.drain(this.running);
  }

  private onControl(chunk: Buffer): void {
    this.controlBuf += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.controlBuf.indexOf('\n')) >= 0) {
      const line = this.controlBuf.slice(0, nl).trim();
      this.controlBuf = this.controlBuf.slice(nl + 1);
      const m = /^(\d+) (\d+)$/.exec(line);
      const r = this.running;
      // A prompt with no command waiting for it (input queued after a command ended) is ignored.
      if (!m || !r || r.end || r.exitCode !== null) continue;
      r.end = { token: m[1]!, code: Number(m[2]) };
      this.recentTokens.push(r.end.token);
      if (this.recentTokens.length > RECENT_TOKENS) this.recentTokens.shift();
      this.drain(r);
      if (r.exitCode === null) {
        r.markTimer = setTimeout(() => {
          if (r.exitCode !== null || this.running !== r) return;
          this.flushTo(r);
          this.complete(r, r.end!.code);
        }, MARK_WAIT_MS);
      }
    }
    // Only our hook writes here; a line longer than this is garbage, not worth keeping.
    if (this.controlBuf.length > 4096) this.controlBuf = '';
  }

  /** Give the running command its terminal output, ending it at its mark; hold back a possible partial mark. */
  private drain(r: Running): void {
    if (r.end) {
      const mark = MARK_START + r.end.token + MARK_END;
      const at = this.pty.indexOf(mark);
      if (at >= 0) {
        this.emit(r, this.pty.slice(0, at));
        this.pty = '';
        this.complete(r, r.end.code);
        return;
      }
      let hold = Math.min(mark.length - 1, this.pty.length);
      while (hold > 0 && !this.pty.endsWith(mark.slice(0, hold))) hold--;
      this.emit(r, this.pty.slice(0, this.pty.length - hold));
      this.pty = this.pty.slice(this.pty.length - hold);
      return;
    }
    // The mark can come before the control line names its token (the two are separate streams), and
    // with a little text after it (bash's own first prompt): a whole mark near the end is held until
    // the token is known (a mark-like text further back is output, sent on as usual).
    const near = this.pty.slice(-64);
    const whole = WHOLE_MARK.exec(near);
    const tail = this.pty.slice(-32);
    const m = PARTIAL_MARK.exec(tail);
    const keepFrom = whole ? this.pty.length - near.length + whole.index : m ? this.pty.length - tail.length + m.index : this.pty.length;
    this.emit(r, this.pty.slice(0, keepFrom));
    this.pty = this.pty.slice(keepFrom);
  }

  private flushTo(r: Running): void {
    this.emit(r, this.pty);
    this.pty = '';
  }

  private complete(r: Running, code: number): void {
    clearTimeout(r.markTimer);
    r.exitCode = code;
    r.waiter?.();
  }

  private emit(r: Running, text: string): void {
    if (text.length === 0) return;
    r.output.append(text);
    r.lastOutputAt = Date.now();
    r.onOutput?.(text);
  }

  /**
   * The shell process ended. With the sandbox still there it was the agent's doing (`exit`, `kill`):
   * a new shell takes over and the command ends with a notice. With the sandbox gone, every caller
   * gets a SandboxError: the infrastructure failed, and that must never look like a result.
   */
  private onTransportClose(transport: ShellTransport, exitCode: number | undefined): void {
    if (transport !== this.transport) return;
    this.transport = null;
    if (this.isClosed) return;
    const r = this.running;
    this.running = null;
    if (r) this.flushTo(r);
    log('shell exited (code %s) while running %s', exitCode, r?.command);
    const code = exitCode === undefined ? '' : ` with exit code ${exitCode}`;
    if (this.starting) {
      // The new shell died while starting: that start fails (its caller decides what it means).
      if (r && r.exitCode === null) {
        clearTimeout(r.markTimer);
        r.error = new SandboxError(startFailure(`exited while starting${code}`, r.output.toString()));
        r.waiter?.();
      }
      return;
    }
    const notice = `The shell exited${code}; a new shell was started for the next command (cwd and variables reset).`;
    this.recovering = (async () => {
      if (!(await this.hostAlive())) {
        this.dead = new SandboxError(GONE);
      } else {
        try {
          await this.start();
        } catch (err) {
          await this.sandboxGoneOr(`The shell exited and a new one failed to start: ${(err as Error).message}`);
        }
      }
      if (r && r.exitCode === null) {
        clearTimeout(r.markTimer);
        if (this.dead) r.error = this.dead;
        else {
          r.exitCode = exitCode ?? 137;
          r.notice = notice;
        }
        r.waiter?.();
      } else if (!this.dead) {
        this.pendingNotice = notice;
      }
    })().finally(() => {
      this.recovering = null;
    });
  }

  /** Close, and kill every process of the shell's session where it runs (a dropped exec stream leaves them). */
  async terminate(): Promise<void> {
    const pid = this.pid;
    await this.close();
    if (pid > 1) await this.host.runScript(killSessionScript(pid), 10_000).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const t = this.transport;
    this.transport = null;
    const r = this.running;
    if (r && r.exitCode === null) {
      clearTimeout(r.markTimer);
      r.exitCode = -1;
      r.notice = 'The sandbox was closed while the command ran.';
      r.waiter?.();
    }
    await t?.close().catch(() => {});
  }
}
