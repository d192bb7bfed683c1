import type { WorkspaceFiles } from '../../workspace/files.js';
import { cacheFile, contentHash, moduleCodeHash, readCached, writeCached } from '../../util/disk-cache.js';
import { normalizeAnswerText } from '../image-contents.js';
import { leakSearchText } from '../leak-text.js';
import type { FuncLocalizeTarget } from './schema.js';
import { literalBody } from './workspace.js';
import { findNeedles } from './find-needles.js';

const FORMAT = 1;

interface Verdicts {
  format: number;
  /** The code that searched. */
  code: string;
  /** Hash of every workspace file's path and content: the verdicts hold for this state only. */
  state: string;
  /** Needle hash -> the files whose searchable text holds the needle. */
  found: Map<string, string[]>;
}

/** A hash of every workspace file's path and content: what the generator's cached results hold for. */
export function repoState(files: WorkspaceFiles): string {
  return contentHash(Buffer.concat([...files].flatMap(([p, b]) => [Buffer.from(`${p}\0${b.length}\0`), Buffer.from(contentHash(b))])));
}

/**
 * Whether a target's docstring is still anywhere once its files are masked, whitespace aside (a
 * copy indented differently counts). Every file's searchable text (leakSearchText) is made once,
 * on the first search; each docstring is searched once, together with the docstrings
 * {@link LeakCheck.expect}ed since the last pass (one pass over every file for all of them,
 * {@link findNeedles}), and which files hold it is cached for the repository's state (all paths and contents), so that a second generation from
 * the same repository searches only docstrings it has not seen. Only the files a group masks are
 * searched again, masked.
 */
export class LeakCheck {
  private corpus: Array<[string, Buffer]> | undefined;
  private changed = false;
  /** Needles likely to be asked for next (searched together with the next one asked for). */
  private expected = new Set<string>();
  /** Holders found for expected needles not asked for yet (by needle hash; not saved). */
  private readonly ahead = new Map<string, string[]>();

  private constructor(
    private readonly files: WorkspaceFiles,
    private readonly verdicts: Verdicts,
    private readonly file: string | null,
  ) {}

  /** `state`: {@link repoState} of `files`. */
  static async open(files: WorkspaceFiles, state: string, cacheDir: string | null, root: string): Promise<LeakCheck> {
    // The verdicts are the leak search's (leakSearchText and what it opens): another version's are not reused.
    const fresh: Verdicts = { format: FORMAT, code: moduleCodeHash(import.meta.url), state, found: new Map() };
    if (!cacheDir) return new LeakCheck(files, fresh, null);
    const file = cacheFile(cacheDir, 'leaks', root);
    const cached = (await readCached(file)) as Verdicts | undefined;
    const usable = cached?.format === FORMAT && cached.code === fresh.code && cached.state === state && cached.found instanceof Map;
    return new LeakCheck(files, usable ? cached : fresh, file);
  }

  /** Docstrings (their literals) that may be asked about soon: searched in the same pass as the next one that is. */
  expect(literals: Iterable<string>): void {
    for (const l of literals) {
      const n = normalizeAnswerText(literalBody(l));
      if (n.length > 0 && !n.includes('\0')) this.expected.add(n);
    }
  }

  /** `masked`: the files the group masks, masked (their originals are not searched). */
  leaks(masked: WorkspaceFiles, targets: readonly FuncLocalizeTarget[]): boolean {
    const needles = targets.map((t) => normalizeAnswerText(literalBody(t.docstring.text))).filter((s) => s.length > 0 && !s.includes('\0'));
    if (needles.length === 0) return false;
    for (const n of needles) if (this.holders(n).some((f) => !masked.has(f))) return true;
    for (const content of masked.values()) {
      const text = leakSearchText(content);
      if (needles.some((n) => text.includes(n))) return true;
    }
    return false;
  }

  async save(): Promise<void> {
    if (this.file && this.changed) await writeCached(this.file, this.verdicts);
  }

  /** The files whose original text holds the needle. */
  private holders(needle: string): string[] {
    const key = contentHash(needle);
    let found = this.verdicts.found.get(key) ?? this.ahead.get(key);
    if (!found) {
      // One pass over every file for this needle and every expected one not searched yet.
      const batch = [needle, ...[...this.expected].filter((n) => n !== needle && !this.verdicts.found.has(contentHash(n)))];
      this.expected = new Set();
      const texts = this.texts();
      const holders = findNeedles(texts.map(([, text]) => text), batch.map((n) => Buffer.from(n, 'utf8')));
      batch.forEach((n, i) => this.ahead.set(contentHash(n), holders[i]!.map((t) => texts[t]![0])));
      found = this.ahead.get(key)!;
    }
    if (!this.verdicts.found.has(key)) {
      this.verdicts.found.set(key, found);
      this.changed = true;
    }
    return found;
  }

  /** Each file's searchable text as UTF-8, made on the first search (one buffer per file: no second copy joined). */
  private texts(): Array<[string, Buffer]> {
    this.corpus ??= [...this.files].map(([file, content]) => [file, Buffer.from(leakSearchText(content), 'utf8')]);
    return this.corpus;
  }
}
