import { CommanderError } from 'commander';
import createDebug from 'debug';
import { HybridGymError, oneLine, UsageError } from '../errors.js';

/** Exit codes: 0 success, 1 the work failed, 2 the command line was misused. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const debug = createDebug('hybrid-gym:cli');

/** Whether DEBUG asks for hybrid-gym's diagnostics (`DEBUG=hybrid-gym*`, `hybrid-gym:*`, `*`): then errors show their stack. */
export function debugEnabled(): boolean {
  return createDebug.enabled('hybrid-gym:cli');
}

/**
 * Print an error the way the command line promises: one line `hybrid-gym: <message>` on stderr,
 * the stack only with DEBUG. Returns the exit code. Commander has printed its own parse errors
 * already (through `outputError`), so those only set the code.
 */
export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
  const known = err instanceof HybridGymError;
  const message = err instanceof Error ? err.message : String(err);
  const hint = known ? '' : ' (unexpected; run with DEBUG=hybrid-gym* for the stack trace)';
  write(`hybrid-gym: ${oneLine(message) || (err as Error)?.name || 'error'}${hint}\n`);
  if (debugEnabled() && err instanceof Error && err.stack) write(`${err.stack}\n`);
  else debug('%O', err);
  return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

/** Commander's own error text as one line: `hybrid-gym: <problem> (see: hybrid-gym <command> --help)`. */
export function formatCommanderError(text: string, commandPath: string): string {
  let problem = oneLine(text.replace(/^error:\s*/i, ''));
  // "option '--n <n>' argument '0' is invalid. Expected ..." -> "--n 0: expected ..."
  const option = /^option '(-[^' ,]+)[^']*' argument '(.*)' is invalid\. (.*)$/.exec(problem);
  // "command-argument value 'x' is invalid for argument 'instances'. No such ..." -> "<instances> x: no such ..."
  const argument = /^command-argument value '(.*)' is invalid for argument '([^']+)'\. (.*)$/.exec(problem);
  if (option) problem = `${option[1]} ${shown(option[2]!)}: ${lowerFirst(option[3]!)}`;
  else if (argument) problem = `<${argument[2]}> ${shown(argument[1]!)}: ${lowerFirst(argument[3]!)}`;
  return `hybrid-gym: ${problem.replace(/\.$/, '')} (see: ${commandPath} --help)\n`;
}

const shown = (value: string): string => (/^[^\s'"]+$/.test(value) ? value : JSON.stringify(value));
const lowerFirst = (s: string): string => (/^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);
