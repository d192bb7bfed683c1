import { STATEMENT_CONTAINERS } from '../../analysis/python/definitions.js';
import { child, parsePython, type PyNode } from '../../analysis/python/parser.js';
import { anyFunctionBodies, findFunction } from './body.js';

/**
 * What a func-gen body must not do. The repository's tests run in the same process as pytest
 * (docs/testrun.md, "What it cannot stop"), so code that reaches the process — its frames, its
 * modules, its exit, its tracing hooks, the recorder's files — could forge a pass. Kinds:
 * - `name`: a module or a dotted name, after resolving imports (`import os as o; o._exit` is
 *   `os._exit`); a rule matches the name and everything under it (`gc` matches `gc.collect`).
 *   Imports of a matching name count; so do `getattr(x, 'name')`, `x.__dict__['name']` and
 *   `vars(x)['name']` with a literal name. Bare `eval`, `exec`, `compile`, `__import__`, `exit`,
 *   `quit` and `__builtins__` are the builtins unless a parameter or the body binds them.
 * - `attribute`: an attribute of any object (frame and traceback internals).
 * - `path`: a string literal (of any use: `open`, `os.open`, `pathlib`) that names this path or one under it.
 * - `text`: a string literal that contains this text.
 */
export const BODY_POLICY: readonly BodyPolicyRule[] = [
  { kind: 'name', pattern: 'gc', why: 'reaches every object of the process, pytest’s included' },
  { kind: 'name', pattern: 'ctypes', why: 'writes the process’s memory' },
  { kind: 'name', pattern: '_ctypes', why: 'writes the process’s memory' },
  { kind: 'name', pattern: 'sys._getframe', why: 'reads the callers’ frames (the test’s and pytest’s)' },
  { kind: 'name', pattern: 'sys._current_frames', why: 'reads every thread’s frames' },
  { kind: 'name', pattern: 'inspect.currentframe', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'inspect.stack', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'inspect.trace', why: 'reads frames' },
  { kind: 'name', pattern: 'inspect.getouterframes', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'inspect.getinnerframes', why: 'reads frames' },
  { kind: 'name', pattern: 'traceback.walk_stack', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'traceback.walk_tb', why: 'reads frames' },
  { kind: 'attribute', pattern: 'f_back', why: 'walks up to the callers’ frames' },
  { kind: 'attribute', pattern: 'f_globals', why: 'reads a frame’s globals' },
  { kind: 'attribute', pattern: 'f_locals', why: 'reads a frame’s locals' },
  { kind: 'attribute', pattern: 'f_builtins', why: 'reads a frame’s builtins' },
  { kind: 'attribute', pattern: 'tb_frame', why: 'reaches a frame from a traceback' },
  { kind: 'attribute', pattern: 'gi_frame', why: 'reaches a generator’s frame' },
  { kind: 'attribute', pattern: 'cr_frame', why: 'reaches a coroutine’s frame' },
  { kind: 'attribute', pattern: 'ag_frame', why: 'reaches an async generator’s frame' },
  { kind: 'name', pattern: 'os._exit', why: 'ends the test process before pytest records anything' },
  { kind: 'name', pattern: 'posix._exit', why: 'ends the test process before pytest records anything' },
  { kind: 'name', pattern: 'sys.exit', why: 'ends the test process' },
  { kind: 'name', pattern: 'builtins.exit', why: 'ends the test process' },
  { kind: 'name', pattern: 'builtins.quit', why: 'ends the test process' },
  { kind: 'name', pattern: 'os.abort', why: 'ends the test process' },
  { kind: 'name', pattern: 'atexit', why: 'runs code when the test process ends' },
  { kind: 'name', pattern: 'os.kill', why: 'signals processes (the test process included)' },
  { kind: 'name', pattern: 'os.killpg', why: 'signals processes (the test process included)' },
  { kind: 'name', pattern: 'posix.kill', why: 'signals processes (the test process included)' },
  { kind: 'name', pattern: 'signal', why: 'sends or handles signals of the test process' },
  { kind: 'name', pattern: 'faulthandler', why: 'hooks the test process’s crashes and dumps' },
  { kind: 'name', pattern: 'pytest', why: 'reaches the test runner that judges the body' },
  { kind: 'name', pattern: '_pytest', why: 'reaches the test runner that judges the body' },
  { kind: 'name', pattern: 'sys.modules', why: 'reaches every loaded module (the tests’ and pytest’s)' },
  { kind: 'name', pattern: 'builtins', why: 'changes what every module’s builtins are' },
  { kind: 'name', pattern: '__builtin__', why: 'changes what every module’s builtins are' },
  { kind: 'name', pattern: 'importlib', why: 'imports or reloads modules by computed names' },
  { kind: 'name', pattern: 'builtins.__import__', why: 'imports modules by computed names' },
  { kind: 'name', pattern: 'builtins.exec', why: 'runs code the check cannot read' },
  { kind: 'name', pattern: 'builtins.eval', why: 'runs code the check cannot read' },
  { kind: 'name', pattern: 'builtins.compile', why: 'makes code the check cannot read' },
  { kind: 'name', pattern: 'sys.settrace', why: 'traces the test process (pytest’s frames included)' },
  { kind: 'name', pattern: 'sys.setprofile', why: 'hooks every call of the test process' },
  { kind: 'name', pattern: 'sys.monitoring', why: 'hooks every call of the test process' },
  { kind: 'name', pattern: 'threading.settrace', why: 'traces the test process’s threads' },
  { kind: 'name', pattern: 'threading.settrace_all_threads', why: 'traces the test process’s threads' },
  { kind: 'name', pattern: 'threading.setprofile', why: 'hooks the test process’s threads' },
  { kind: 'name', pattern: 'threading.setprofile_all_threads', why: 'hooks the test process’s threads' },
  { kind: 'name', pattern: 'unittest', why: 'reaches the test framework (its assertions can be replaced)' },
  { kind: 'name', pattern: 'doctest', why: 'reaches a test framework' },
  { kind: 'attribute', pattern: '__self__', why: 'reaches the module of a builtin (builtins itself)' },
  { kind: 'attribute', pattern: '__import__', why: 'imports modules by computed names' },
  { kind: 'attribute', pattern: '__globals__', why: 'reaches another module’s globals (and what they import)' },
  { kind: 'attribute', pattern: '__builtins__', why: 'reaches the builtins of another module' },
  { kind: 'attribute', pattern: '__subclasses__', why: 'reaches every class of the process (the test framework’s included)' },
  { kind: 'attribute', pattern: '__code__', why: 'replaces or reads a function’s code' },
  { kind: 'attribute', pattern: '_exit', why: 'ends the test process (os._exit reached through another module)' },
  { kind: 'attribute', pattern: '_getframe', why: 'reads the callers’ frames (sys._getframe reached through another module)' },
  { kind: 'attribute', pattern: '_current_frames', why: 'reads every thread’s frames' },
  { kind: 'attribute', pattern: 'settrace', why: 'traces the test process' },
  { kind: 'attribute', pattern: 'setprofile', why: 'hooks every call of the test process' },
  { kind: 'attribute', pattern: 'sys', why: 'reaches the sys module through another module (its modules, exit, frames)' },
  ...[
    'modules', 'currentframe', 'getouterframes', 'getinnerframes', 'getargvalues', 'walk_tb', 'walk_stack', 'getattr_static',
    'attrgetter', 'methodcaller', 'resolve_name', 'locate', 'FunctionType', 'CodeType', 'LambdaType',
    '__func__', '__closure__', 'cell_contents', '__dict__', '__getattribute__', '__setattr__', '__delattr__',
    'gc', 'ctypes', '_ctypes', 'importlib', 'pickle', '_pickle', 'marshal', 'copyreg', 'pkgutil', 'pydoc', 'runpy',
    'pytest', '_pytest', 'unittest', 'builtins', 'inspect', 'traceback', 'signal', 'atexit', 'faulthandler',
  ].map((pattern): BodyPolicyRule => ({ kind: 'attribute', pattern, why: 'reaches the process’s modules, frames or objects whatever the object it is read from' })),
  { kind: 'name', pattern: 'pickle', why: 'runs code and imports modules named in data' },
  { kind: 'name', pattern: '_pickle', why: 'runs code and imports modules named in data' },
  { kind: 'name', pattern: 'marshal', why: 'makes code objects from data' },
  { kind: 'name', pattern: 'copyreg', why: 'changes how objects are rebuilt from data' },
  { kind: 'name', pattern: 'pkgutil', why: 'imports modules by computed names' },
  { kind: 'name', pattern: 'pydoc', why: 'imports modules by computed names' },
  { kind: 'name', pattern: 'runpy', why: 'runs modules by computed names' },
  { kind: 'name', pattern: 'builtins.vars', why: 'reads an object’s attributes by computed names' },
  { kind: 'name', pattern: 'builtins.locals', why: 'reads the frame’s variables by computed names' },
  { kind: 'syntax', pattern: 'attribute by a computed name', why: 'getattr, setattr, delattr or hasattr whose name is not a plain literal, or passed as a value: reaches what the rules name' },
  { kind: 'syntax', pattern: 'class that compares equal', why: 'a class defined in the body with __eq__, __ne__, __bool__ or __hash__ (or type() with three arguments): an object that passes comparisons without being the answer' },
  { kind: 'text', pattern: 'pytest', why: 'names the test runner that judges the body' },
  { kind: 'text', pattern: 'hybrid_gym', why: 'names the verification check’s own plugin' },
  { kind: 'text', pattern: 'CallInfo', why: 'names the test runner’s internals' },
  { kind: 'text', pattern: 'TestReport', why: 'names the test runner’s internals' },
  { kind: 'name', pattern: 'builtins.globals', why: 'rebinds module-level names (the functions the tests compare against)' },
  { kind: 'syntax', pattern: 'global', why: 'rebinds module-level names (the functions the tests compare against)' },
  { kind: 'syntax', pattern: 'assignment to an imported name', why: 'changes a module or class the tests also use (monkeypatching)' },
  { kind: 'path', pattern: '/proc', why: 'reaches the process through /proc (its memory, its open files)' },
  { kind: 'path', pattern: '/dev/fd', why: 'reaches the process’s open files (the test recorder’s included)' },
  { kind: 'text', pattern: '.hybrid-gym-check', why: 'reaches the verification check’s own files' },
];

