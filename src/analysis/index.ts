import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { indexPythonRepo } from './python/index.js';
import type { PythonRepoIndex } from './python/repo-index.js';
import type { CallSite, Definition, RepoIndex } from './types.js';

export type {
  CallSite, Definition, DefinitionKind, Docstring, Parameter, ParameterKind, RepoIndex, Resolution,
  ResolutionVia, SkippedFile, SkipReason, SourceFile,
} from './types.js';
export { parsePythonSource, stripDocstringsAndComments, type ParsedPythonSource } from './python/source.js';
export { hasSyntaxErrors } from './python/parser.js';
export { cleandoc } from './python/docstrings.js';

const IndexOptionsSchema = z.object({
  /** Language of the sources to index. @default 'python' */
  language: z.literal('python').default('python'),
  /** Files larger than this many bytes are skipped (reason `too-large`). @default 1_000_000 */
  maxFileBytes: z.number().int().positive().default(1_000_000),
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
  return indexPythonRepo(dir, parsed.data);
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
