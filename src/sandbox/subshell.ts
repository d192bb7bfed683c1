import type { ShellSession } from './shell-session.js';
import type { ExecResult } from './types.js';

/** Quote a word for POSIX shells. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Run argv in a subshell of the persistent shell when it is idle: a fresh process, like a new
 * `docker exec`, that carries nothing back (cwd, variables), at a fraction of the cost. Returns
 * undefined when the shell is busy with the agent's command, so the caller starts a process instead.
 */
export async function runInSubshell(
  shell: ShellSession | null,
  argv: string[],
  cwd: string,
  timeoutMs: number,
): Promise<ExecResult | undefined> {
  if (!shell || shell.busy || shell.closed) return undefined;
  // `sh -c SCRIPT` runs as shell code in the subshell itself: no exec, so no limit on its length.
  const body = argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c' ? `{\n${argv[2]}\n}` : argv.map(shellQuote).join(' ');
  const r = await shell.run(`(cd ${shellQuote(cwd)} && ${body}) </dev/null`, { timeoutMs });
  return { ...r, command: argv.join(' ') };
}