export interface BodyPolicyRule {
  kind: 'name' | 'attribute' | 'path' | 'text' | 'syntax';
  pattern: string;
  why: string;
}

export interface BodyPolicyViolation {
  /** 1-based line (of the file, or of the checked text shifted by `firstLine`). */
  line: number;
  /** The rule's pattern and why it is forbidden, e.g. `os._exit: ends the test process ...`. */
  what: string;
}

export type BodyPolicyResult = { ok: true } | { ok: false; violations: BodyPolicyViolation[] };

export interface BodyPolicyOptions {
  /** Line of the file where the checked text starts (violations are reported in file lines). @default 1 */
  firstLine?: number;
  /** The function's parameters: they shadow modules and builtins of the same name. */
  parameters?: readonly string[];
  /** The whole file: its top-level imports say what names such as `_sys` or `signal` refer to. */
  moduleSource?: string;
}

const BARE_BUILTINS = new Set(['eval', 'exec', 'compile', '__import__', 'exit', 'quit', 'globals', 'vars', 'locals']);
const ATTRIBUTE_GETTERS = new Set(['getattr', 'setattr', 'delattr', 'hasattr']);

/**
 * Checks a function body's source text (indented as in the file or not; no docstring needed)
 * against {@link BODY_POLICY}. A body that does not parse is a violation: it cannot be checked.
 */
