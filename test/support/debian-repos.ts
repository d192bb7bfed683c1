import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = fileURLToPath(new URL('../../.cache/debian', import.meta.url));

/**
 * The source of a Python package from Debian's archive (real code nobody here wrote), downloaded
 * with `apt-get download` and unpacked with `dpkg -x` on first use, then cached in .cache/debian/.
 * Returns the directory of `module` inside dist-packages.
 */
export function debianPythonModule(debPackage: string, module: string): string {
  const root = join(CACHE, debPackage);
  const dir = join(root, 'usr/lib/python3/dist-packages', module);
  if (existsSync(dir)) return dir;
  const work = `${root}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    execFileSync('apt-get', ['download', debPackage], { cwd: work, stdio: 'pipe' });
  } catch {
    // The package lists may be missing on a fresh machine.
    execFileSync('apt-get', ['update'], { stdio: 'pipe' });
    execFileSync('apt-get', ['download', debPackage], { cwd: work, stdio: 'pipe' });
  }
  const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${debPackage} produced no .deb`);
  execFileSync('dpkg', ['-x', join(work, deb), join(work, 'x')]);
  rmSync(root, { recursive: true, force: true });
  renameSync(join(work, 'x'), root);
  rmSync(work, { recursive: true, force: true });
  if (!existsSync(dir)) throw new Error(`${debPackage} has no ${module} in dist-packages`);
  return dir;
}

/** Packages of different styles used by the real-code acceptance tests. */
export const REAL_PACKAGES = [
  { deb: 'python3-requests', module: 'requests' },
  { deb: 'python3-click', module: 'click' },
  { deb: 'python3-idna', module: 'idna' },
] as const;

/** Every `.py` file below a folder, as absolute paths in sorted order. */
export function pyFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? pyFiles(p) : f.endsWith('.py') ? [p] : [];
    });
}
