// Language-neutral shapes of a code index; each language (python/ first) fills them in.

/** Kinds of definitions the index records. */
export type DefinitionKind = 'function' | 'method' | 'class';

/** A docstring: the first statement of a body when it is a plain string literal (CPython's rule). */
export interface Docstring {
  /** 1-based first line of the string literal. */
  line: number;
  /** 1-based last line (inclusive) of the string literal. */
  endLine: number;
  /** The literal exactly as written in the source, prefix and quotes included. */
  literal: string;
  /** The string's value (escapes decoded unless raw). */
  value: string;
  /** The value cleaned like `inspect.cleandoc` (common indentation and blank edge lines removed). */
  cleaned: string;
  /** Offsets into the decoded source text (UTF-16 code units, as JavaScript strings index). */
  startIndex: number;
  endIndex: number;
  /** Offsets in UTF-8 bytes of the file as read (a UTF-8 byte-order mark counts). */
  startByte: number;
  endByte: number;
  /** The opening quote: `"""`, `'''`, `"` or `'` (of the first part when concatenated). */
  quote: string;
  /** The string prefix as written (`''`, `r`, `u`, `R`, `U`). */
  prefix: string;
  /** Written as implicit concatenation (`"a" "b"`), which CPython folds into one docstring. */
  concatenated: boolean;
}

export type ParameterKind = 'positional-only' | 'positional' | 'var-positional' | 'keyword-only' | 'var-keyword';

export interface Parameter {
  name: string;
  kind: ParameterKind;
  hasDefault: boolean;
  /** The annotation's source text, when there is one. */
  annotation?: string;
}

/** A function, method or class defined in the source. */
export interface Definition {
  /** Unique in the index: `file::qualname` (a `#n` suffix tells apart redefinitions of the same qualname). */
  id: string;
  file: string;
  /** Dotted module name of the file, or null when the file is not importable by that path. */
  module: string | null;
  name: string;
  /** Like CPython's `__qualname__`: `Class.method`, `outer.<locals>.inner`. */
  qualname: string;
  kind: DefinitionKind;
  isAsync: boolean;
  /** 1-based line of the `def`/`class` keyword. */
  line: number;
  /** 1-based line of the first decorator, or `line` when undecorated. */
  anchorLine: number;
  /** 1-based last line (inclusive) of the definition. */
  endLine: number;
  /** 1-based line where the body's first statement starts. */
  bodyLine: number;
  /** Offsets (UTF-16 code units) of the whole definition, decorators included. */
  startIndex: number;
  endIndex: number;
  /** Decorator expressions as written, without the `@`. */
  decorators: string[];
  /** Parameters in order (for classes: empty). */
  parameters: Parameter[];
  /** Base-class expressions as written (classes only; empty otherwise). */
  bases: string[];
  docstring: Docstring | null;
  /** The docstring is the only statement of the body (removing it leaves an empty body). */
  docstringOnly: boolean;
  /** Id of the enclosing definition (method's class, nested function's outer function), or null. */
  parentId: string | null;
}

/** One source file of the repository. */
export interface SourceFile {
  /** Path relative to the repository root, with `/` separators. */
  file: string;
  module: string | null;
  /** True for a package's `__init__` file. */
  isPackage: boolean;
  /** Encoding the file was decoded with (`utf-8` unless a coding cookie said otherwise). */
  encoding: string;
  /** The parse tree contains syntax errors (the file is still indexed as far as tree-sitter could). */
  hasErrors: boolean;
  lineCount: number;
  byteLength: number;
}

export type SkipReason = 'too-large' | 'not-decodable' | 'parse-failed' | 'unreadable';

export interface SkippedFile {
  file: string;
  reason: SkipReason;
  /** Human-readable detail (size, decoder error...). */
  detail?: string;
}

/** How a call site's callee was (or was not) resolved. */
export type Resolution =
  | { status: 'resolved'; targets: Definition[]; via: ResolutionVia }
  | { status: 'external'; reason: string }
  | { status: 'unresolved'; reason: string };

/** The rule that resolved a call: useful to audit precision. */
export type ResolutionVia = 'scope' | 'import' | 'module-attribute' | 'class-attribute' | 'self' | 'super' | 'instance';

/** A call (or an implicit one: bare decorator, `raise Name`) inside a definition. */
export interface CallSite {
  /** 1-based line of the callee expression. */
  line: number;
  /** Offsets (UTF-16 code units) of the callee expression. */
  startIndex: number;
  endIndex: number;
  /** The callee expression as written (`self.load`, `pkg.mod.Cls`). */
  callee: string;
  kind: 'call' | 'decorator' | 'raise';
  resolution: Resolution;
}

/** A repository indexed for one language. */
export interface RepoIndex {
  /** Absolute path of the repository root. */
  readonly root: string;
  readonly language: string;
  /** Indexed files in sorted path order. */
  readonly files: readonly SourceFile[];
  /** Module name to file path. */
  readonly modules: ReadonlyMap<string, string>;
  /** All definitions, by file (sorted) then source position. */
  readonly definitions: readonly Definition[];
  readonly skipped: readonly SkippedFile[];
  file(path: string): SourceFile | undefined;
  definitionsIn(file: string): Definition[];
  /** The definition with this qualname in this file (the last one when redefined). */
  find(file: string, qualname: string): Definition | undefined;
  byId(id: string): Definition | undefined;
  /** The innermost definition enclosing a 1-based line of a file. */
  definitionAt(file: string, line: number): Definition | undefined;
}