export function checkBodyPolicy(body: string, options: BodyPolicyOptions = {}): BodyPolicyResult {
  const firstCode = body.split(/\r\n|\n|\r/).find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  // An indented body parses inside a block; the wrapper line shifts rows by one.
  const wrapped = /^[ \t]/.test(firstCode);
  const text = wrapped ? `if True:\n${body}` : body;
  const parsed = parsePython(text);
  const shift = (options.firstLine ?? 1) - (wrapped ? 2 : 1);
  // When the wrapper did not parse as an `if`, the whole tree is scanned (the wrapper holds nothing to flag).
  const wrapper = wrapped ? parsed.root.children.find((c) => c.type === 'if_statement') : undefined;
  const nodes = (wrapper && child(wrapper, 'consequence')?.children) ?? parsed.root.children;
  const module = options.moduleSource === undefined ? null : moduleBindings(anyFunctionBodies(options.moduleSource));
  const found = scan(nodes, text, { params: new Set(options.parameters ?? []), module, shift });
  if (parsed.hasErrors) {
    const line = Math.max(options.firstLine ?? 1, (firstError(parsed.root)?.row ?? 0) + 1 + shift);
    found.push({ line, what: 'the body does not parse, so it cannot be checked' });
  }
  return result(found);
}

/**
 * Checks the body of a function as it stands in a file (the `occurrence`-th definition of
 * `qualname`), with the file's imports and the function's parameters in view; null when the file
 * has no such function. Lines are the file's.
 */
