import type { Definition, Resolution, ResolutionVia } from '../types.js';
import type { ModuleTable } from './discover.js';
import type { Ref } from './refs.js';
import { liveBindings, type Binding, type ClassInfo, type FileSymbols, type FunctionInfo, type RawCall, type Scope } from './scopes.js';

/** What an expression evaluates to, as far as static analysis can tell. */
type Value =
  | { t: 'function'; def: Definition }
  | { t: 'class'; def: Definition }
  | { t: 'instance'; def: Definition }
  | { t: 'super'; def: Definition; skip: number }
  | { t: 'module'; key: string }
  /** An iterable whose elements are any of `items` (from an annotation such as `List[X]`). */
  | { t: 'seq'; items: Value[] }
  /** A fixed tuple: unpacking position i gives `parts[i]` (`Tuple[A, B]`). */
  | { t: 'tuple'; parts: Value[][] };

/** Where a name lookup ended: bindings in a scope, or a module (a submodule found by attribute). */
type Slot = { bindings: Binding[]; scope: Scope } | { module: string };

const MAX_DEPTH = 24;
const MAX_STEPS = 4000;

/** Resolves call sites to in-repo definitions; conservative: no guess when the evidence is missing. */
export class Resolver {
  private readonly memberCache = new Map<string, Slot[]>();
  private readonly mroCache = new Map<Definition, Definition[]>();
  private readonly classes = new Map<Definition, ClassInfo>();
  private readonly functions = new Map<Definition, FunctionInfo>();
  private readonly returnCache = new Map<Definition, Value[]>();
  private readonly fileOfModuleScope = new Map<Scope, FileSymbols>();
  private readonly bindingCache = new Map<Binding, Value[]>();
  private readonly externalBindings = new Set<Binding>();
  private readonly attrSlots = new Map<ClassInfo, Map<string, Slot[]>>();
  private external = false;
  private depth = 0;
  /** Work done for the current call site: a hard budget keeps pathological code linear. */
  private steps = 0;
  /** How many times a bound cut inference short (results computed meanwhile are not cached). */
  private cuts = 0;

  constructor(
    private readonly modules: ModuleTable,
    private readonly byKey: ReadonlyMap<string, FileSymbols>,
    files: Iterable<FileSymbols>,
  ) {
    for (const fs of files) {
      this.fileOfModuleScope.set(fs.module, fs);
      for (const [def, info] of fs.classes) this.classes.set(def, info);
      for (const [def, info] of fs.functions) this.functions.set(def, info);
    }
  }

  resolveCall(call: RawCall): Resolution {
    this.external = false;
    this.depth = 0;
    this.steps = 0;
    const defs = unique(this.goto(call.ref, call.scope, call.start));
    if (defs.length) return { status: 'resolved', targets: defs, via: this.via(call.ref, call.scope) };
    if (this.external) return { status: 'external', reason: 'builtin, standard library or third-party name' };
    return { status: 'unresolved', reason: call.ref.t === 'opaque' ? 'dynamic callee expression' : 'no in-repo definition found' };
  }

  private via(ref: Ref, scope: Scope): ResolutionVia {
    if (ref.t !== 'attr') return ref.t === 'name' && this.lookup(ref.name, scope).some((s) => 'bindings' in s && s.bindings.some((b) => b.kind === 'from')) ? 'import' : 'scope';
    if (ref.base.t === 'super') return 'super';
    const base = this.infer(ref.base, scope);
    if (base.some((v) => v.t === 'module')) return 'module-attribute';
    if (base.some((v) => v.t === 'class')) return 'class-attribute';
    if (ref.base.t === 'name' && this.lookup(ref.base.name, scope).some((s) => 'bindings' in s && s.bindings.some((b) => b.kind === 'param' && b.selfOf))) return 'self';
    return 'instance';
  }

