import { ShellBusyError } from '../errors.js';
import type { ExecResult, Sandbox } from '../sandbox/types.js';
import { errorOutcome, outcome } from './observation.js';
import type { BashInput } from './schemas.js';
import type { ToolContext, ToolOutcome } from './types.js';

export const DEFAULT_BASH_IDLE_SECONDS = 10;
export const DEFAULT_BASH_TIMEOUT_SECONDS = 120;

const KEYS = ['C-c', 'C-d', 'C-z'] as const;
type Key = (typeof KEYS)[number];

/** The command that still runs in a sandbox's shell, as this tool started it. */
interface Running {
  command: string;
  /** Epoch ms when the hard limit expires; each later wait gets what is left of it. */
  deadline: number;
  limitSeconds: number;
  /** Output collected while checking whether the command had ended, not yet shown to the agent. */
  pending: string;
  /** The output shown so far ended a line; otherwise a newline that arrives next only ends that line. */
  atLineStart: boolean;
}

const running = new WeakMap<Sandbox, Running>();

const CONTINUE_HINT =
  "You may wait for more output by sending an empty command '', send text to the running process with " +
  'is_input=true, or interrupt it by sending C-c with is_input=true.';

function remainingMs(r: Running | undefined, fallbackSeconds: number): number {
  return r ? Math.max(1, r.deadline - Date.now()) : fallbackSeconds * 1000;
}

function shorten(command: string): string {
  const line = command.trim().split('\n')[0] ?? '';
  return line.length > 120 || command.trim().includes('\n') ? `${line.slice(0, 120)}...` : line;
}

/** Output, then a bracketed note on the command's state (the spirit of OpenHands' metadata suffix). */
function render(result: ExecResult, state: Running | undefined, idleSeconds: number, opts: { prefix?: string; pending?: string }): string {
  const parts: string[] = [];
  if (opts.prefix) parts.push(opts.prefix);
  let raw = (opts.pending ?? '') + result.output;
  if (state && !state.atLineStart && raw.startsWith('\n')) raw = raw.slice(1);
  if (state && raw.length > 0) state.atLineStart = raw.endsWith('\n');
  const body = raw.replace(/\n$/, '');
  if (body.length > 0) parts.push(body);
  if (result.running) {
    parts.push(`[The command has no new output after ${idleSeconds} seconds and is still running (exit code -1). ${CONTINUE_HINT}]`);
  } else if (result.timedOut) {
    const limit = state ? ` after ${state.limitSeconds} seconds` : '';
    parts.push(`[The command timed out${limit} and was stopped (exit code ${result.exitCode}).]`);
  } else {
    parts.push(`[The command completed with exit code ${result.exitCode}.]`);
  }
  if (result.notice) parts.push(`[${result.notice}]`);
  return parts.join('\n');
}

/** Run `bash` actions in the sandbox's persistent shell. */
export async function runBash(input: BashInput, ctx: ToolContext): Promise<ToolOutcome> {
  const sandbox = ctx.sandbox;
  const idleSeconds = ctx.bashIdleSeconds ?? DEFAULT_BASH_IDLE_SECONDS;
  const defaultTimeout = ctx.bashTimeoutSeconds ?? DEFAULT_BASH_TIMEOUT_SECONDS;
  const isInput = input.is_input === 'true';
  const command = input.command;
  const key = (KEYS as readonly string[]).includes(command.trim()) ? (command.trim() as Key) : undefined;
  const empty = command.trim() === '';
  let state = running.get(sandbox);
  let previous = '';

  if (sandbox.shellBusy && !isInput && !empty && !key) {
    // The earlier command may have ended since the agent last looked: collect without waiting.
    const r = await sandbox.poll({ idleMs: 0, timeoutMs: Math.max(5_000, remainingMs(state, defaultTimeout)) });
    if (r.running) {
      if (state) state.pending += r.output;
      const what = state ? `\`${shorten(state.command)}\`` : 'command';
      return errorOutcome(
        `[Your command \`${shorten(command)}\` was NOT executed: the previous ${what} is still running, and a new ` +
          `command cannot start until it ends. Set is_input=true to interact with it: send an empty command '' to see ` +
          `its new output, send text as its input, or send C-c (or C-d, C-z) to interrupt it before running your command.]`,
        { exitCode: -1 },
      );
    }
    previous = render(r, state, idleSeconds, { pending: state?.pending, prefix: '[The previous command ended before this one started. Its last output:]' });
    running.delete(sandbox);
    state = undefined;
  }

  if (!sandbox.shellBusy && (isInput || empty || key)) {
    if (empty) return errorOutcome('ERROR: No command is running, so there is no further output to show.');
    return errorOutcome(
      `ERROR: No command is running, so there is no process to send ${key ?? 'input'} to. ` +
        'To run a new command, send it with is_input=false.',
    );
  }

  const idleMs = input.timeout === undefined ? idleSeconds * 1000 : undefined;
  let result: ExecResult;
  let prefix: string | undefined;
  let pending: string | undefined;
  try {
    if (sandbox.shellBusy) {
      // Continue the running command: more output, input, or a key.
      if (state && input.timeout !== undefined) {
        state.deadline = Date.now() + input.timeout * 1000;
        state.limitSeconds = input.timeout;
      }
      const opts = { idleMs, timeoutMs: remainingMs(state, input.timeout ?? defaultTimeout) };
      pending = state?.pending;
      if (state) state.pending = '';
      if (key) result = await sandbox.sendKey(key, opts);
      else if (empty) {
        prefix = '[Below is the output of the previous command.]';
        result = await sandbox.poll(opts);
      } else result = await sandbox.sendInput(command + '\n', opts);
    } else {
      const limitSeconds = input.timeout ?? defaultTimeout;
      state = { command, deadline: Date.now() + limitSeconds * 1000, limitSeconds, pending: '', atLineStart: true };
      running.set(sandbox, state);
      result = await sandbox.exec(command, { idleMs, timeoutMs: limitSeconds * 1000 });
    }
  } catch (err) {
    if (err instanceof ShellBusyError) return errorOutcome(`ERROR: ${err.message}`, { exitCode: -1 });
    throw err;
  }
  if (!result.running) running.delete(sandbox);
  const text = render(result, state, idleSeconds, { prefix, pending });
  return outcome(previous ? `${previous}\n\n${text}` : text, { exitCode: result.exitCode });
}