export function checkFunctionBodyPolicy(source: string, target: { qualname: string; occurrence?: number }): BodyPolicyResult | null {
  const parsed = anyFunctionBodies(source);
  const fn = findFunction(parsed, target.qualname, target.occurrence ?? 0);
  if (!fn) return null;
  const params = new Set(fn.definition.parameters.map((p) => p.name));
  const found = scan(fn.statements, source, { params, module: moduleBindings({ root: parsed.root, text: source }), shift: 0 });
  if (parsed.hasErrors) found.push({ line: (firstError(fn.node)?.row ?? fn.node.row) + 1, what: 'the body does not parse, so it cannot be checked' });
  return result(found);
}

function result(found: BodyPolicyViolation[]): BodyPolicyResult {
  const seen = new Set<string>();
  const violations = found
    .filter((v) => !seen.has(`${v.line}\0${v.what}`) && seen.add(`${v.line}\0${v.what}`))
    .sort((a, b) => a.line - b.line || (a.what < b.what ? -1 : a.what > b.what ? 1 : 0));
  return violations.length === 0 ? { ok: true } : { ok: false, violations };
}

/** Names bound at a module's top level: by imports (to a dotted module name) or otherwise (to null); `*os` for `from os import *`. */
type Bindings = Map<string, string | null>;

interface ScanContext {
  params: Set<string>;
  /** The module's top-level bindings, or null when the module is not known. */
  module: Bindings | null;
  shift: number;
}

function moduleBindings(parsed: { root: PyNode; text: string }): Bindings {
  const out: Bindings = new Map();
  const visit = (n: PyNode): void => {
    for (const c of n.children) {
      if (c.type === 'import_statement' || c.type === 'import_from_statement' || c.type === 'future_import_statement') {
        for (const b of importBindings(c, parsed.text)) {
          if (b.local === '*') out.set(`*${b.target}`, b.target);
          else out.set(b.local, b.target);
        }
      } else if (c.type === 'function_definition' || c.type === 'class_definition') {
        const name = child(c, 'name');
        if (name) out.set(parsed.text.slice(name.start, name.end), null);
      } else if (c.type === 'expression_statement') {
        for (const id of assignedNames(c, parsed.text)) if (!out.has(id)) out.set(id, null);
      } else if (STATEMENT_CONTAINERS.has(c.type) || c.type === 'block') {
        visit(c);
      }
    }
  };
  visit(parsed.root);
  return out;
}