  /**
   * The definitions a callee denotes (jedi's goto), plus local aliases: in a function, a name
   * whose reaching bindings are plain `name = other` / `name = obj.attr` assignments (and parameters
   * they replace, as in `if cls is None: cls = JSONEncoder`) denotes what `other` denotes.
   * `pos`: where the name is used, for the bindings that reach it in its own scope.
   */
  private goto(ref: Ref, scope: Scope, pos?: number): Definition[] {
    if (ref.t === 'name') return this.gotoSlots(this.lookupAt(ref.name, scope, pos));
    if (ref.t !== 'attr') return [];
    const out: Definition[] = [];
    for (const v of this.infer(ref.base, scope, pos)) out.push(...this.gotoSlots(this.member(v, ref.name)));
    return out;
  }

  /**
   * A lookup at a position: a name of the function the use is in is bound by what reaches the
   * use (`x = x.parent()` reads the earlier x); elsewhere, or without a position, by lookup.
   */
  private lookupAt(name: string, scope: Scope, pos?: number): Slot[] {
    const own = pos !== undefined && scope.kind === 'function' && !scope.globals.has(name) && !scope.nonlocals.has(name)
      ? scope.bindings.get(name) : undefined;
    return own ? [{ bindings: reachingBindings(own, pos as number), scope }] : this.lookup(name, scope);
  }

  private gotoSlots(slots: Slot[]): Definition[] {
    const aliases = this.gotoAliases(slots);
    if (aliases) return aliases;
    const out: Definition[] = [];
    for (const slot of slots) {
      if ('bindings' in slot) for (const b of slot.bindings) out.push(...this.gotoBinding(b));
    }
    return out;
  }

  private gotoBinding(b: Binding): Definition[] {
    if (b.kind === 'def') return [b.def];
    if (b.kind === 'from') {
      if (b.key === null) this.external = true;
      else if (this.enter()) {
        const out = this.gotoSlots(this.moduleMember(b.key, b.name));
        this.depth--;
        return out;
      }
    } else if (b.kind === 'import' && b.key === null) this.external = true;
    return [];
  }

  /**
   * A name assigned in a function (a local, or `self.<name>` in methods), undefined when no such
   * assignment reaches: its aliases (`f = other`, `f = obj.attr`) are followed only when every
   * binding that reaches the use is an alias of something that resolves, a definition or an
   * import, `None`, or a parameter such an alias may replace (`if cls is None: cls =
   * JSONEncoder`). A name also bound to anything else (a call result, a loop target...) is not
   * followed.
   */
  private gotoAliases(slots: Slot[]): Definition[] | undefined {
    if (!slots.some((s) => 'bindings' in s && s.scope.kind === 'function' && s.bindings.some((b) => b.kind === 'assign'))) return undefined;
    const out: Definition[] = [];
    for (const slot of slots) {
      if (!('bindings' in slot)) return undefined;
      for (const b of slot.bindings) {
        // A parameter the alias may replace, or None (calling None is no call of anything).
        if ((b.kind === 'param' && !b.selfOf) || (b.kind === 'assign' && b.value?.t === 'none')) continue;
        let defs: Definition[];
        if (b.kind !== 'assign') defs = this.gotoBinding(b);
        else if (!b.value || (b.value.t !== 'name' && b.value.t !== 'attr') || slot.scope.kind !== 'function' || !this.enter()) return undefined;
        else {
          defs = this.goto(b.value, slot.scope, b.pos);
          this.depth--;
        }
        if (!defs.length) return undefined;
        out.push(...defs);
      }
    }
    return out.length ? out : undefined;
  }

  /** Lexical lookup (LEGB; class bodies are invisible from nested scopes). Empty: a builtin or undefined. */
  private lookup(name: string, scope: Scope): Slot[] {
    let s: Scope | null = scope;
    if (scope.globals.has(name)) while (s?.parent) s = s.parent;
    for (; s; s = s.parent) {
      if (s !== scope && s.kind === 'class') continue;
      if (s === scope && s.nonlocals.has(name)) continue;
      if (s.kind === 'module') {
        const fs = this.fileOfModuleScope.get(s);
        const slots = fs ? this.fileMember(fs, name) : [];
        if (!slots.length) this.external = true;
        return slots;
      }
      const bindings = s.bindings.get(name);
      if (bindings) return [{ bindings: liveBindings(bindings), scope: s }];
    }
    return [];
  }

