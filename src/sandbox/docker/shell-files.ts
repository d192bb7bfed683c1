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
