import { posix } from 'node:path';
import type { ShellSession } from '../shell-session.js';
import { shellQuote } from '../subshell.js';
import type { FileEntry } from '../types.js';

// The engine's archive API costs a few hundred ms per call on some hosts (it re-executes itself to
// chroot); small files go through the idle persistent shell instead, as base64, in well under that.
export const SHELL_FILE_LIMIT = 24 * 1024;
const TOO_BIG = '__HG_TOO_BIG__';

/** Read a small file through the idle shell; undefined when the shell is busy or the file is large or odd. */
export async function readSmallFile(shell: ShellSession | null, path: string): Promise<Buffer | undefined> {
  if (!shell || shell.busy || shell.closed) return undefined;
  const p = shellQuote(path);
  const r = await shell.run(
    `(if [ -f ${p} ] && [ -r ${p} ] && [ $(stat -c %s ${p}) -le ${SHELL_FILE_LIMIT} ]; then base64 -w0 ${p}; else printf ${TOO_BIG}; fi) </dev/null 2>/dev/null`,
    { timeoutMs: 30_000 },
  );
  if (r.exitCode !== 0 || r.truncated || r.output.includes(TOO_BIG)) return undefined;
  return Buffer.from(r.output.trim(), 'base64');
}

/** Write small files through the idle shell; false when the shell is busy or the files are large. */
export async function writeSmallFiles(shell: ShellSession | null, files: FileEntry[]): Promise<boolean> {
  if (!shell || shell.busy || shell.closed) return false;
  const total = files.reduce((n, f) => n + (typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.byteLength), 0);
  if (total > SHELL_FILE_LIMIT * 4 || files.length > 16) return false;
  const script = files
    .map((f) => {
      const p = shellQuote(f.path);
      const b64 = Buffer.from(typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content).toString('base64');
      const mode = (f.mode ?? 0o644).toString(8);
      return `mkdir -p ${shellQuote(posix.dirname(f.path))} && printf %s '${b64}' | base64 -d > ${p} && chmod ${mode} ${p}`;
    })
    .join(' && ');
  const r = await shell.run(`(${script}) </dev/null`, { timeoutMs: 60_000 });
  return r.exitCode === 0;
}

// One argument of a command line holds at most 128 KiB (MAX_ARG_STRLEN): base64 in pieces below it.
const ARG_CHUNK = 96 * 1024;

/**
 * Write files as a process of the sandbox's user would (its own view of links and permissions), in
 * pieces passed on command lines: where the engine cannot write (a read-only root file system) and
 * the shell is busy or the files are large. `run` runs one argv in the sandbox.
 */
export async function writeFilesByExec(run: (argv: string[]) => Promise<{ exitCode: number; output: string }>, files: FileEntry[]): Promise<void> {
  for (const f of files) {
    const b64 = Buffer.from(typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content).toString('base64');
    const mode = (f.mode ?? 0o644).toString(8);
    for (let off = 0, first = true; first || off < b64.length; off += ARG_CHUNK, first = false) {
      const script = first
        ? 'mkdir -p "$(dirname "$1")" && printf %s "$2" | base64 -d > "$1" && chmod "$3" "$1"'
        : 'printf %s "$2" | base64 -d >> "$1"';
      const r = await run(['sh', '-c', script, 'sh', f.path, b64.slice(off, off + ARG_CHUNK), mode]);
      if (r.exitCode !== 0) throw new Error(`writing ${f.path} failed: ${r.output.trim().slice(-300) || `exit code ${r.exitCode}`}`);
    }
  }
}
