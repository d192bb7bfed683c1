import { createHash } from 'node:crypto';
import { isTestFile } from '../test-files.js';
import path from 'node:path';
import createDebug from 'debug';
import { indexRepo, type AnalyzedRepo, type Definition } from '../../analysis/index.js';
import { parseOptions } from '../../options.js';
import { loadRepoFiles, type WorkspaceFiles } from '../../workspace/files.js';
import type { GenerateOptions } from '../define-task.js';
import { commentView } from '../comment-view.js';
import { indexProgress } from '../index-progress.js';
import { markerName, sameName } from './comment.js';
import { seededRandom, shuffled } from '../../util/seeded-random.js';
import { DepSearchOptionsSchema, type DepSearchInstance, type Dependency } from './schema.js';

const log = createDebug('hybrid-gym:dep-search');


/** Why a candidate target was left out (counted in the debug log, useful when a repo yields few instances). */
type Skip = string;

const byPosition = (a: { file: string; line: number; qualname: string }, b: typeof a): number =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.qualname < b.qualname ? -1 : a.qualname > b.qualname ? 1 : 0);

/** Make dep-search instances from a repository: seeded, balanced over the number of dependencies. */
export async function generateDepSearch(input: GenerateOptions): Promise<DepSearchInstance[]> {
  const o = parseOptions(DepSearchOptionsSchema, input, 'dep-search generator options');
  const root = path.resolve(o.repo);
  // The index parses the very bytes the instances are made from, whatever the disk does meanwhile.
  const files = await loadRepoFiles(root);
  const index = await indexRepo(root, {
    files,
    ...(o.cache !== undefined && { cache: o.cache }),
    ...(o.onProgress && { onProgress: indexProgress(o.onProgress) }),
  });
  const checker = new DependencyChecker(index, files);
  const definedNames = new Set(index.definitions.map((d) => d.name));
  const parents = new Set(index.definitions.map((d) => d.parentId));
  const existingMarkers = existingMarkerNames(files);
  const skips = new Map<Skip, number>();
  const skip = (why: Skip): null => {
    skips.set(why, (skips.get(why) ?? 0) + 1);
    return null;
  };

  const candidates: Array<{ def: Definition; deps: Definition[] }> = [];
  for (const def of index.definitions) {
    if (def.kind === 'class' || def.name.startsWith('_')) continue;
    if (!o.includeTests && isTestFile(def.file)) continue;
    const picked = ((): { def: Definition; deps: Definition[] } | null => {
      if (def.id.includes('#')) return skip('target redefined in its file');
      if (index.file(def.file)?.hasErrors) return skip('target file has syntax errors');
      if (!files.has(def.file)) return skip('target file not in the workspace');
      if (parents.has(def.id)) return skip('target has nested definitions');
      const sites = index.callSites(def).filter((s) => s.line >= def.line); // its own decorators run at definition time
      const deps = new Set<Definition>();
      for (const s of sites) {
        if (s.resolution.status === 'resolved') {
          if (s.resolution.targets.length > 1) return skip('a call resolves to several definitions');
          const t = s.resolution.targets[0] as Definition;
          if (t === def) return skip('recursive');
          deps.add(t);
        } else if (o.strict && s.resolution.status === 'unresolved') {
          const last = s.callee.split('.').pop() ?? '';
          if (definedNames.has(last)) return skip('unresolved call to a name defined in the repo');
        }
      }
      if (deps.size < o.minDeps || deps.size > o.maxDeps) return skip('dependency count out of range');
      for (const d of deps) if (!checker.usable(d)) return skip('a dependency cannot be marked unambiguously');
      if (existingMarkers.some((n) => sameName(n, def.name))) return skip('the repo already holds the comment');
      return { def, deps: [...deps] };
    })();
    if (picked) candidates.push(picked);
  }
  log('%s: %d candidates; skipped %o', root, candidates.length, Object.fromEntries(skips));
  o.onProgress?.(`dep-search: ${Math.min(o.n, candidates.length)} instances from ${candidates.length} candidates`);

  // Balanced over the number of dependencies: shuffle each group, then take one from each in turn.
  const rand = seededRandom(o.seed);
  const groups = new Map<number, Array<{ def: Definition; deps: Definition[] }>>();
  for (const c of candidates.sort((a, b) => byPosition(a.def, b.def))) {
    const list = groups.get(c.deps.length) ?? [];
    list.push(c);
    groups.set(c.deps.length, list);
  }
  const queues = [...groups.keys()].sort((a, b) => a - b).map((k) => shuffled(groups.get(k)!, rand));
  const chosen: Array<{ def: Definition; deps: Definition[] }> = [];
  while (chosen.length < o.n && queues.some((q) => q.length)) {
    for (const q of queues) {
      const c = q.shift();
      if (c && chosen.length < o.n) chosen.push(c);
    }
  }

  const name = path.basename(root);
  return chosen
    .sort((a, b) => byPosition(a.def, b.def))
    .map(({ def, deps }) => ({
      id: instanceId(name, def, o.seed, o.reward),
      task: 'dep-search' as const,
      repo: { path: root, name },
      seed: o.seed,
      reward: o.reward,
      target: { file: def.file, name: def.name, qualname: def.qualname, line: def.line, endLine: def.endLine },
      dependencies: deps.map(toDependency).sort(byPosition),
    }));
}

