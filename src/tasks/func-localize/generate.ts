import { createHash } from 'node:crypto';
import { isTestFile } from '../test-files.js';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { indexRepo, type AnalyzedRepo } from '../../analysis/index.js';
import { indexProgress } from '../index-progress.js';
import type { Definition } from '../../analysis/types.js';
import { seededRandom, shuffled } from '../../util/seeded-random.js';
import { parseOptions } from '../../options.js';
import { HybridGymError } from '../../errors.js';
import { describeFromDocstring, type DescribeHook } from './describe.js';
import { maskable, removeDocstrings, type DocstringSpan } from './mask.js';
import type { FuncLocalizeInstance, FuncLocalizeTarget } from './schema.js';
import { isImageContents, normalizeAnswerText, type DroppedTargets, type ImageContents } from '../image-contents.js';
import { cacheRoot } from '../../util/json-cache.js';
import { cachedCandidates, candidatesKey, saveCandidates, type Candidate } from './candidate-cache.js';
import { LeakCheck, repoState } from './leak-check.js';
import type { WorkspaceFiles } from '../../workspace/files.js';
import { loadRepoFiles } from '../../workspace/files.js';
import { literalBody } from './workspace.js';

export const FuncLocalizeOptionsSchema = z.object({
  repo: z.string().min(1),
  /** @default 0 */
  seed: z.number().int().default(0),
  /** Most instances per repository. @default 50 */
  n: z.number().int().positive().default(50),
  /** Most targets taken from one file (over all instances). @default 2 */
  perFile: z.number().int().positive().default(2),
  /** Targets per instance: 1, or 2–3 for multi-target instances (from different files where possible). @default 1 */
  targets: z.number().int().min(1).max(3).default(1),
  /** Show the target's name in the prompt (the paper's default). @default true */
  showName: z.boolean().default(true),
  /** Add structural details (parameters, return, in-repo calls, decorators) as in the paper's masked variant. @default false */
  details: z.boolean().default(false),
  /** Include definitions in test files (tests/, test_*.py, *_test.py, conftest.py). @default false */
  includeTests: z.boolean().default(false),
  /** Docstrings with fewer words make poor descriptions and are skipped. @default 3 */
  minDocstringWords: z.number().int().min(0).default(3),
  /** Describe targets with an LLM instead of deriving the text from the docstring. */
  describe: z.custom<DescribeHook>((v) => typeof v === 'function').optional(),
  /** The episode image's contents: a target whose docstring the image holds is dropped (the agent could read it there). */
  imageContents: z.custom<ImageContents>(isImageContents, 'expected an ImageContents ({ name, hasDocstring, hasBody })').optional(),
  /** Loads `imageContents` when there are candidates to check (what make() and the CLI pass). */
  loadImageContents: z.custom<() => Promise<ImageContents>>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told, after generation, how many targets were dropped and why (once per reason). */
  onDropped: z.custom<(dropped: DroppedTargets) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told what a long generation is doing (files indexed, instances made), a line at a time. */
  onProgress: z.custom<(line: string) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  /** The analysis cache folder, or false for none. @default see indexRepo's `cache` */
  cache: z.union([z.string().min(1), z.literal(false)]).optional(),
});
export type FuncLocalizeOptions = z.input<typeof FuncLocalizeOptionsSchema>;


/** A file's text by path, decoded on first use. */
type Sources = { get(file: string): string | undefined };

/** Every function, method and class whose docstring can be removed and described. */
export function candidates(index: AnalyzedRepo, o: { includeTests: boolean; minDocstringWords: number }, sources: Sources): Definition[] {
  return index.definitions.filter((d) => {
    if (!d.docstring || d.qualname.includes('<locals>')) return false;
    if (!o.includeTests && isTestFile(d.file)) return false;
    const file = index.file(d.file);
    if (!file || file.hasErrors || file.encoding !== 'utf-8') return false;
    if (d.docstring.cleaned.split(/\s+/).filter(Boolean).length < o.minDocstringWords) return false;
    const text = sources.get(d.file);
    // A byte-order mark would shift the analysis' offsets against the text read here.
    return text !== undefined && text.charCodeAt(0) !== 0xfeff && maskable(d, text);
  });
}

