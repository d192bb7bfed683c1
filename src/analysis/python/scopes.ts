import type { Definition } from '../types.js';
import type { PyNode } from './parser.js';
import type { Ref } from './refs.js';

/** What a name is bound to in one scope (a name may have several bindings: branches, redefinitions). */
export type Binding = BindingData & {
  /** Inside an if/loop/except/match branch of its scope: a later unconditional binding need not replace it. */
  cond?: boolean;
};

type BindingData =
  | { kind: 'def'; pos: number; def: Definition }
  /** `import a.b` binds `a` to module `a`; `import a.b as c` binds `c` to `a.b`. `key` null: not in the repo. */
  | { kind: 'import'; pos: number; key: string | null; dotted: string }
  /** `from m import name`; `key` null when `m` is not in the repo. */
  | { kind: 'from'; pos: number; key: string | null; name: string }
  /** A parameter; `selfOf` for a method's first one; `annotation` when it names a class; its default. */
  | { kind: 'param'; pos: number; selfOf?: Definition; isClass?: boolean; annotation?: Ref; default?: Ref }
  /** Any other binding (assignment, loop target...); `value` for a single-target assignment. */
  | { kind: 'assign'; pos: number; value?: Ref };

export type ScopeKind = 'module' | 'class' | 'function' | 'lambda' | 'comprehension';

export interface Scope {
  kind: ScopeKind;
  parent: Scope | null;
  bindings: Map<string, Binding[]>;
  globals: Set<string>;
  nonlocals: Set<string>;
  /** The class or function definition that opened this scope. */
  def?: Definition;
}

/** `from m import *` at module level, in source order. */
export interface StarImport {
  pos: number;
  key: string | null;
}

/** A call (or implicit call) found while walking, before resolution. */
export interface RawCall {
  ref: Ref;
  scope: Scope;
  kind: 'call' | 'decorator' | 'raise';
  /** Position of the callee expression (the syntax tree is not kept). */
  start: number;
  end: number;
  line: number;
  /** The callee expression as written. */
  text: string;
}

/** What a class's methods assign to `self.<name>` (for typing receivers such as `self.session.get()`). */
export interface ClassInfo {
  def: Definition;
  scope: Scope;
  /** Base expressions, evaluated in the scope around the class. */
  bases: Ref[];
  outer: Scope;
  instanceAttrs: Map<string, { value: Ref; scope: Scope }[]>;
}

export interface FunctionInfo {
  scope: Scope;
  /** The return annotation, when it names a class. */
  returns?: Ref;
  /** Expressions of `return` statements (the first few), for inferring what a call returns. */
  returnValues: Ref[];
}

/** Everything name resolution needs from one file; the syntax tree itself is not kept. */
export interface FileSymbols {
  file: string;
  key: string;
  module: Scope;
  stars: StarImport[];
  /** Literal `__all__`, or null when absent or not a literal list/tuple of strings. */
  all: string[] | null;
  calls: RawCall[];
  classes: Map<Definition, ClassInfo>;
  /** Function definitions to their scope, return annotation and returned expressions. */
  functions: Map<Definition, FunctionInfo>;
}

export function newScope(kind: ScopeKind, parent: Scope | null, def?: Definition): Scope {
  return { kind, parent, bindings: new Map(), globals: new Set(), nonlocals: new Set(), ...(def && { def }) };
}

/** Statements whose bodies may or may not run (relative to the enclosing scope). */
const CONDITIONAL = new Set([
  'if_statement', 'for_statement', 'while_statement', 'except_clause', 'except_group_clause', 'match_statement',
  'conditional_expression',
]);
const SCOPE_OWNERS = new Set([
  'function_definition', 'class_definition', 'module', 'lambda', 'list_comprehension', 'set_comprehension',
  'dictionary_comprehension', 'generator_expression',
]);

/** True when the node sits in a branch of its scope (else clauses hang under their if/for/while/try). */
export function isConditional(node: PyNode): boolean {
  for (let n = node.parent; n && !SCOPE_OWNERS.has(n.type); n = n.parent) {
    if (CONDITIONAL.has(n.type)) return true;
    if (n.type === 'else_clause' && n.parent?.type === 'try_statement') return true;
  }
  return false;
}

/**
 * The bindings that can be live after the scope ran: from the last unconditional one on (a later
 * `def` replaces an earlier one, as `@overload` stubs are replaced by the implementation).
 */
export function liveBindings(bindings: Binding[]): Binding[] {
  let last = -1;
  for (let i = 0; i < bindings.length; i++) if (!bindings[i]?.cond) last = i;
  return last <= 0 ? bindings : bindings.slice(last);
}

/** Records a binding; with `node`, marks it conditional when it sits in a branch. */
export function bind(scope: Scope, name: string, binding: Binding, node?: PyNode): void {
  if (node && isConditional(node)) binding.cond = true;
  // `global` and `nonlocal` names bind in the scope that owns them, not here.
  let target = scope;
  if (scope.globals.has(name)) {
    while (target.parent) target = target.parent;
  } else if (scope.nonlocals.has(name)) {
    for (let s = scope.parent; s; s = s.parent) {
      if (s.kind === 'function' && s.bindings.has(name)) {
        target = s;
        break;
      }
    }
  }
  const list = target.bindings.get(name);
  if (list) list.push(binding);
  else target.bindings.set(name, [binding]);
}