function toDependency(d: Definition): Dependency {
  return { file: d.file, name: d.name, qualname: d.qualname, kind: d.kind, line: d.line, endLine: d.endLine, anchorLine: d.anchorLine };
}

function instanceId(repoName: string, def: Definition, seed: number, reward: string): string {
  const h = createHash('sha256').update(['dep-search', repoName, def.file, def.qualname, seed, reward].join('\0')).digest('hex');
  return `dep-search-${h.slice(0, 12)}`;
}

/** Names written in comments of the required form anywhere in the repo's Python files. */
function existingMarkerNames(files: WorkspaceFiles): string[] {
  const out: string[] = [];
  for (const [file, bytes] of files) {
    if (!file.endsWith('.py') || !/called\s+by/i.test(bytes.toString('latin1'))) continue;
    for (const c of commentView(bytes.toString('utf8')).comments) {
      const n = markerName(c.text);
      if (n) out.push(n);
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether a comment above a definition would be unambiguous, and the file editable as text. */
class DependencyChecker {
  private readonly cache = new Map<Definition, boolean>();
  private readonly lines = new Map<string, string[] | null>();
  constructor(
    private readonly index: AnalyzedRepo,
    private readonly files: WorkspaceFiles,
  ) {}

  usable(d: Definition): boolean {
    let ok = this.cache.get(d);
    if (ok === undefined) {
      ok = this.check(d);
      this.cache.set(d, ok);
    }
    return ok;
  }

  private check(d: Definition): boolean {
    if (d.id.includes('#') || this.index.file(d.file)?.hasErrors) return false;
    const lines = this.fileLines(d.file);
    if (!lines) return false;
    const anchor = lines[d.anchorLine - 1];
    // The definition must start its line, and share it with no other definition.
    if (anchor === undefined || !/^[ \t]*[@a-z]/.test(anchor)) return false;
    return !this.index.definitionsIn(d.file).some((o) => o !== d && (o.anchorLine === d.anchorLine || o.line === d.anchorLine));
  }

  /** Lines of a UTF-8 file without a byte-order mark (what the editor tool reads and writes back unchanged). */
  private fileLines(file: string): string[] | null {
    if (!this.lines.has(file)) {
      const bytes = this.files.get(file);
      let lines: string[] | null = null;
      if (bytes && !(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) {
        try {
          lines = utf8.decode(bytes).split('\n');
        } catch {
          lines = null;
        }
      }
      this.lines.set(file, lines);
    }
    return this.lines.get(file) ?? null;
  }
}