  private moduleMember(key: string, name: string): Slot[] {
    const cacheKey = `${key}\0${name}`;
    const cached = this.memberCache.get(cacheKey);
    if (cached) return cached;
    this.memberCache.set(cacheKey, []); // Guards import cycles.
    const fs = this.byKey.get(key);
    let slots = fs ? this.fileMember(fs, name) : [];
    if (!slots.length) {
      const sub = this.modules.submodule(key, name);
      if (sub) slots = [{ module: sub }];
    }
    this.memberCache.set(cacheKey, slots);
    return slots;
  }

  /** A module-level name: its bindings, unless a later star import provides it; then star imports. */
  private fileMember(fs: FileSymbols, name: string): Slot[] {
    const bindings = fs.module.bindings.get(name);
    const lastPos = bindings ? Math.max(...bindings.map((b) => b.pos)) : -1;
    for (let i = fs.stars.length - 1; i >= 0; i--) {
      const star = fs.stars[i];
      if (!star || star.pos < lastPos) break;
      if (star.key === null) continue;
      const provided = this.starProvides(star.key, name);
      if (provided.length) return provided;
    }
    return bindings ? [{ bindings: liveBindings(bindings), scope: fs.module }] : [];
  }

  private starProvides(key: string, name: string): Slot[] {
    const fs = this.byKey.get(key);
    if (!fs) return [];
    if (fs.all ? !fs.all.includes(name) : name.startsWith('_')) return [];
    return this.moduleMember(key, name);
  }

  /** Method resolution order over in-repo classes (C3; bases outside the repo are left out). */
  mro(cls: Definition): Definition[] {
    const cached = this.mroCache.get(cls);
    if (cached) return cached;
    this.mroCache.set(cls, [cls]); // Guards inheritance cycles.
    const info = this.classes.get(cls);
    const bases: Definition[] = [];
    for (const b of info?.bases ?? []) {
      for (const v of this.infer(b, info!.outer)) if (v.t === 'class' && v.def !== cls) bases.push(v.def);
    }
    const result = [cls, ...c3(unique(bases).map((b) => this.mro(b)).concat([unique(bases)]))];
    this.mroCache.set(cls, unique(result));
    return unique(result);
  }

  private classMember(mro: Definition[], name: string, instance: boolean): Slot[] {
    for (const c of mro) {
      const info = this.classes.get(c);
      if (!info) continue;
      const bindings = info.scope.bindings.get(name);
      if (bindings) return [{ bindings: liveBindings(bindings), scope: info.scope }];
      const attrs = instance ? this.instanceAttr(info, name) : undefined;
      if (attrs) return attrs;
    }
    return [];
  }

  /** `self.<name> = value` assignments as bindings, built once so inference can cache them. */
  private instanceAttr(info: ClassInfo, name: string): Slot[] | undefined {
    let byName = this.attrSlots.get(info);
    if (!byName) {
      byName = new Map();
      for (const [attr, values] of info.instanceAttrs) {
        byName.set(attr, values.map((a) => ({ bindings: [{ kind: 'assign', pos: 0, value: a.value }], scope: a.scope })));
      }
      this.attrSlots.set(info, byName);
    }
    return byName.get(name);
  }

  private member(v: Value, name: string): Slot[] {
    switch (v.t) {
      case 'module':
        return this.moduleMember(v.key, name);
      case 'class':
        return this.classMember(this.mro(v.def), name, false);
      case 'instance':
        return this.classMember(this.mro(v.def), name, true);
      case 'super':
        return this.classMember(this.mro(v.def).slice(v.skip), name, true);
      default:
        return [];
    }
  }

  private enter(): boolean {
    if (this.depth >= MAX_DEPTH || ++this.steps > MAX_STEPS) {
      this.cuts++;
      return false;
    }
    this.depth++;
    return true;
  }

