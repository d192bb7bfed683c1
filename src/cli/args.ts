import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';

// Parsers for option and argument values. Commander calls them while it parses, so a bad value is
// reported (one line, exit 2) before any work starts; the message completes
// "option '--n <n>' argument '0' is invalid."

/** A whole number of at least `min`, written as digits only: `2.5`, `1x`, `1e3` and `0x10` are refused. */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`Expected a whole number${min > 0 ? ` >= ${min}` : ''}.`);
    if (n < min) throw new InvalidArgumentError(`Expected a whole number >= ${min}.`);
    return n;
  };
}

/** A seed: any whole number, negative ones included. */
export const seed = wholeNumber(Number.MIN_SAFE_INTEGER);

/** One of `allowed`, with the closest suggested (commander's own `.choices()` does not suggest). */
export function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`Expected one of: ${allowed.join(', ')}.`);
  };
}

/** A path that exists and is a directory. */
export function existingDir(value: string): string {
  const s = statOf(value);
  if (!s) throw new InvalidArgumentError(`No such directory (${resolve(value)}).`);
  if (!s.isDirectory()) throw new InvalidArgumentError(`Not a directory (${resolve(value)}).`);
  return value;
}

/** A path that exists and is a file. */
export function existingFile(value: string): string {
  const s = statOf(value);
  if (!s) throw new InvalidArgumentError(`No such file (${resolve(value)}).`);
  if (!s.isFile()) throw new InvalidArgumentError(`Not a file (${resolve(value)}).`);
  return value;
}

/** A file to write: its folder must exist, and it must not be a folder itself. */
export function outputFile(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a file name.');
  const s = statOf(value);
  if (s?.isDirectory()) throw new InvalidArgumentError(`It is a directory (${resolve(value)}); give a file name.`);
  const folder = dirname(resolve(value));
  const d = statOf(folder);
  if (!d) throw new InvalidArgumentError(`The folder ${folder} does not exist; create it first.`);
  if (!d.isDirectory()) throw new InvalidArgumentError(`${folder} is not a folder.`);
  return value;
}

/** A directory to create or fill: new, or an empty directory. */
export function newOrEmptyDir(value: string): string {
  const s = statOf(value);
  if (!s) return value;
  if (!s.isDirectory()) throw new InvalidArgumentError(`It exists and is not a directory (${resolve(value)}).`);
  return value;
}

/** A non-empty string. */
export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a non-empty value.');
  return value;
}

function statOf(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Collects repeated `--set key=value` into an object: the value is JSON when it parses as JSON
 * (`10`, `true`, `{"pythonPath":["src"]}`), else the string as given.
 */
export function keyValue(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('Expected key=value, for example --set perFile=10.');
  const key = value.slice(0, eq);
  const raw = value.slice(eq + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // A plain string.
  }
  return { ...previous, [key]: parsed };
}
