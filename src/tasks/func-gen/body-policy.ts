import { child, parsePython, type PyNode } from '../../analysis/python/parser.js';
import { anyFunctionBodies, findFunction } from './body.js';
import { BODY_POLICY, MODULE_ATTRIBUTES, type BodyPolicyRule } from './body-policy-rules.js';
import { importBindings, localNames, moduleBindings, type Bindings } from './python-bindings.js';

export { BODY_POLICY, type BodyPolicyRule } from './body-policy-rules.js';

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
interface ScanContext {
  params: Set<string>;
  /** The module's top-level bindings, or null when the module is not known. */
  module: Bindings | null;
  shift: number;
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
        // `from operator import attrgetter` is the attribute `attrgetter` of a module.
        const rule = nameRule(b.imported) ?? (n.type === 'import_from_statement' ? attributeRule(b.imported.split('.').pop()!) : null);
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
    // A loop, not recursion: a chain of 100,000 attributes must not overflow the stack.
    const names: string[] = [];
    let n = unwrap(node);
    while (n?.type === 'attribute') {
      const attr = child(n, 'attribute');
      if (!attr) return null;
      names.push(src(attr));
      n = unwrap(child(n, 'object'));
    }
    if (n?.type !== 'identifier') return null;
    const base = resolveName(src(n));
    return base === null ? null : [base, ...names.reverse()].join('.');
  };
  /** `vars(self)`: the object's own attributes. */
  const isVarsOfSelf = (n: PyNode): boolean => {
    const call = n.parent;
    if (src(n) !== 'vars' || call?.type !== 'call' || n.field !== 'function') return false;
    const args = child(call, 'arguments')?.children.filter((c) => c.named && c.type !== 'comment') ?? [];
    return args.length === 1 && isSelf(args[0]);
  };
  /** `self` as the method's own parameter, never rebound in the body: attributes read from it are the object's own. */
  const isSelf = (node: PyNode | undefined): boolean => {
    const n = unwrap(node);
    return n?.type === 'identifier' && src(n) === 'self' && ctx.params.has('self') && !locals.has('self') && !aliases.has('self');
  };

  const explained = new Set<PyNode>();
  // eval → ｅval: CPython compares identifiers after NFKC normalisation, the rules do not.
  for (const id of descendants(nodes, 'identifier')) if (/[^\x00-\x7f]/.test(src(id))) at(id, SYNTAX.nonAscii);
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
        if (isReference(n) && !isVarsOfSelf(n)) {
          const full = resolveName(src(n));
          const rule = full ? nameRule(full) : null;
          if (rule) at(n, rule);
        }
        break;
      }
      case 'binary_operator': {
        // "tb_" + "frame": constant concatenations are read as the string they make.
        const folded = n.parent?.type === 'binary_operator' ? null : foldString(n, text);
        if (folded !== null) for (const rule of stringRules(folded)) at(n, rule);
        break;
      }
      case 'attribute': {
        // The resolved name says more (`os._exit`) than the bare attribute (`_exit`): one report.
        const attr = child(n, 'attribute');
        // Only the outermost attribute of a chain is resolved (a name rule that matches a prefix
        // matches the whole chain): resolving every link would be quadratic in the chain's length.
        const inner = n.parent?.type === 'attribute' && n.field === 'object';
        const full = inner ? null : resolve(n);
        const own = attr !== undefined && src(attr) === '__dict__' && isSelf(child(n, 'object'));
        const byName = full ? nameRule(full) : null;
        // The chain's name rule explains its links: `_sys.modules.clear()` is one sys.modules.
        if (byName) for (let x = unwrap(child(n, 'object')); x?.type === 'attribute'; x = unwrap(child(x, 'object'))) explained.add(x);
        const rule = byName ?? (attr && !own && !explained.has(n) ? attributeRule(src(attr)) : null);
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
        if (fn?.type === 'identifier' && ATTRIBUTE_GETTERS.has(src(fn)) && resolveName(src(fn)) === src(fn) && (args.length < 2 || name === null) && !isSelf(args[0])) {
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
      case 'augmented_assignment': {
        const assigned = targets(child(n, 'left'));
        if (assigned.some(importedRoot)) at(n, SYNTAX.imported);
        // `__eq__ = lambda s, o: True` in a class body, `Anything.__eq__ = ...` after it.
        const named = (t: PyNode) => (t.type === 'identifier' ? src(t) : t.type === 'attribute' ? src(child(t, 'attribute')!) : '');
        if (assigned.some((t) => EQUALITY_DUNDERS.has(named(t)))) at(n, SYNTAX.equal);
        break;
      }
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
  nonAscii: syntaxRule('non-ASCII identifier'),
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
    // A module's name as a string ("pickle", "signal") is ordinary data; an attribute's is a lookup.
    else if (rule.kind === 'attribute' && value === rule.pattern && !MODULE_ATTRIBUTES.includes(value)) out.push(rule);
  }
  if (EQUALITY_DUNDERS.has(value)) out.push(SYNTAX.equal);
  return out;
}

/** The value of a constant string expression (literals joined by `+`, parentheses), or null. */
function foldString(node: PyNode, text: string): string | null {
  const stack: Array<{ n: PyNode; depth: number }> = [];
  // Iterative left-to-right fold, bounded: deep nesting is not folded (and not needed for a name).
  const parts: string[] = [];
  stack.push({ n: node, depth: 0 });
  while (stack.length > 0) {
    const { n: cur0, depth } = stack.pop()!;
    const cur = unwrap(cur0);
    if (!cur || depth > 200) return null;
    if (cur.type === 'string') {
      const v = stringValue(cur, text);
      if (v === null) return null;
      parts.push(v);
    } else if (cur.type === 'concatenated_string') {
      for (const c of cur.children.filter((x) => x.type === 'string').reverse()) stack.push({ n: c, depth: depth + 1 });
    } else if (cur.type === 'binary_operator' && cur.children.some((c) => !c.named && text.slice(c.start, c.end) === '+')) {
      const left = child(cur, 'left');
      const right = child(cur, 'right');
      if (!left || !right) return null;
      stack.push({ n: right, depth: depth + 1 }, { n: left, depth: depth + 1 });
    } else return null;
  }
  return parts.join('');
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
