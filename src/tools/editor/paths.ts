import { posix } from 'node:path';
import { ToolInputError } from '../observation.js';
import type { ToolContext } from '../types.js';

/** What the sandbox says about a path, from one `sh` round trip. */
export interface PathInfo {
  kind: 'file' | 'dir' | 'other' | 'none';
  /** The path (or for a missing path, its nearest existing ancestor) may be written. */
  writable: boolean;
  /** A missing path's nearest existing ancestor is a directory (so the file can be created). */
  parentIsDir: boolean;
  /** Size in bytes of a file. */
  size: number;
  /** Permission bits of an existing file, kept when it is written back. */
  mode?: number;
  /** For a directory asked to be listed: entries up to two levels deep, hidden ones left out. */
  listing?: string[];
  /** For a listed directory: how many hidden entries it holds directly. */
  hidden?: number;
}

// $1 = path, $2 = "list" to list a directory (entries sorted, directories with a trailing slash).
const STAT_SCRIPT = `p=$1
if [ -d "$p" ]; then t=dir; elif [ -f "$p" ]; then t=file; elif [ -e "$p" ] || [ -L "$p" ]; then t=other; else t=none; fi
w=0; a=1; s=0
if [ "$t" = none ]; then
  d=$(dirname "$p"); while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  if [ -d "$d" ]; then [ -w "$d" ] && w=1; else a=0; fi
else
  [ -w "$p" ] && w=1
fi
m=-
if [ "$t" = file ]; then s=$(wc -c < "$p" 2>/dev/null || echo 0); m=$(stat -c %a "$p" 2>/dev/null || echo -); fi
echo "$t $w $a $s $m"
if [ "$t" = dir ] && [ "$2" = list ]; then
  find "$p" -mindepth 1 -maxdepth 1 -name '.*' 2>/dev/null | wc -l
  find "$p" -mindepth 1 -maxdepth 2 -name '.*' -prune -o -type d -printf '%p/\\n' -o -printf '%p\\n' 2>/dev/null | LC_ALL=C sort
fi`;

/** Check that `path` is absolute and return it normalised (no trailing slash, no `..`). */
export function absolutePath(path: string, ctx: ToolContext): string {
  const p = path.trim();
  if (p === '') throw new ToolInputError('The `path` parameter is empty; give an absolute path such as ' + `${ctx.sandbox.workdir}/file.py.`);
  if (!p.startsWith('/')) {
    throw new ToolInputError(
      `The path ${p} is not absolute; did you mean ${posix.join(ctx.sandbox.workdir, p)}? ` +
        'str_replace_editor needs absolute paths (starting with /).',
    );
  }
  const normal = posix.normalize(p);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

export async function statPath(ctx: ToolContext, path: string, list = false): Promise<PathInfo> {
  const argv = ['sh', '-c', STAT_SCRIPT, 'sh', path];
  if (list) argv.push('list');
  const r = await ctx.sandbox.execDetached(argv, { timeoutMs: 30_000 });
  const lines = r.output.split('\n');
  const [kind, w, a, s, m] = (lines[0] ?? '').trim().split(/\s+/);
  if (kind !== 'file' && kind !== 'dir' && kind !== 'other' && kind !== 'none') {
    throw new ToolInputError(`Could not inspect ${path}: ${r.output.trim().slice(0, 500) || `exit code ${r.exitCode}`}`);
  }
  const info: PathInfo = { kind, writable: w === '1', parentIsDir: a === '1', size: Number(s) || 0 };
  if (m && /^[0-7]{3,4}$/.test(m)) info.mode = parseInt(m, 8);
  if (kind === 'dir' && list) {
    info.hidden = Number(lines[1]?.trim()) || 0;
    info.listing = lines.slice(2).filter((l) => l.length > 0);
  }
  return info;
}