  /**
   * What a receiver expression evaluates to (jedi's inference: follows assignments and
   * annotations); `pos`, where the expression is (see lookupAt).
   */
  private infer(ref: Ref, scope: Scope, pos?: number): Value[] {
    if (!this.enter()) return [];
    try {
      switch (ref.t) {
        case 'name':
          return this.inferSlots(this.lookupAt(ref.name, scope, pos));
        case 'attr':
          return this.infer(ref.base, scope, pos).flatMap((v) => this.memberValues(v, ref.name));
        case 'call':
          return this.infer(ref.callee, scope, pos).flatMap((v) => this.callResult(v));
        case 'super':
          return this.inferSuper(ref, scope);
        case 'instance':
          return this.annotationValues(ref.type, scope);
        case 'item':
          return this.infer(ref.of, scope, pos).flatMap((v) => {
            if (ref.index === undefined) return v.t === 'seq' ? v.items : [];
            return v.t === 'tuple' ? (v.parts[ref.index] ?? []) : [];
          });
        default:
          return [];
      }
    } finally {
      this.depth--;
    }
  }

  /** What a value of an annotated type is: an instance of the class, a typed iterable or tuple, the class (`Type[X]`). */
  private annotationValues(ref: Ref, scope: Scope): Value[] {
    if (!this.enter()) return [];
    try {
      switch (ref.t) {
        case 'seqOf': {
          const items = this.annotationValues(ref.item, scope);
          return items.length ? [{ t: 'seq', items }] : [];
        }
        case 'tupleOf': {
          const parts = ref.items.map((r) => this.annotationValues(r, scope));
          return parts.some((p) => p.length) ? [{ t: 'tuple', parts }] : [];
        }
        case 'typeOf':
          return this.infer(ref.cls, scope).filter((v) => v.t === 'class');
        case 'unionOf':
          return ref.items.flatMap((r) => this.annotationValues(r, scope));
        default:
          return this.infer(ref, scope).flatMap((v) => (v.t === 'class' ? [{ t: 'instance', def: v.def } as Value] : []));
      }
    } finally {
      this.depth--;
    }
  }

  /** What calling a value gives: an instance for a class; for a function, its annotation or returns. */
  private callResult(v: Value): Value[] {
    if (v.t === 'class') return [{ t: 'instance', def: v.def }];
    if (v.t !== 'function') return [];
    const cached = this.returnCache.get(v.def);
    if (cached) return cached;
    this.returnCache.set(v.def, []); // Guards recursion.
    const cuts = this.cuts;
    const fn = this.functions.get(v.def);
    let out: Value[] = [];
    if (fn?.returns && fn.scope.parent) {
      out = this.annotationValues(fn.returns, fn.scope.parent);
    } else if (fn) {
      out = fn.returnValues.flatMap((r) => this.infer(r, fn.scope));
    }
    out = uniqueValues(out);
    // Only complete answers are cached: a cut-off must not be remembered as "nothing".
    if (this.cuts === cuts) this.returnCache.set(v.def, out);
    else this.returnCache.delete(v.def);
    return out;
  }

  /** Attribute values: a property read on an instance is its getter's return value. */
  private memberValues(v: Value, name: string): Value[] {
    const values = this.inferSlots(this.member(v, name));
    if (v.t !== 'instance' && v.t !== 'super') return values;
    return values.flatMap((m) => (m.t === 'function' && m.def.decorators.some((d) => /(^|\.)(cached_)?property$/.test(d)) ? this.callResult(m) : [m]));
  }

