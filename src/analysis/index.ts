import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { cacheRoot } from '../util/json-cache.js';
import { indexPythonRepo, type IndexProgress } from './python/index.js';
import type { PythonRepoIndex } from './python/repo-index.js';
import type { CallSite, Definition, RepoIndex } from './types.js';

export type {
  CallSite, Definition, DefinitionKind, Docstring, Parameter, ParameterKind, RepoIndex, Resolution,
  ResolutionVia, SkippedFile, SkipReason, SourceFile,
} from './types.js';
export { parsePythonSource, stripDocstringsAndComments, type ParsedPythonSource } from './python/source.js';
export { hasSyntaxErrors } from './python/parser.js';
export { cleandoc } from './python/docstrings.js';
export type { IndexProgress } from './python/index.js';
/** The Python files indexRepo reads: relative, `/`-separated, sorted (hidden, build and environment folders left out). */
export { discoverPythonFiles as pythonFiles, pythonFilesAmong } from './python/discover.js';

const IndexOptionsSchema = z.object({
  /** Language of the sources to index. @default 'python' */
  language: z.literal('python').default('python'),
  /** Files larger than this many bytes are skipped (reason `too-large`). @default 1_000_000 */
  maxFileBytes: z.number().int().positive().default(1_000_000),
  /**
   * Collect scopes, imports and call sites for {@link callSites} and {@link callees}; false indexes
   * definitions only, from an outline of each file (about half the work). @default true
   */
  calls: z.boolean().default(true),
  /** Index only the files (repository-relative, `/`-separated) this accepts; every file still counts for module names. */
  include: z.custom<(file: string) => boolean>((v) => typeof v === 'function', 'expected a function').optional(),
  /**
   * Where each file's results are kept between runs, looked up by the file's content hash; false
   * for no cache (results go under `analysis/`). @default `$HYBRID_GYM_CACHE`, else `~/.cache/hybrid-gym`
   */
  cache: z.union([z.string().min(1), z.literal(false)]).optional(),
  /**
   * The repository's bytes, already read (relative path to contents, as `loadRepoFiles` gives):
   * the index describes exactly them, never the disk: its files and module layout are the Python
   * files among these paths (by the rules discovery walks the disk with), parsed from these bytes.
   */
  files: z.custom<ReadonlyMap<string, Uint8Array>>((v) => v instanceof Map, 'expected a Map of path to bytes').optional(),
  /** Worker threads that parse; 0 parses in this thread. @default every core for a repository over 2 MB, else 0 */
  workers: z.number().int().min(0).optional(),
  /** Told how far indexing has come (files done of total, how many from the cache), at most every 250 ms. */
  onProgress: z.custom<(p: IndexProgress) => void>((v) => typeof v === 'function', 'expected a function').optional(),
});

/** Options of {@link indexRepo}. */
export type IndexRepoOptions = z.input<typeof IndexOptionsSchema>;

/** The index returned by {@link indexRepo}; call sites are resolved on demand and cached. */
export type AnalyzedRepo = RepoIndex & {
  callSites(def: Definition): CallSite[];
  callees(def: Definition): Definition[];
};

/**
 * Indexes a repository: source files, module names, definitions with docstrings, imports, and call
 * sites ready for resolution. Files it cannot read or decode are listed in `skipped`, never thrown.
 */
export async function indexRepo(dir: string, options: IndexRepoOptions = {}): Promise<AnalyzedRepo> {
  const parsed = IndexOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ValidationError(
      'indexRepo options',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const o = parsed.data;
  const cache = o.cache === false ? null : o.cache ?? cacheRoot();
  return indexPythonRepo(dir, {
    maxFileBytes: o.maxFileBytes,
    calls: o.calls,
    cache,
    ...(o.include && { include: o.include }),
    ...(o.files && { files: o.files }),
    ...(o.workers !== undefined && { workers: o.workers }),
    ...(o.onProgress && { onProgress: o.onProgress }),
  });
}

function asAnalyzed(index: RepoIndex): PythonRepoIndex {
  const candidate = index as Partial<AnalyzedRepo>;
  if (typeof candidate.callSites !== 'function') {
    throw new ValidationError('index', [{ path: '', message: 'expected an index returned by indexRepo()' }]);
  }
  return index as PythonRepoIndex;
}

/** Every call inside a definition (decorators, signature, body, nested defs/lambdas/comprehensions) with its resolution. */
export function callSites(index: RepoIndex, definition: Definition): CallSite[] {
  return asAnalyzed(index).callSites(definition);
}

/** The in-repo definitions a definition calls: unique, in order of first call, itself excluded. */
export function callees(index: RepoIndex, definition: Definition): Definition[] {
  return asAnalyzed(index).callees(definition);
}
