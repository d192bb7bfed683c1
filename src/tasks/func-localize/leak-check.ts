import type { WorkspaceFiles } from '../../workspace/files.js';
import { cacheFile, contentHash, moduleCodeHash, readCached, writeCached } from '../../util/disk-cache.js';
import { normalizeAnswerText } from '../image-contents.js';
import { leakSearchText } from '../leak-text.js';
import type { FuncLocalizeTarget } from './schema.js';
import { literalBody } from './workspace.js';

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
 * on the first search; each docstring is searched once, and which files hold it
 * is cached for the repository's state (all paths and contents), so that a second generation from
 * the same repository searches only docstrings it has not seen. Only the files a group masks are
 * searched again, masked.
 */
export class LeakCheck {
  private corpus: Array<[string, Buffer]> | undefined;
  private changed = false;

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
    let found = this.verdicts.found.get(key);
    if (found) return found;
    const n = Buffer.from(needle, 'utf8');
    found = this.texts().filter(([, text]) => text.includes(n)).map(([file]) => file);
    this.verdicts.found.set(key, found);
    this.changed = true;
    return found;
  }

  /** Each file's searchable text as UTF-8, made on the first search (one buffer per file: no second copy joined). */
  private texts(): Array<[string, Buffer]> {
    this.corpus ??= [...this.files].map(([file, content]) => [file, Buffer.from(leakSearchText(content), 'utf8')]);
    return this.corpus;
  }
}