/** Seeded generation of func-localize instances from a repository. Same inputs, same bytes out. */
export async function generateFuncLocalize(input: FuncLocalizeOptions): Promise<FuncLocalizeInstance[]> {
  const o = parseOptions(FuncLocalizeOptionsSchema, input, 'func-localize generator options');
  const repoPath = resolve(o.repo);
  const say = o.onProgress;
  const cacheDir = o.cache === false ? null : o.cache ?? cacheRoot();
  // Read afresh (not the per-process copy episodes share): what the index reads and the cache is keyed by.
  let files = await loadRepoFiles(repoPath);
  const state = repoState(files);
  // Details need call sites: an index every time. Otherwise the candidates of this very state may be cached.
  const key = candidatesKey(state, o);
  let found = !o.details && cacheDir ? await cachedCandidates(cacheDir, repoPath, key) : undefined;
  let index: AnalyzedRepo | undefined;
  let sources = lazySources(files);
  if (found) say?.(`func-localize: ${found.length} candidates from the cache`);
  else {
    // Not held while indexing (the peak of a cold generation): read again after, and checked unchanged.
    files = new Map();
    sources = lazySources(files);
    // Definitions are all it reads (call sites only for details), and no test file unless asked.
    index = await indexRepo(repoPath, {
      calls: o.details,
      ...(!o.includeTests && !o.details && { include: (f: string) => !isTestFile(f) }),
      ...(o.cache !== undefined && { cache: o.cache }),
      ...(say && { onProgress: indexProgress(say) }),
    });
    files = await loadRepoFiles(repoPath);
    if (repoState(files) !== state) throw new HybridGymError('REPO_CHANGED', `${repoPath} changed while instances were generated from it; generate again`);
    sources = lazySources(files);
    found = withOccurrences(index, candidates(index, o, sources));
    if (cacheDir && !o.details) await saveCandidates(cacheDir, repoPath, key, found);
  }
  const inImage: string[] = [];
  const image = o.imageContents ?? (found.length > 0 && o.loadImageContents ? await o.loadImageContents() : undefined);
  const occurrence = new Map(found.map((c) => [c.def, c.occurrence]));
  const all = found.map((c) => c.def).filter((d) => {
    if (!image) return true;
    const normalized = normalizeAnswerText(d.docstring!.value);
    if (!image.hasDocstring(normalized)) return true;
    const where = image.docstringLocation?.(normalized);
    inImage.push(`${d.file}:${d.qualname}${where ? ` (${where})` : ''}`);
    return false;
  });
  if (image && inImage.length > 0) {
    o.onDropped?.({ task: 'func-localize', reason: `docstring in image ${image.name}`, count: inImage.length, examples: inImage.slice(0, 5) });
  }
  const pool = shuffled(all, seededRandom(o.seed));
  const leaks = await LeakCheck.open(files, state, cacheDir, repoPath);
  let lastSaid = Date.now();

  const perFile = new Map<string, number>();
  const used = new Set<string>();
  const instances: FuncLocalizeInstance[] = [];
  for (let i = 0; i < pool.length && instances.length < o.n; i++) {
    const first = pool[i]!;
    if (used.has(first.id) || (perFile.get(first.file) ?? 0) >= o.perFile) continue;
    const group = [first];
    // Further targets come from other files first, then from the same file.
    for (const preferOther of [true, false]) {
      for (let j = i + 1; j < pool.length && group.length < o.targets; j++) {
        const c = pool[j]!;
        const inGroup = group.filter((g) => g.file === c.file).length;
        if (used.has(c.id) || group.includes(c) || (perFile.get(c.file) ?? 0) + inGroup >= o.perFile) continue;
        if (preferOther && group.some((g) => g.file === c.file)) continue;
        if (group.some((g) => overlaps(g, c) || (g.file === c.file && g.qualname === c.qualname))) continue;
        group.push(c);
      }
    }
    if (group.length < o.targets) continue;
    const targets = group.map((d) => toTarget(d, occurrence.get(d)!, o.details ? index : undefined, sources));
    if (leaks.leaks(maskedFiles(group, sources), targets)) continue;
    for (const d of group) {
      used.add(d.id);
      perFile.set(d.file, (perFile.get(d.file) ?? 0) + 1);
    }
    const paragraphs = await Promise.all(
      group.map((d, k) =>
        o.describe
          ? o.describe({ target: targets[k]!, docstring: d.docstring!.cleaned, showName: o.showName })
          : describeFromDocstring(targets[k]!, d.docstring!.cleaned, o.showName),
      ),
    );
    instances.push({
      id: instanceId(basename(repoPath), o, targets),
      task: 'func-localize',
      repo: { path: repoPath, name: basename(repoPath) },
      seed: o.seed,
      targets,
      description: paragraphs.length === 1 ? paragraphs[0]! : paragraphs.map((p, k) => `Target ${k + 1}:\n${p}`).join('\n\n'),
      showName: o.showName,
    });
    if (say && Date.now() - lastSaid >= 1000) {
      lastSaid = Date.now();
      say(`func-localize: ${instances.length} of ${o.n} instances made`);
    }
  }
  await leaks.save();
  say?.(`func-localize: ${instances.length} instances from ${pool.length} candidates`);
  return instances;
}

