import { checkCompiles, type CompileCheck, type NameUse } from '../analysis/python/compile-check.js';
import type { CodeCheck, RunCheck } from './code-check.js';

/** Files only the interpreter can judge (`\N{...}` names, a codec not modelled): no code runner was given. */
export interface Unchecked {
  unchecked: { files: string[]; reason: string };
}

const NO_RUNNER =
  "\\N{...} names and coding declarations other than UTF-8, Latin-1 and ASCII need the sandbox's Python: verify was called without ctx.run (envs and verifyFiles pass it)";

/** A changed Python file: its final bytes and, unless it is new, what it is compared against. */
export interface ChangedPython {
  file: string;
  after: Buffer;
  before?: Buffer;
}

/** Why a changed file does not compile (CPython's message; line and column as CPython gives them). */
export interface CompileError {
  file: string;
  line: number | null;
  column?: number;
  message: string;
}

// Compiles the copies it is given (not the workspace, where protected files are restored) as
// importlib does (compile() of the bytes: what the pure check models too), judges the \N{} names
// with the interpreter's own codec, and writes the verdict to a file: never stdout.
const SCRIPT = String.raw`
import codecs, json, sys
support, out = sys.argv[1], sys.argv[2]
with open(support + '/manifest.json', encoding='utf-8') as f:
    manifest = json.load(f)
def comp(path, name):
    try:
        with open(path, 'rb') as f:
            compile(f.read(), name, 'exec', dont_inherit=True)
        return None
    except SyntaxError as e:
        return {'line': e.lineno, 'column': e.offset, 'message': str(e.msg)}
    except Exception as e:
        return {'line': None, 'column': None, 'message': '%s: %s' % (type(e).__name__, e)}
files = {}
for item in manifest['files']:
    err = comp(support + '/' + item['copy'], item['file'])
    orig = comp(support + '/' + item['original'], item['file']) if err and item.get('original') else None
    files[item['file']] = {'error': err, 'originalCompiles': bool(item.get('original')) and orig is None}
bad = []
for name in manifest['names']:
    try:
        codecs.decode(('\\N{%s}' % name).encode('ascii'), 'unicode_escape')
    except UnicodeDecodeError:
        bad.append(name)
with open(out + '/compile.json', 'w', encoding='utf-8') as f:
    json.dump({'version': list(sys.version_info[:3]), 'files': files, 'badNames': bad}, f)
`;

interface Verdict {
  files: Record<string, { error: { line: number | null; column: number | null; message: string } | null; originalCompiles: boolean }>;
  badNames: string[];
}

/**
 * The first changed Python file that would not compile, or null. Each file gets the pure check
 * against its original; a file that passes it but uses `\N{...}` names its original does not have,
 * or that (or whose original) declares a codec the pure check does not model (anything but UTF-8,
 * Latin-1 and ASCII under CPython's spellings), is compiled by the sandbox's Python through `run`:
 * one code check for all of them.
 * Without `run` (a unit test calling a verifier directly) such files cannot be judged: they come
 * back as `unchecked`, which does not fail them, so the verdict is the file checks' alone.
 * A check that gives no verdict (timed out, crashed) counts against the file: only our script and
 * copies of the files ran.
 */
export async function firstCompileError(
  files: readonly ChangedPython[],
  run: RunCheck | undefined,
  options: { pureOnly?: boolean } = {},
): Promise<CompileError | Unchecked | null> {
  return firstCompileErrorOf(files.map((f) => ({ ...f, check: () => checkCompiles(f.after, f.before) })), run, options);
}

/**
 * `firstCompileError` with each file's pure check given (or run on demand): verifiers that checked
 * the files elsewhere (a worker, or only the changed blocks of a large file) pass their results.
 */
export async function firstCompileErrorOf(
  files: ReadonlyArray<ChangedPython & { check: CompileCheck | (() => CompileCheck) }>,
  run: RunCheck | undefined,
  options: { pureOnly?: boolean } = {},
): Promise<CompileError | Unchecked | null> {
  const pending: Array<ChangedPython & { names: NameUse[] }> = [];
  for (const { check, ...f } of files) {
    const r = typeof check === 'function' ? check() : check;
    if (!r.ok) return { file: f.file, line: r.line, ...(r.column !== undefined && { column: r.column }), message: r.message };
    // A codec not modelled: the interpreter's compile() is the whole verdict (no names to look up).
    if (r.ok === 'interpreter') pending.push({ ...f, names: [] });
    else if (r.names.length > 0) pending.push({ ...f, names: r.names });
  }
  // pureOnly: the verdict is already 0 for another reason, so no sandbox is started for the names.
  if (pending.length === 0 || options.pureOnly) return null;
  if (!run) return { unchecked: { files: pending.map((p) => p.file), reason: NO_RUNNER } };
  const support: Record<string, Buffer | string> = {};
  const manifest = pending.map((p, k) => {
    support[`files/${k}.py`] = p.after;
    if (p.before) support[`originals/${k}.py`] = p.before;
    return { file: p.file, copy: `files/${k}.py`, ...(p.before && { original: `originals/${k}.py` }) };
  });
  const names = [...new Set(pending.flatMap((p) => p.names.map((n) => n.name)))];
  support['manifest.json'] = JSON.stringify({ files: manifest, names });
  support['compile.py'] = SCRIPT;
  const check: CodeCheck = {
    name: 'compile',
    argv: (d) => ['python3', '-I', '-S', '-W', 'ignore', `${d.support}/compile.py`, d.support, d.out],
    support,
    collect: ['compile.json'],
    timeoutMs: 120_000,
  };
  const result = await run(check);
  const verdict = parseVerdict(result.collected['compile.json']);
  if (!verdict) {
    // Only our script and copies of the files ran: no verdict means a broken image or a file too hard to compile.
    const why = result.timedOut ? 'timed out' : `gave no verdict (exit ${result.exitCode}): ${result.output.slice(-500)}`;
    return { file: pending[0]!.file, line: null, message: `the compile check ${why}` };
  }
  for (const p of pending) {
    const v = verdict.files[p.file];
    if (v?.error && (!p.before || v.originalCompiles)) {
      return { file: p.file, line: v.error.line, ...(v.error.column != null && { column: v.error.column }), message: v.error.message };
    }
    // An original that never compiled: only the names this change brought in can be held against it.
    const bad = p.names.find((n) => verdict.badNames.includes(n.name));
    if (bad) return { file: p.file, line: bad.line, ...(bad.column !== undefined && { column: bad.column }), message: bad.message };
  }
  return null;
}

function parseVerdict(bytes: Buffer | undefined): Verdict | null {
  if (!bytes) return null;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Verdict;
    return typeof v.files === 'object' && Array.isArray(v.badNames) ? v : null;
  } catch {
    return null;
  }
}

/** Splits the result for a verifier's details: the error (which fails) or what could not be checked. */
export function compileDetails(r: CompileError | Unchecked | null): { compileError?: CompileError; compileUnchecked?: Unchecked['unchecked'] } {
  if (r === null) return {};
  return 'unchecked' in r ? { compileUnchecked: r.unchecked } : { compileError: r };
}
