import { analysisCodeHash } from '../../analysis/python/index-cache.js';
import type { Definition } from '../../analysis/types.js';
import { cacheFile, contentHash, moduleCodeHash, readCached, writeCached } from '../../util/disk-cache.js';

const FORMAT = 2;

/** A target candidate and which definition of its qualname in its file it is (0-based). */
export interface Candidate {
  def: Definition;
  occurrence: number;
}

/** What one generation found: every file's estimate, and the candidates of the files it indexed. */
export interface FoundCandidates {
  estimates: Map<string, number>;
  files: Map<string, readonly Candidate[]>;
}

interface Cached extends FoundCandidates {
  format: number;
  key: string;
}

let generatorCode: string | undefined;

/**
 * The key of a repository's candidates: the repository's exact state, the options that choose
 * candidates, and the code that found them (the analysis, and the code beside this module).
 */
export function candidatesKey(state: string, o: { includeTests: boolean; minDocstringWords: number }): string {
  generatorCode ??= moduleCodeHash(import.meta.url);
  return contentHash(JSON.stringify([FORMAT, analysisCodeHash(), generatorCode, state, o.includeTests, o.minDocstringWords]));
}

/**
 * The func-localize candidates of a repository as earlier generations found them, when the
 * repository (every path and content), the options and the code are the same: files they indexed
 * need no index again. Undefined otherwise, or when the file cannot be read.
 */
export async function cachedCandidates(dir: string, root: string, key: string): Promise<FoundCandidates | undefined> {
  const c = (await readCached(cacheFile(dir, 'func-localize', root))) as Cached | undefined;
  return c?.format === FORMAT && c.key === key && c.estimates instanceof Map && c.files instanceof Map ? c : undefined;
}

export async function saveCandidates(dir: string, root: string, key: string, found: FoundCandidates): Promise<void> {
  await writeCached(cacheFile(dir, 'func-localize', root), { format: FORMAT, key, estimates: found.estimates, files: found.files } satisfies Cached);
}