interface ImportBinding {
  local: string;
  /** The dotted name the local name refers to. */
  target: string;
  /** Every dotted name the statement imports (for the import itself to be checked). */
  imported: string;
}

function importBindings(n: PyNode, text: string): ImportBinding[] {
  const src = (x: PyNode) => text.slice(x.start, x.end).replace(/\s+/g, '');
  const out: ImportBinding[] = [];
  if (n.type === 'import_statement') {
    for (const c of n.children) {
      if (c.type === 'dotted_name') out.push({ local: src(c).split('.')[0]!, target: src(c).split('.')[0]!, imported: src(c) });
      else if (c.type === 'aliased_import') {
        const name = child(c, 'name');
        const alias = child(c, 'alias');
        if (name && alias) out.push({ local: src(alias), target: src(name), imported: src(name) });
      }
    }
    return out;
  }
  const moduleNode = child(n, 'module_name');
  const base = moduleNode ? src(moduleNode) : '__future__';
  for (const c of n.children) {
    if (c === moduleNode) continue;
    if (c.type === 'dotted_name') out.push({ local: src(c), target: `${base}.${src(c)}`, imported: `${base}.${src(c)}` });
    else if (c.type === 'aliased_import') {
      const name = child(c, 'name');
      const alias = child(c, 'alias');
      if (name && alias) out.push({ local: src(alias), target: `${base}.${src(name)}`, imported: `${base}.${src(name)}` });
    } else if (c.type === 'wildcard_import') {
      out.push({ local: '*', target: base, imported: base });
    }
  }
  return out;
}

/** Identifiers a statement assigns to (plain and annotated assignments, tuple targets). */
function assignedNames(stmt: PyNode, text: string): string[] {
  const out: string[] = [];
  for (const a of stmt.children) {
    if (a.type !== 'assignment' && a.type !== 'augmented_assignment') continue;
    const collect = (t: PyNode | undefined): void => {
      if (!t) return;
      if (t.type === 'identifier') out.push(text.slice(t.start, t.end));
      else if (t.type === 'pattern_list' || t.type === 'tuple_pattern' || t.type === 'list_pattern') t.children.forEach(collect);
    };
    collect(child(a, 'left'));
    const right = child(a, 'right');
    if (right?.type === 'assignment') out.push(...assignedNames({ ...stmt, children: [right] }, text));
  }
  return out;
}

/** Names the body binds itself, other than by imports: they are local variables, not modules. */
function localNames(nodes: readonly PyNode[], text: string): Set<string> {
  const out = new Set<string>();
  const stack = [...nodes];
  const add = (t: PyNode | undefined): void => {
    if (!t) return;
    if (t.type === 'identifier') out.add(text.slice(t.start, t.end));
    else if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression', 'list_splat_pattern'].includes(t.type)) t.children.forEach(add);
  };
  for (let n = stack.pop(); n; n = stack.pop()) {
    switch (n.type) {
      case 'assignment':
      case 'augmented_assignment':
      case 'for_statement':
      case 'for_in_clause':
        add(child(n, 'left'));
        break;
      case 'as_pattern':
        add(child(n, 'alias')?.children.find((c) => c.type === 'identifier') ?? child(n, 'alias'));
        break;
      case 'named_expression':
        add(child(n, 'name'));
        break;
      case 'function_definition':
      case 'class_definition':
        add(child(n, 'name'));
        break;
      case 'parameters':
      case 'lambda_parameters':
        for (const p of n.children) add(p.type === 'identifier' ? p : (child(p, 'name') ?? p.children.find((c) => c.type === 'identifier')));
        break;
    }
    stack.push(...n.children);
  }
  return out;
}

