import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Folder names never searched for sources: tooling, builds and environments. */
const SKIP_DIRS = new Set(['node_modules', 'build', 'dist', '__pycache__', 'venv', 'site-packages']);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/u;

/** A folder discovery never enters: hidden, tooling, builds, environments, egg metadata. */
function isSkippedFolder(name: string): boolean {
  return name.startsWith('.') || SKIP_DIRS.has(name) || name.endsWith('.egg-info');
}

/**
 * The `.py` files among a repository's paths (relative, `/`-separated, as `loadRepoFiles` gives
 * them), by the rules {@link discoverPythonFiles} walks the disk with, sorted the same way: the
 * files an index of those bytes describes, whatever the disk holds meanwhile.
 */
export function pythonFilesAmong(paths: Iterable<string>): string[] {
  const all = [...paths];
  const venvs = new Set(all.filter((p) => p.endsWith('/pyvenv.cfg')).map((p) => p.slice(0, -'/pyvenv.cfg'.length)));
  return all
    .filter((p) => {
      if (!p.endsWith('.py')) return false;
      const folders = p.split('/').slice(0, -1);
      return !folders.some((name, i) => isSkippedFolder(name) || venvs.has(folders.slice(0, i + 1).join('/')));
    })
    .sort();
}

/** Lists `.py` files under root (relative, `/`-separated, sorted), skipping symlinks and hidden and build folders. */
export async function discoverPythonFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      return; // An unreadable folder is not an error for discovery.
    }
    // Any folder holding a pyvenv.cfg file is a virtual environment, whatever its name (a link or
    // folder of that name is not: a workspace, and so an index of its bytes, holds no such entry).
    if (rel && entries.some((e) => e.name === 'pyvenv.cfg' && e.isFile())) return;
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      // Symlinks are not followed (they can loop or leave the repository), and a workspace leaves
      // them out: the analysis sees the files the agent sees.
      if (e.isDirectory()) {
        if (isSkippedFolder(e.name)) continue;
        await walk(child);
      } else if (e.isFile() && e.name.endsWith('.py')) {
        out.push(child);
      }
    }
  };
  await walk('');
  return out.sort();
}

/** Where a module lives: `key` is its path without `.py` / `/__init__.py` (a folder for packages). */
export interface ModuleEntry {
  key: string;
  /** Dotted name, or null when a path segment is not an identifier. */
  name: string | null;
  /** The source file (`__init__.py` for regular packages); undefined for namespace packages. */
  file?: string;
  isPackage: boolean;
}

/** The module layout of a repository: keys, dotted names, and how imports find modules. */
export class ModuleTable {
  readonly byKey = new Map<string, ModuleEntry>();
  readonly byName = new Map<string, string>();
  readonly keyOfFile = new Map<string, string>();
  private readonly initDirs: Set<string>;
  /** Folders that are import roots (sys.path entries): the repo root and a `src/` layout. */
  private readonly roots: { dir: string; prefix: string }[] = [];

  constructor(files: readonly string[], rootName: string) {
    this.initDirs = new Set(files.filter((f) => /(^|\/)__init__\.py$/.test(f)).map((f) => path.posix.dirname(f)));
    const hasSrc = files.some((f) => f.startsWith('src/')) && !this.initDirs.has('src');
    if (hasSrc) this.roots.push({ dir: 'src', prefix: '' });
    // A repository root that is itself a package imports as its folder name.
    this.roots.push({ dir: '', prefix: this.initDirs.has('.') && IDENTIFIER.test(rootName) ? rootName : '' });
    for (const f of files) this.add(f);
  }

  private add(file: string): void {
    const isPackage = /(^|\/)__init__\.py$/.test(file);
    let key = file.replace(/\.py$/, '');
    if (isPackage) key = key === '__init__' ? '.' : key.replace(/\/__init__$/, '');
    // Python prefers the package folder over a same-named module file.
    const existing = this.byKey.get(key);
    if (!existing || !existing.file || (isPackage && !existing.isPackage)) {
      this.byKey.set(key, { key, name: this.nameOf(key), file, isPackage });
    }
    this.keyOfFile.set(file, key);
    for (let dir = path.posix.dirname(key); dir !== '.' && !this.byKey.has(dir); dir = path.posix.dirname(dir)) {
      this.byKey.set(dir, { key: dir, name: this.nameOf(dir), isPackage: true });
    }
    const entry = this.byKey.get(key);
    if (entry?.name && entry.file === file) this.byName.set(entry.name, key);
  }

  private nameOf(key: string): string | null {
    for (const { dir, prefix } of this.roots) {
      if (dir && key !== dir && !key.startsWith(`${dir}/`)) continue;
      const rel = key === '.' ? '' : dir ? key.slice(dir.length + 1) : key;
      if (dir && !rel) continue;
      const parts = [...(prefix ? [prefix] : []), ...(rel ? rel.split('/') : [])];
      if (!parts.length || !parts.every((p) => IDENTIFIER.test(p))) return null;
      return parts.join('.');
    }
    return null;
  }

  /** The folder a file's relative imports start from. */
  packageDir(file: string): string {
    const dir = path.posix.dirname(file);
    return dir === '.' ? '' : dir;
  }

  /** Module key for an import; `level` > 0 for relative imports. Null when not in the repository. */
  resolve(fromFile: string, level: number, dotted: string): string | null {
    const parts = dotted ? dotted.split('.') : [];
    if (level > 0) {
      let dir = this.packageDir(fromFile);
      for (let i = 1; i < level; i++) {
        if (!dir) return null;
        dir = path.posix.dirname(dir) === '.' ? '' : path.posix.dirname(dir);
      }
      const key = [dir, ...parts].filter(Boolean).join('/') || '.';
      return this.byKey.has(key) ? key : null;
    }
    if (!dotted) return null;
    const key = this.byName.get(dotted) ?? this.namespaceKey(parts);
    if (key) return key;
    // Scripts and pytest's rootdir-less tests import siblings from their own folder (sys.path[0]).
    const base = this.scriptBase(fromFile);
    const local = [base, ...parts].filter(Boolean).join('/');
    return this.byKey.has(local) ? local : null;
  }

  private namespaceKey(parts: string[]): string | null {
    for (const { dir, prefix } of this.roots) {
      let rel = parts;
      if (prefix) {
        if (parts[0] !== prefix) continue;
        rel = parts.slice(1);
      }
      const key = [dir, ...rel].filter(Boolean).join('/') || '.';
      if (this.byKey.has(key)) return key;
    }
    return null;
  }

  /** First folder above a file that is not a regular package (what pytest and `python x.py` put on sys.path). */
  private scriptBase(file: string): string {
    let dir = this.packageDir(file);
    while (dir && this.initDirs.has(dir)) dir = path.posix.dirname(dir) === '.' ? '' : path.posix.dirname(dir);
    return dir;
  }

  /** The key of a submodule (`pkg/sub`) when it exists. */
  submodule(key: string, name: string): string | null {
    const sub = key === '.' ? name : `${key}/${name}`;
    return this.byKey.has(sub) ? sub : null;
  }
}