function lazySources(files: WorkspaceFiles): Sources {
  const decoded = new Map<string, string>();
  return {
    get(file) {
      let text = decoded.get(file);
      if (text === undefined) {
        const bytes = files.get(file);
        if (!bytes || !file.endsWith('.py')) return undefined;
        text = bytes.toString('utf8');
        decoded.set(file, text);
      }
      return text;
    },
  };
}

/**
 * The files a group of targets masks, masked: each docstring's span is known from the index, so
 * nothing is parsed again (the episode's workspace, made by maskedWorkspace, re-finds them by name).
 */
function maskedFiles(group: readonly Definition[], sources: Sources): WorkspaceFiles {
  const byFile = new Map<string, DocstringSpan[]>();
  for (const d of group) {
    const span = { startIndex: d.docstring!.startIndex, endIndex: d.docstring!.endIndex, only: d.docstringOnly };
    byFile.set(d.file, [...(byFile.get(d.file) ?? []), span]);
  }
  const out: WorkspaceFiles = new Map();
  for (const [file, spans] of byFile) out.set(file, Buffer.from(removeDocstrings(sources.get(file)!, spans), 'utf8'));
  return out;
}

/** Each candidate with which definition of its qualname in its file it is. */
function withOccurrences(index: AnalyzedRepo, defs: Definition[]): Candidate[] {
  return defs.map((def) => ({ def, occurrence: index.definitionsIn(def.file).filter((x) => x.qualname === def.qualname).indexOf(def) }));
}

/** `index`: given for details only (call sites). */
function toTarget(d: Definition, occurrence: number, index: AnalyzedRepo | undefined, sources: Sources): FuncLocalizeTarget {
  const doc = d.docstring!;
  const target: FuncLocalizeTarget = {
    file: d.file,
    name: d.name,
    qualname: d.qualname,
    occurrence,
    kind: d.kind,
    line: d.line,
    endLine: d.endLine,
    docstring: { line: doc.line, endLine: doc.endLine, text: doc.literal },
  };
  if (index) {
    target.details = {
      parameters: d.parameters.map((p) => (p.kind === 'var-positional' ? `*${p.name}` : p.kind === 'var-keyword' ? `**${p.name}` : p.name)),
      returnsValue: /\breturn\s+[^\s#]/.test(sources.get(d.file)?.slice(d.startIndex, d.endIndex) ?? ''),
      calls: [...new Set(index.callees(d).filter((c) => c.id !== d.id).map((c) => c.qualname))].sort(),
      decorators: d.decorators,
    };
  }
  return target;
}

function overlaps(a: Definition, b: Definition): boolean {
  return a.file === b.file && a.line <= b.endLine && b.line <= a.endLine;
}

/** Stable over runs with the same inputs; names the target only when the prompt does (ids reach agents). */
function instanceId(repo: string, o: { seed: number; showName: boolean; details: boolean; targets: number }, targets: FuncLocalizeTarget[]): string {
  const key = JSON.stringify([repo, o.seed, o.showName, o.details, o.targets, targets.map((t) => [t.file, t.qualname, t.occurrence])]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  const slug = o.showName ? `${targets[0]!.name.replace(/[^A-Za-z0-9_]/g, '').slice(0, 24)}-` : '';
  return `func-localize-${repo.replace(/[^A-Za-z0-9_.-]/g, '')}-${slug}${hash}`;
}
