import { createHash } from 'node:crypto';
import { isTestFile } from '../test-files.js';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { indexRepo, pythonFilesAmong, type AnalyzedRepo } from '../../analysis/index.js';
import { indexProgress } from '../index-progress.js';
import type { Definition } from '../../analysis/types.js';
import { parseOptions } from '../../options.js';
import { describeFromDocstring, type DescribeHook } from './describe.js';
import { maskable, removeDocstrings, type DocstringSpan } from './mask.js';
import type { FuncLocalizeInstance, FuncLocalizeTarget } from './schema.js';
import { isImageContents, normalizeAnswerText, type DroppedTargets, type ImageContents } from '../image-contents.js';
import { cacheRoot } from '../../util/json-cache.js';
import { cachedCandidates, candidatesKey, saveCandidates, type Candidate, type FoundCandidates } from './candidate-cache.js';
import { CandidateWalk, type LoadCandidates } from './candidate-walk.js';
import { estimateCandidates } from './estimate-candidates.js';
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
  /** Told, after generation, how many of the candidates it reached were dropped and why (once per reason). */
  onDropped: z.custom<(dropped: DroppedTargets) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  /** Told what a long generation is doing (files indexed, instances made), a line at a time. */
  onProgress: z.custom<(line: string) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  /** The analysis cache folder, or false for none. @default see indexRepo's `cache` */
  cache: z.union([z.string().min(1), z.literal(false)]).optional(),
});
export type FuncLocalizeOptions = z.input<typeof FuncLocalizeOptionsSchema>;


/**
 * Places of the seeded order the first indexing covers (then twice as many each time): a constant,
 * so that the order, and so the instances, do not depend on `n` (fewer instances are a prefix).
 */
const FIRST_BATCH = 256;

/** A file's text by path, decoded on first use. */
type Sources = { get(file: string): string | undefined };

interface CandidateOptions {
  includeTests: boolean;
  minDocstringWords: number;
}

/** Whether a definition's docstring can be removed and described: a function, method or class with a docstring of enough words. */
function isCandidate(d: Definition, index: AnalyzedRepo, o: CandidateOptions, sources: Sources): boolean {
  if (!d.docstring || d.qualname.includes('<locals>')) return false;
  if (!o.includeTests && isTestFile(d.file)) return false;
  const file = index.file(d.file);
  if (!file || file.hasErrors || file.encoding !== 'utf-8') return false;
  if (d.docstring.cleaned.split(/\s+/).filter(Boolean).length < o.minDocstringWords) return false;
  const text = sources.get(d.file);
  // A byte-order mark would shift the analysis' offsets against the text read here.
  return text !== undefined && text.charCodeAt(0) !== 0xfeff && maskable(d, text);
}

/** A file's candidates in file order, each with which definition of its qualname in the file it is. */
function fileCandidates(index: AnalyzedRepo, file: string, o: CandidateOptions, sources: Sources): Candidate[] {
  const seen = new Map<string, number>();
  const out: Candidate[] = [];
  for (const def of index.definitionsIn(file)) {
    const occurrence = seen.get(def.qualname) ?? 0;
    seen.set(def.qualname, occurrence + 1);
    if (isCandidate(def, index, o, sources)) out.push({ def, occurrence });
  }
  return out;
}

