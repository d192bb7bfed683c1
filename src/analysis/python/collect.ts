import type { Definition } from '../types.js';
import { bindImport, readAll } from './imports.js';
import type { ModuleTable } from './discover.js';
import type { PyNode } from './parser.js';
import { annotationRef, refOf, unionOf, type Ref } from './refs.js';
import { bind, newScope, type ClassInfo, type FileSymbols, type RawCall, type Scope } from './scopes.js';

const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);
/** Containers whose identifiers all become bound names when they are assignment targets. */
const TARGET_CONTAINERS = new Set([
  'pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression',
  'list_splat_pattern', 'as_pattern_target', 'expression_list', 'list_splat',
]);
const IMPLICIT_CLASSMETHODS = new Set(['__new__', '__init_subclass__', '__class_getitem__']);

const MAX_RETURNS = 8;

type Item = { node: PyNode; scope: Scope };

const field = (n: PyNode, f: string): PyNode | undefined => n.children.find((c) => c.field === f);
const kids = (n: PyNode): PyNode[] => n.children.filter((c) => c.named && c.type !== 'comment');

/** Walks a file once: scopes with their bindings, imports, classes, and every call site. */
export function collectSymbols(
  root: PyNode,
  text: string,
  file: string,
  modules: ModuleTable,
  defsByNode: Map<PyNode, Definition>,
): FileSymbols {
  const src = (n: PyNode): string => text.slice(n.start, n.end);
  const moduleScope = newScope('module', null);
  const symbols: FileSymbols = {
    file, key: modules.keyOfFile.get(file) ?? file, module: moduleScope, stars: [], all: null,
    calls: [], classes: new Map(), functions: new Map(),
  };
  const calls: RawCall[] = symbols.calls;
  // Two parallel stacks (no object per visited node): most nodes only pass their scope on.
  const nodes: PyNode[] = [root];
  const scopes: Scope[] = [moduleScope];
  // Pushes items so that they pop in source order.
  const pushAll = (items: Item[]): void => {
    for (let i = items.length - 1; i >= 0; i--) {
      nodes.push((items[i] as Item).node);
      scopes.push((items[i] as Item).scope);
    }
  };
  const rawCall = (n: PyNode, scope: Scope, kind: RawCall['kind']): RawCall => ({
    ref: refOf(n, text), scope, kind, start: n.start, end: n.end, line: n.row + 1, text: src(n),
  });

  // `value`: what the target receives; unpacking (`a, b = v`, `for k, x in v`) gives each
  // position its item of v, unless a starred target makes positions uncertain.
  const bindTargets = (node: PyNode, scope: Scope, value?: Ref): void => {
    if (node.type === 'identifier') bind(scope, src(node), { kind: 'assign', pos: node.start, ...(value && { value }) }, node);
    else if (node.type === 'parenthesized_expression' && kids(node).length === 1) bindTargets(kids(node)[0] as PyNode, scope, value);
    else if (TARGET_CONTAINERS.has(node.type)) {
      const parts = kids(node);
      const positional = value && !parts.some((c) => c.type === 'list_splat_pattern' || c.type === 'list_splat');
      parts.forEach((c, index) => bindTargets(c, scope, positional ? { t: 'item', of: value, index } : undefined));
    } else if (node.type === 'attribute') recordSelfAttr(node, scope, value);
  };
  /** What a `for` target receives from iterating `iterable`. */
  const itemOf = (iterable: PyNode | undefined): Ref | undefined => {
    const of = refOf(iterable, text);
    return of.t === 'opaque' ? undefined : { t: 'item', of };
  };

  // `self.x = Foo()` inside a method: remembered so that `self.x.m()` can be typed later.
  const recordSelfAttr = (node: PyNode, scope: Scope, value?: Ref): void => {
    const obj = field(node, 'object');
    const attr = field(node, 'attribute');
    if (!value || obj?.type !== 'identifier' || !attr) return;
    const method = scope.kind === 'function' ? scope.def : undefined;
    const owner = method && scope.parent?.kind === 'class' ? scope.parent.def : undefined;
    const info = owner && symbols.classes.get(owner);
    const first = method?.parameters[0];
    if (!info || !first || first.name !== src(obj)) return;
    const list = info.instanceAttrs.get(src(attr)) ?? [];
    list.push({ value, scope });
    info.instanceAttrs.set(src(attr), list);
  };

  const enterFunction = (node: PyNode, scope: Scope): void => {
    const def = defsByNode.get(node);
    if (def) bind(scope, def.name, { kind: 'def', pos: node.start, def }, node);
    const inner = newScope('function', scope, def);
    const params = field(node, 'parameters');
    const returns = field(node, 'return_type');
    if (def) symbols.functions.set(def, { scope: inner, returnValues: [], ...(returns && { returns: annotationRef(returns, text) }) });
    const outerItems: Item[] = [];
    const owner = scope.kind === 'class' ? scope.def : undefined;
    const isStatic = def?.decorators.includes('staticmethod') ?? false;
    const isClassMethod = (def?.decorators.includes('classmethod') ?? false) || IMPLICIT_CLASSMETHODS.has(def?.name ?? '');
    let index = 0;
    for (const p of params ? kids(params) : []) {
      // Defaults and annotations are evaluated in the enclosing scope, when the def statement runs.
      for (const c of kids(p)) if (c.field === 'value' || c.field === 'type') outerItems.push({ node: c, scope });
      const id = p.type === 'identifier' ? p : (field(p, 'name') ?? p.children.find((c) => c.type === 'identifier' || c.type.endsWith('splat_pattern')));
      const ident = id && id.type !== 'identifier' ? id.children.find((c) => c.type === 'identifier') : id;
      if (!ident || p.type.endsWith('separator')) continue;
      const isSelf = index === 0 && owner && !isStatic && p.type !== 'list_splat_pattern';
      const annotation = field(p, 'type');
      const dflt = field(p, 'value');
      const dfltRef = dflt ? refOf(dflt, text) : undefined;
      bind(inner, src(ident), {
        kind: 'param', pos: ident.start,
        ...(isSelf && { selfOf: owner, isClass: isClassMethod }),
        ...(annotation && { annotation: annotationRef(annotation, text) }),
        ...(dfltRef && dfltRef.t !== 'opaque' && { default: dfltRef }),
      });
      index++;
    }
    if (returns) outerItems.push({ node: returns, scope });
    const body = field(node, 'body');
    pushAll([...outerItems, ...(body ? [{ node: body, scope: inner }] : [])]);
  };

  const enterClass = (node: PyNode, scope: Scope): void => {
    const def = defsByNode.get(node);
    if (def) bind(scope, def.name, { kind: 'def', pos: node.start, def }, node);
    const inner = newScope('class', scope, def);
    const supers = field(node, 'superclasses');
    const bases = supers ? kids(supers).filter((c) => c.type !== 'keyword_argument') : [];
    if (def) {
      const info: ClassInfo = { def, scope: inner, bases: bases.map((b) => refOf(b, text)), outer: scope, instanceAttrs: new Map() };
      symbols.classes.set(def, info);
    }
    const body = field(node, 'body');
    pushAll([...(supers ? [{ node: supers, scope }] : []), ...(body ? [{ node: body, scope: inner }] : [])]);
  };

  const enterLambda = (node: PyNode, scope: Scope): void => {
    const inner = newScope('lambda', scope);
    const params = field(node, 'parameters');
    const outerItems: Item[] = [];
    for (const p of params ? kids(params) : []) {
      for (const c of kids(p)) if (c.field === 'value') outerItems.push({ node: c, scope });
      const ident = p.type === 'identifier' ? p : (field(p, 'name') ?? p.children.find((c) => c.type === 'identifier'));
      if (ident?.type === 'identifier') bind(inner, src(ident), { kind: 'param', pos: ident.start });
    }
    const body = field(node, 'body');
    pushAll([...outerItems, ...(body ? [{ node: body, scope: inner }] : [])]);
  };

  const enterComprehension = (node: PyNode, scope: Scope): void => {
    const inner = newScope('comprehension', scope);
    const items: Item[] = [];
    let first = true;
    for (const c of kids(node)) {
      if (c.type === 'for_in_clause') {
        const left = field(c, 'left');
        if (left) bindTargets(left, inner, itemOf(field(c, 'right')));
        // The first iterable is evaluated in the enclosing scope.
        for (const r of c.children.filter((x) => x.field === 'right')) items.push({ node: r, scope: first ? scope : inner });
        first = false;
      } else items.push({ node: c, scope: inner });
    }
    pushAll(items);
  };

  while (nodes.length) {
    const node = nodes.pop() as PyNode;
    const scope = scopes.pop() as Scope;
    switch (node.type) {
      case 'function_definition':
        enterFunction(node, scope);
        continue;
      case 'class_definition':
        enterClass(node, scope);
        continue;
      case 'lambda':
        enterLambda(node, scope);
        continue;
      case 'decorator': {
        const expr = kids(node)[0];
        if (expr && (expr.type === 'identifier' || expr.type === 'attribute')) {
          calls.push(rawCall(expr, scope, 'decorator'));
        }
        break;
      }
      case 'call': {
        const fn = field(node, 'function');
        if (fn) calls.push(rawCall(fn, scope, 'call'));
        break;
      }
      case 'raise_statement': {
        const exc = kids(node)[0];
        if (exc && exc.field !== 'cause' && (exc.type === 'identifier' || exc.type === 'attribute')) {
          calls.push(rawCall(exc, scope, 'raise'));
        }
        break;
      }
      case 'import_statement':
      case 'import_from_statement':
      case 'future_import_statement':
        bindImport(node, text, scope, symbols, modules);
        continue;
      case 'global_statement':
      case 'nonlocal_statement':
        for (const id of kids(node)) (node.type === 'global_statement' ? scope.globals : scope.nonlocals).add(src(id));
        continue;
      case 'assignment': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        const annotation = field(node, 'type');
        // An annotation says more than the value (and `x: T` alone has no value).
        const typed: Ref | undefined = annotation ? { t: 'instance', type: annotationRef(annotation, text) } : undefined;
        const value = typed ?? (right && right.type !== 'assignment' ? refOf(right, text) : undefined);
        if (left) bindTargets(left, scope, value?.t === 'opaque' ? undefined : value);
        if (left?.type === 'identifier' && src(left) === '__all__' && scope === moduleScope) symbols.all = readAll(right, text);
        break;
      }
      case 'augmented_assignment': {
        const left = field(node, 'left');
        if (left) bindTargets(left, scope);
        if (left && src(left) === '__all__' && scope === moduleScope && symbols.all) {
          const more = readAll(field(node, 'right'), text);
          symbols.all = more ? [...symbols.all, ...more] : null;
        }
        break;
      }
      case 'for_statement': {
        const left = field(node, 'left');
        if (left) bindTargets(left, scope, itemOf(field(node, 'right')));
        break;
      }
      case 'named_expression': {
        const name = field(node, 'name');
        let target = scope;
        while (target.kind === 'comprehension' && target.parent) target = target.parent;
        if (name) bind(target, src(name), { kind: 'assign', pos: name.start }, node);
        break;
      }
      case 'as_pattern_target': {
        // `with X() as x`: x is what X().__enter__() returns; `except E as e`: an instance of E.
        const asPattern = node.parent?.type === 'as_pattern' ? node.parent : undefined;
        const expr = asPattern ? kids(asPattern)[0] : undefined;
        const target = kids(node);
        const single = expr && target.length === 1 && target[0]?.type === 'identifier';
        let value: Ref | undefined;
        if (single && asPattern?.parent?.type === 'with_item') {
          value = { t: 'call', callee: { t: 'attr', base: refOf(expr, text), name: '__enter__' } };
        } else if (single && (asPattern?.parent?.type === 'except_clause' || asPattern?.parent?.type === 'except_group_clause')) {
          const types = expr.type === 'tuple' || expr.type === 'parenthesized_expression' ? unionOf(kids(expr).map((c) => refOf(c, text))) : refOf(expr, text);
          if (types.t !== 'opaque') value = { t: 'instance', type: types };
        }
        if (value && target[0]) bind(scope, src(target[0]), { kind: 'assign', pos: target[0].start, value }, node);
        else bindTargets(node, scope);
        break;
      }
      case 'return_statement': {
        const info = scope.kind === 'function' && scope.def ? symbols.functions.get(scope.def) : undefined;
        const expr = kids(node)[0];
        if (info && expr && info.returnValues.length < MAX_RETURNS) {
          const ref = refOf(expr, text);
          if (ref.t !== 'opaque' && ref.t !== 'none') info.returnValues.push(ref);
        }
        break;
      }
      case 'delete_statement':
        break;
      default:
        if (COMPREHENSIONS.has(node.type)) {
          enterComprehension(node, scope);
          continue;
        }
    }
    const kidsOf = node.children;
    for (let i = kidsOf.length - 1; i >= 0; i--) {
      const c = kidsOf[i] as PyNode;
      if (!c.named) continue;
      nodes.push(c);
      scopes.push(scope);
    }
  }
  // Reading order of callee names: in `make().run()`, make comes before run.
  calls.sort((a, b) => a.end - b.end || a.start - b.start);
  return symbols;
}