function scan(nodes: readonly PyNode[], text: string, ctx: ScanContext): BodyPolicyViolation[] {
  const src = (x: PyNode) => text.slice(x.start, x.end);
  const found: BodyPolicyViolation[] = [];
  const at = (n: PyNode, rule: BodyPolicyRule) => found.push({ line: n.row + 1 + ctx.shift, what: `${rule.pattern}: ${rule.why}` });

  const imports = new Map<string, string>();
  // `from os import *`: an unbound name may be one of the module's (`kill`).
  const stars = [...(ctx.module?.entries() ?? [])].filter(([k]) => k.startsWith('*')).map(([, v]) => v!);
  const stack = [...nodes];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.type === 'import_statement' || n.type === 'import_from_statement') {
      for (const b of importBindings(n, text)) {
        if (b.local === '*') stars.push(b.target);
        else imports.set(b.local, b.target);
        const rule = nameRule(b.imported);
        if (rule) at(n, rule);
      }
      continue;
    }
    stack.push(...n.children);
  }
  const locals = localNames(nodes, text);
  for (const name of imports.keys()) locals.delete(name);
  // `s = sys`, `m = (os)`: a local that holds a module (or a name under one) stands for it.
  const aliases = new Map<string, PyNode>();
  for (const a of descendants(nodes, 'assignment')) {
    const left = child(a, 'left');
    const right = unwrap(child(a, 'right'));
    if (left?.type === 'identifier' && right && (right.type === 'identifier' || right.type === 'attribute')) aliases.set(src(left), right);
  }

  /** The dotted name an identifier stands for, or null when it is a local, a parameter or unknown. */
  const resolving = new Set<string>();
  const resolveName = (name: string): string | null => {
    if (imports.has(name)) return imports.get(name)!;
    if (aliases.has(name) && !ctx.params.has(name) && !resolving.has(name)) {
      resolving.add(name);
      const target = resolve(aliases.get(name)!);
      resolving.delete(name);
      return target;
    }
    if (ctx.params.has(name) || locals.has(name)) return null;
    if (ctx.module?.has(name)) return ctx.module.get(name) ?? null;
    if (name === '__builtins__') return 'builtins';
    if (BARE_BUILTINS.has(name)) return `builtins.${name}`;
    for (const base of stars) if (nameRule(`${base}.${name}`)) return `${base}.${name}`;
    // A file's names are unknown (no moduleSource) or not bound at its top level: take the name as the module it spells.
    return name;
  };
  /** `a.b.c` as a resolved dotted name, or null when its root is not a plain name. */
  const resolve = (node: PyNode): string | null => {
    const n = unwrap(node)!;
    if (n.type === 'identifier') return resolveName(src(n));
    if (n.type === 'attribute') {
      const obj = child(n, 'object');
      const attr = child(n, 'attribute');
      const base = obj ? resolve(obj) : null;
      return base && attr ? `${base}.${src(attr)}` : null;
    }
    return null;
  };

  const walk = [...nodes];
  for (let n = walk.pop(); n; n = walk.pop()) {
    switch (n.type) {
      case 'import_statement':
      case 'import_from_statement':
      case 'comment':
        continue;
      case 'identifier': {
        // getattr & co. passed as values (functools.reduce(getattr, ...), map(getattr, ...)).
        if (ATTRIBUTE_GETTERS.has(src(n)) && isReference(n) && resolveName(src(n)) === src(n) && !(n.parent?.type === 'call' && n.field === 'function')) {
          at(n, SYNTAX.computed);
        }
        if (isReference(n)) {
          const full = resolveName(src(n));
          const rule = full ? nameRule(full) : null;
          if (rule) at(n, rule);
        }
        break;
      }
      case 'attribute': {
        // The resolved name says more (`os._exit`) than the bare attribute (`_exit`): one report.
        const attr = child(n, 'attribute');
        const full = resolve(n);
        const rule = (full ? nameRule(full) : null) ?? (attr ? attributeRule(src(attr)) : null);
        if (rule) at(n, rule);
        break;
      }
      case 'call': {
        const fn = child(n, 'function');
        const args = child(n, 'arguments')?.children.filter((c) => c.named && c.type !== 'comment') ?? [];
        const name = args[1] ? stringValue(args[1], text) : null;
        if (fn?.type === 'identifier' && ATTRIBUTE_GETTERS.has(src(fn)) && resolveName(src(fn)) === src(fn) && args[0] && name !== null) {
          checkMember(n, args[0], name);
        }
        if (fn?.type === 'identifier' && ATTRIBUTE_GETTERS.has(src(fn)) && resolveName(src(fn)) === src(fn) && (args.length < 2 || name === null)) {
          at(n, SYNTAX.computed);
        }
        if (fn?.type === 'identifier' && src(fn) === 'type' && resolveName('type') === 'type' && args.length === 3) at(n, SYNTAX.equal);
        // setattr(module, ...) / delattr(module, ...), whatever the name.
        if (fn?.type === 'identifier' && (src(fn) === 'setattr' || src(fn) === 'delattr') && resolveName(src(fn)) === src(fn) && args[0] && (importedName(args[0]) || importedRoot(args[0]))) {
          at(n, SYNTAX.imported);
        }
        break;
      }
      case 'global_statement':
        at(n, SYNTAX.global);
        break;
      case 'class_definition': {
        const methods = descendants([n], 'function_definition').map((f) => src(child(f, 'name')!));
        if (methods.some((m) => EQUALITY_DUNDERS.has(m))) at(n, SYNTAX.equal);
        break;
      }
      case 'concatenated_string': {
        // 'f_' 'back': the parts joined, as Python joins them.
        const value = n.children.filter((c) => c.type === 'string').map((c) => c.children.filter((x) => x.type === 'string_content').map(src).join('')).join('');
        for (const rule of stringRules(value)) at(n, rule);
        break;
      }
      case 'assignment':
      case 'augmented_assignment':
        if (targets(child(n, 'left')).some(importedRoot)) at(n, SYNTAX.imported);
        break;
      case 'delete_statement':
        if (n.children.filter((c) => c.named).flatMap(targets).some(importedRoot)) at(n, SYNTAX.imported);
        break;
      case 'subscript': {
        // x.__dict__['name'] and vars(x)['name']
        const value = child(n, 'value');
        const key = child(n, 'subscript');
        const name = key ? stringValue(key, text) : null;
        if (value && name !== null) {
          if (value.type === 'attribute' && src(child(value, 'attribute')!) === '__dict__') checkMember(n, child(value, 'object')!, name);
          else if (value.type === 'call' && src(child(value, 'function')!) === 'vars') {
            const arg = child(value, 'arguments')?.children.find((c) => c.named && c.type !== 'comment');
            if (arg) checkMember(n, arg, name);
          }
        }
        break;
      }
      case 'string': {
        const value = n.children.filter((c) => c.type === 'string_content').map(src).join('');
        for (const rule of stringRules(value)) at(n, rule);
        break;
      }
    }
    walk.push(...n.children);
  }

  /** Whether a target is an attribute or item of an imported module or name (`mod.f = ...`, `Cls.x = ...`). */
  function importedRoot(t: PyNode): boolean {
    if (t.type !== 'attribute' && t.type !== 'subscript') return false;
    let cur: PyNode | undefined = t;
    while (cur && (cur.type === 'attribute' || cur.type === 'subscript')) cur = unwrap(child(cur, cur.type === 'attribute' ? 'object' : 'value'));
    return cur !== undefined && importedName(cur);
  }

  /** Whether a node is a name bound by an import (of the body or of the file), or a local alias of one. */
  function importedName(node: PyNode): boolean {
    const n = unwrap(node);
    if (n?.type !== 'identifier') return false;
    const name = src(n);
    if (imports.has(name)) return true;
    if (ctx.params.has(name)) return false;
    if (aliases.has(name) && !resolving.has(name)) {
      resolving.add(name);
      const aliased = importedName(aliases.get(name)!) || importedRoot(aliases.get(name)!);
      resolving.delete(name);
      return aliased;
    }
    if (locals.has(name)) return false;
    return (ctx.module?.get(name) ?? null) !== null;
  }

  function checkMember(where: PyNode, obj: PyNode, name: string): void {
    const base = resolve(obj);
    const rule = (base ? nameRule(`${base}.${name}`) : null) ?? attributeRule(name);
    if (rule) at(where, rule);
  }
  return found;
}