/** Seeded generation of func-localize instances from a repository. Same inputs, same bytes out. */
export async function generateFuncLocalize(input: FuncLocalizeOptions): Promise<FuncLocalizeInstance[]> {
  const o = parseOptions(FuncLocalizeOptionsSchema, input, 'func-localize generator options');
  const repoPath = resolve(o.repo);
  const say = o.onProgress;
  const cacheDir = o.cache === false ? null : o.cache ?? cacheRoot();
  // Read afresh (not the per-process copy episodes share): what the index reads and the cache is keyed by.
  const files = await loadRepoFiles(repoPath);
  const state = repoState(files);
  const sources = lazySources(files);
  // The index parses these very bytes, so its offsets hold in them whatever the disk does meanwhile.
  const indexOptions = {
    files,
    ...(o.cache !== undefined && { cache: o.cache }),
    ...(say && { onProgress: indexProgress(say) }),
  };
  // Details need call sites, resolved across the repository: all of it is indexed, once. Otherwise
  // only the files the seeded order reaches are, and what earlier generations found of this very
  // state is reused.
  const full = o.details ? await indexRepo(repoPath, indexOptions) : undefined;
  const key = candidatesKey(state, o);
  const cached = !full && cacheDir ? await cachedCandidates(cacheDir, repoPath, key) : undefined;
  if (cached) say?.(`func-localize: candidates of ${cached.files.size} files from the cache`);
  const estimates =
    cached?.estimates ??
    new Map(
      pythonFilesAmong(files.keys())
        .filter((f) => o.includeTests || !isTestFile(f))
        .map((f) => [f, estimateCandidates(sources.get(f)!)]),
    );
  const found: FoundCandidates = { estimates, files: new Map(cached?.files) };
  let foundMore = false;
  const leaks = await LeakCheck.open(files, state, cacheDir, repoPath);
  const load: LoadCandidates = async (want) => {
    const missing = want.filter((f) => !found.files.has(f));
    if (missing.length > 0) {
      const wanted = new Set(missing);
      const index = full ?? (await indexRepo(repoPath, { ...indexOptions, calls: false, include: (f) => wanted.has(f) }));
      for (const f of missing) found.files.set(f, fileCandidates(index, f, o, sources));
      foundMore = true;
    }
    // The leak check searches these files' docstrings in one pass, when the first is asked about.
    leaks.expect(want.flatMap((f) => (found.files.get(f) ?? []).map((c) => c.def.docstring!.literal)));
    return found.files;
  };
  const walk = new CandidateWalk(estimates, o.seed, load, FIRST_BATCH);

  // A target whose docstring the image holds is dropped: the agent could read it there.
  const inImage: string[] = [];
  let image: ImageContents | undefined | null = o.imageContents ?? null;
  const imageHolds = new Map<string, boolean>();
  const take = async (i: number): Promise<Candidate | null | undefined> => {
    const c = await walk.at(i);
    if (!c) return c;
    let held = imageHolds.get(c.def.id);
    if (held === undefined) {
      if (image === null) image = o.loadImageContents ? await o.loadImageContents() : undefined;
      const normalized = normalizeAnswerText(c.def.docstring!.value);
      held = image?.hasDocstring(normalized) ?? false;
      imageHolds.set(c.def.id, held);
      if (held) {
        const where = image!.docstringLocation?.(normalized);
        inImage.push(`${c.def.file}:${c.def.qualname}${where ? ` (${where})` : ''}`);
      }
    }
    return held ? null : c;
  };
  let lastSaid = Date.now();

  const perFile = new Map<string, number>();
  const used = new Set<string>();
  const instances: FuncLocalizeInstance[] = [];
  let tried = 0;
  let capped = 0;
  for (let i = 0; instances.length < o.n; i++) {
    const first = await take(i);
    if (first === undefined) break;
    if (first === null) continue;
    tried++;
    if (used.has(first.def.id)) continue;
    if ((perFile.get(first.def.file) ?? 0) >= o.perFile) {
      capped++;
      continue;
    }
    const group = [first];
    // Further targets come from other files first, then from the same file.
    for (const preferOther of [true, false]) {
      for (let j = i + 1; group.length < o.targets; j++) {
        const c = await take(j);
        if (c === undefined) break;
        if (c === null) continue;
        const inGroup = group.filter((g) => g.def.file === c.def.file).length;
        if (used.has(c.def.id) || group.includes(c) || (perFile.get(c.def.file) ?? 0) + inGroup >= o.perFile) continue;
        if (preferOther && group.some((g) => g.def.file === c.def.file)) continue;
        if (group.some((g) => overlaps(g.def, c.def) || (g.def.file === c.def.file && g.def.qualname === c.def.qualname))) continue;
        group.push(c);
      }
    }
    if (group.length < o.targets) continue;
    const targets = group.map((c) => toTarget(c.def, c.occurrence, full, sources));
    if (leaks.leaks(maskedFiles(group.map((c) => c.def), sources), targets)) continue;
    for (const { def } of group) {
      used.add(def.id);
      perFile.set(def.file, (perFile.get(def.file) ?? 0) + 1);
    }
    const paragraphs = await Promise.all(
      group.map(({ def }, k) =>
        o.describe
          ? o.describe({ target: targets[k]!, docstring: def.docstring!.cleaned, showName: o.showName })
          : describeFromDocstring(targets[k]!, def.docstring!.cleaned, o.showName),
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
  if (image && inImage.length > 0) {
    o.onDropped?.({ task: 'func-localize', reason: `docstring in image ${image.name}`, count: inImage.length, examples: inImage.slice(0, 5) });
  }
  await leaks.save();
  if (cacheDir && !full && (foundMore || !cached)) await saveCandidates(cacheDir, repoPath, key, found);
  // Fewer than asked because of the cap per file: say which knob gives more.
  const cap = instances.length < o.n && capped > 0 ? `; fewer than the ${o.n} asked: ${capped} candidates passed over by perFile ${o.perFile} (raise it for more)` : '';
  say?.(`func-localize: ${instances.length} instances from ${tried} candidates (${walk.filesLoaded} of ${estimates.size} files read)${cap}`);
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