  private inferSuper(ref: Extract<Ref, { t: 'super' }>, scope: Scope): Value[] {
    if (ref.cls) {
      return this.infer(ref.cls, scope).flatMap((v) => (v.t === 'class' ? [{ t: 'super', def: v.def, skip: 1 } as Value] : []));
    }
    // Zero-argument super() works in a method body (also inside its comprehensions and lambdas).
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (s.kind === 'function') {
        return s.parent?.kind === 'class' && s.parent.def ? [{ t: 'super', def: s.parent.def, skip: 1 }] : [];
      }
    }
    return [];
  }

  private inferSlots(slots: Slot[]): Value[] {
    // Import chains can loop (a imports x from b, b from a): the depth bound stops them.
    if (!this.enter()) return [];
    const out: Value[] = [];
    for (const slot of slots) {
      if (!('bindings' in slot)) {
        out.push({ t: 'module', key: slot.module });
        continue;
      }
      for (const b of slot.bindings) out.push(...this.inferBinding(b, slot.scope));
    }
    this.depth--;
    return out;
  }

  /** Cached per binding (a binding's value does not depend on where it is used). */
  private inferBinding(b: Binding, scope: Scope): Value[] {
    const cached = this.bindingCache.get(b);
    if (cached) {
      // The cache also remembers that the value leaves the repository (for the call's status).
      if (this.externalBindings.has(b)) this.external = true;
      return cached;
    }
    this.bindingCache.set(b, []); // A binding that depends on itself (x = x.next()) adds nothing.
    const cuts = this.cuts;
    const external = this.external;
    this.external = false;
    const out = uniqueValues(this.inferBindingUncached(b, scope));
    // A result cut short by the depth or step bound is not remembered.
    if (this.cuts === cuts) {
      this.bindingCache.set(b, out);
      if (this.external) this.externalBindings.add(b);
    } else this.bindingCache.delete(b);
    this.external ||= external;
    return out;
  }

  private inferBindingUncached(b: Binding, scope: Scope): Value[] {
    switch (b.kind) {
      case 'def':
        return [b.def.kind === 'class' ? { t: 'class', def: b.def } : { t: 'function', def: b.def }];
      case 'import':
        if (!b.key) this.external = true;
        return b.key ? [{ t: 'module', key: b.key }] : [];
      case 'from':
        if (!b.key) this.external = true;
        return b.key ? this.inferSlots(this.moduleMember(b.key, b.name)) : [];
      case 'param':
        if (b.selfOf) return [{ t: b.isClass ? 'class' : 'instance', def: b.selfOf }];
        if (b.annotation && scope.parent) return this.annotationValues(b.annotation, scope.parent);
        // Like jedi, an unannotated parameter may hold its default (evaluated around the def).
        return b.default && scope.parent ? this.infer(b.default, scope.parent) : [];
      case 'assign':
        // Evaluated where the assignment is (a binding's value is cached: its position is fixed).
        return b.value ? this.infer(b.value, scope, b.pos) : [];
    }
  }
}

/**
 * The bindings of a name in its own scope that can reach a use at `pos`: from the last
 * unconditional one before it on (flow inside branches is not modelled). None before it (a loop
 * carries it over, or the use is in a nested scope that runs later): every live binding.
 */
function reachingBindings(bindings: Binding[], pos: number): Binding[] {
  const before = bindings.filter((b) => b.pos < pos);
  if (!before.length) return liveBindings(bindings);
  return liveBindings(before);
}

function valueKey(v: Value): string {
  switch (v.t) {
    case 'module':
      return `m:${v.key}`;
    case 'seq':
      return `seq[${v.items.map(valueKey).join('|')}]`;
    case 'tuple':
      return `tuple[${v.parts.map((p) => p.map(valueKey).join('|')).join(',')}]`;
    default:
      return `${v.t}:${v.def.id}`;
  }
}

function uniqueValues(values: Value[]): Value[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = valueKey(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** C3 linearization merge; on an inconsistent hierarchy it falls back to depth-first order. */
function c3(seqs: Definition[][]): Definition[] {
  const lists = seqs.map((s) => [...s]).filter((s) => s.length);
  const out: Definition[] = [];
  while (lists.some((l) => l.length)) {
    const head = lists.map((l) => l[0]).find((h) => h && !lists.some((l) => l.indexOf(h) > 0));
    if (!head) return unique([...out, ...seqs.flat()]);
    out.push(head);
    for (const l of lists) if (l[0] === head) l.shift();
  }
  return out;
}
