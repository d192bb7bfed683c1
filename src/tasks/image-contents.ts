import { createHash } from 'node:crypto';

/**
 * The characters {@link normalizeAnswerText} collapses, as a regular-expression character class.
 * Spelled out (not `\s`) so that the image manifest's Python script uses exactly the same set: it
 * is Python's `str.isspace()` set, which differs from JavaScript's `\s` (U+001C–U+001F and U+0085
 * are whitespace to Python only, U+FEFF to JavaScript only).
 */
export const ANSWER_WHITESPACE_CLASS = String.raw`[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;

const WHITESPACE_RUNS = new RegExp(`${ANSWER_WHITESPACE_CLASS}+`, 'g');

/** Hex digits kept of an answer's sha256 in a manifest (64 bits: collisions are not a concern). */
export const ANSWER_HASH_LENGTH = 16;

/**
 * An answer (a docstring's value, a function body's source text) with its whitespace collapsed:
 * every run of whitespace becomes one space, none at either end. Two copies of an answer that
 * differ only in indentation or line breaks normalise to the same text. The image manifest's
 * Python side produces exactly the same text (a test runs both).
 */
export function normalizeAnswerText(text: string): string {
  const collapsed = text.replace(WHITESPACE_RUNS, ' ');
  const start = collapsed.startsWith(' ') ? 1 : 0;
  const end = collapsed.endsWith(' ') && collapsed.length > start ? collapsed.length - 1 : collapsed.length;
  return collapsed.slice(start, end);
}

/** The manifest's key of a normalised answer: the first {@link ANSWER_HASH_LENGTH} hex digits of its UTF-8 sha256. */
export function answerHash(normalized: string): string {
  return createHash('sha256').update(normalized, 'utf8').digest('hex').slice(0, ANSWER_HASH_LENGTH);
}

/**
 * What the sandbox image of the episodes holds, as far as generators care: whether an answer they
 * are about to hide (a docstring, a function body) is somewhere in the image's files, where the
 * agent could read it. The image layer builds one from the image's manifest; tasks never import
 * the image or sandbox code. Arguments are texts normalised with {@link normalizeAnswerText}.
 */
export interface ImageContents {
  /** The image, as people name it (a tag), for messages such as "docstring in image <name>". */
  name: string;
  hasDocstring(normalized: string): boolean;
  hasBody(normalized: string): boolean;
  /** A file of the image holding this docstring (for messages), when known. */
  docstringLocation?(normalized: string): string | undefined;
  /**
   * The image's copy of a repository file defining `qualname` (an installed release of the same
   * package, in any version), when known: a diff against it would show what a task changed.
   */
  definitionIn?(file: string, qualname: string): string | undefined;
}

/** Targets a generator left out, and why: for example 9 targets, "docstring in image hybrid-gym/sandbox:0.1.0-1". */
export interface DroppedTargets {
  task: string;
  /** Why, in words: `docstring in image <name>`. */
  reason: string;
  count: number;
  /** A few of them: `file:qualname`, with where the image holds the answer when known. */
  examples: string[];
}

/** Generator options of the image check; generators that support it declare these keys. */
export interface ImageCheckOptions {
  /** The episode image's contents: targets whose hidden answer it holds are dropped. */
  imageContents?: ImageContents;
  /**
   * Loads them when needed (after the generator checked its options and found candidates): what
   * the env passes, so that a bad option or an empty repo never waits for an image's manifest.
   */
  loadImageContents?: () => Promise<ImageContents>;
  /** Told once per reason after generation, when targets were dropped. */
  onDropped?: (dropped: DroppedTargets) => void;
}

/** Whether a value is an {@link ImageContents} (for option schemas). */
export function isImageContents(value: unknown): value is ImageContents {
  const v = value as Partial<ImageContents> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.hasDocstring === 'function' && typeof v.hasBody === 'function';
}

/** An {@link ImageContents} from sets of normalised texts (for tests and for images known by other means). */
export function imageContentsOf(name: string, contents: { docstrings?: Iterable<string>; bodies?: Iterable<string> }): ImageContents {
  const docstrings = new Set([...(contents.docstrings ?? [])].map((t) => normalizeAnswerText(t)));
  const bodies = new Set([...(contents.bodies ?? [])].map((t) => normalizeAnswerText(t)));
  return { name, hasDocstring: (n) => docstrings.has(n), hasBody: (n) => bodies.has(n) };
}

/**
 * Whether a task's generator takes {@link ImageCheckOptions}: it says so in `generateInputs`
 * (generators' option schemas are strict, so the env passes them only to those that do).
 */
export function acceptsImageContents(task: { generate?: unknown; generateInputs?: ReadonlyArray<string> }): boolean {
  return typeof task.generate === 'function' && (task.generateInputs?.includes('imageContents') ?? false);
}
