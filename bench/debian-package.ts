/** Real Python code for the benchmarks: Debian's python3-* packages, downloaded once into .cache/bench/. */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Downloads and extracts `python3-<pkg>` once; returns a repo folder under `cache` holding only
 * the top-level Python packages `modules` (default: `pkg`). Needs apt-get and dpkg.
 */
export function ensureDebianPackage(cache: string, pkg: string, modules: readonly string[] = [pkg]): string {
  const repo = path.join(cache, pkg, 'repo');
  if (existsSync(repo)) return repo;
  const debs = path.join(cache, 'debs');
  mkdirSync(debs, { recursive: true });
  if (!readdirSync(debs).some((f) => f.startsWith(`python3-${pkg}_`))) {
    execFileSync('apt-get', ['download', `python3-${pkg}`], { cwd: debs, stdio: 'ignore' });
  }
  const deb = readdirSync(debs).find((f) => f.startsWith(`python3-${pkg}_`));
  if (!deb) throw new Error(`could not download python3-${pkg}`);
  const extract = path.join(cache, pkg, 'extract');
  mkdirSync(extract, { recursive: true });
  execFileSync('dpkg', ['-x', path.join(debs, deb), extract]);
  for (const mod of modules) {
    cpSync(path.join(extract, 'usr/lib/python3/dist-packages', mod), path.join(repo, mod), { recursive: true });
  }
  return repo;
}