/** An identifier read as a name: not an attribute's name, a keyword argument's name or a definition's name. */
function isReference(n: PyNode): boolean {
  const p = n.parent;
  if (!p) return true;
  if (p.type === 'attribute' && n.field === 'attribute') return false;
  if (p.type === 'keyword_argument' && n.field === 'name') return false;
  if ((p.type === 'function_definition' || p.type === 'class_definition') && n.field === 'name') return false;
  if (p.type === 'dotted_name' || p.type === 'aliased_import') return false;
  return true;
}

const syntaxRule = (pattern: string) => BODY_POLICY.find((r) => r.kind === 'syntax' && r.pattern === pattern)!;
const SYNTAX = {
  global: syntaxRule('global'),
  imported: syntaxRule('assignment to an imported name'),
  computed: syntaxRule('attribute by a computed name'),
  equal: syntaxRule('class that compares equal'),
};
const EQUALITY_DUNDERS = new Set(['__eq__', '__ne__', '__bool__', '__hash__']);

/**
 * The rules a string literal's value breaks: a text rule it contains, a path rule it names, or a
 * forbidden attribute or module it spells exactly (`getattr(x, "f_back")` and the like, however the
 * name reaches getattr).
 */
function stringRules(value: string): BodyPolicyRule[] {
  const out: BodyPolicyRule[] = [];
  for (const rule of BODY_POLICY) {
    if (rule.kind === 'text' && value.includes(rule.pattern)) out.push(rule);
    else if (rule.kind === 'path' && new RegExp(`^\\s*${escapeRegExp(rule.pattern)}(/|$|\\s)`).test(value)) out.push(rule);
    else if (rule.kind === 'attribute' && value === rule.pattern) out.push(rule);
  }
  return out;
}

function unwrap(n: PyNode | undefined): PyNode | undefined {
  let cur = n;
  while (cur?.type === 'parenthesized_expression') cur = cur.children.find((c) => c.named && c.type !== 'comment');
  return cur;
}

function descendants(nodes: readonly PyNode[], type: string): PyNode[] {
  const out: PyNode[] = [];
  const stack = [...nodes];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.type === type) out.push(n);
    stack.push(...n.children);
  }
  return out;
}

/** The targets of an assignment's left side (tuple and list targets unpacked). */
function targets(t: PyNode | undefined): PyNode[] {
  if (!t) return [];
  if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression', 'expression_list'].includes(t.type)) {
    return t.children.filter((c) => c.named).flatMap(targets);
  }
  return [t];
}

function nameRule(full: string): BodyPolicyRule | null {
  let best: BodyPolicyRule | null = null;
  for (const r of BODY_POLICY) {
    if (r.kind !== 'name') continue;
    if ((full === r.pattern || full.startsWith(`${r.pattern}.`)) && (!best || r.pattern.length > best.pattern.length)) best = r;
  }
  return best;
}

function attributeRule(name: string): BodyPolicyRule | null {
  return BODY_POLICY.find((r) => r.kind === 'attribute' && r.pattern === name) ?? null;
}

/** A plain string literal's contents (no interpolation), or null. */
function stringValue(n: PyNode, text: string): string | null {
  if (n.type !== 'string' || n.children.some((c) => c.type === 'interpolation')) return null;
  return n.children.filter((c) => c.type === 'string_content').map((c) => text.slice(c.start, c.end)).join('');
}

function firstError(n: PyNode): PyNode | undefined {
  const stack = [n];
  for (let x = stack.shift(); x; x = stack.shift()) {
    if (x.type === 'ERROR' || x.type === 'MISSING') return x;
    stack.unshift(...x.children);
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
