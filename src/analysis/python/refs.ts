import type { PyNode } from './parser.js';

/** A callee or receiver expression reduced to what static resolution can follow. */
export type Ref =
  | { t: 'name'; name: string }
  | { t: 'attr'; base: Ref; name: string }
  /** `super()` or `super(Cls, self)`; `cls` is the explicit first argument. */
  | { t: 'super'; cls?: Ref }
  /** The value returned by calling `callee` (an instance when `callee` is a class). */
  | { t: 'call'; callee: Ref }
  /** An instance of the class `type` names (from an annotation). */
  | { t: 'instance'; type: Ref }
  /** An element of the iterable `of` (a `for` target), or with `index` its unpacked position. */
  | { t: 'item'; of: Ref; index?: number }
  /** Annotations only: an iterable of `item` (`List[X]`, `Iterator[X]`, `Tuple[X, ...]`...). */
  | { t: 'seqOf'; item: Ref }
  /** Annotations only: a fixed tuple (`Tuple[A, B]`). */
  | { t: 'tupleOf'; items: Ref[] }
  /** Annotations only: any of `items` (`Union[A, B]`, `A | B`, `except (A, B)`). */
  | { t: 'unionOf'; items: Ref[] }
  /** Annotations only: the class itself (`Type[X]`). */
  | { t: 'typeOf'; cls: Ref }
  /** `None` (an alias of nothing: `f = None` before `if ...: f = helper`). */
  | { t: 'none' }
  /** Anything else (subscripts, literals, operators): not followed. */
  | { t: 'opaque' };

const OPAQUE: Ref = { t: 'opaque' };

function namedKids(node: PyNode): PyNode[] {
  return node.children.filter((c) => c.named && c.type !== 'comment');
}

/** Reduces an expression node to a Ref (anything else is opaque). */
export function refOf(node: PyNode | undefined, text: string): Ref {
  if (!node) return OPAQUE;
  switch (node.type) {
    case 'identifier':
      return { t: 'name', name: text.slice(node.start, node.end) };
    case 'none':
      return { t: 'none' };
    case 'attribute': {
      const obj = node.children.find((c) => c.field === 'object');
      const attr = node.children.find((c) => c.field === 'attribute');
      if (!obj || !attr) return OPAQUE;
      return { t: 'attr', base: refOf(obj, text), name: text.slice(attr.start, attr.end) };
    }
    case 'parenthesized_expression': {
      const inner = namedKids(node);
      return inner.length === 1 ? refOf(inner[0], text) : OPAQUE;
    }
    case 'call': {
      const fn = node.children.find((c) => c.field === 'function');
      if (fn?.type === 'identifier' && text.slice(fn.start, fn.end) === 'super') {
        const args = node.children.find((c) => c.field === 'arguments');
        const first = args ? namedKids(args)[0] : undefined;
        return first ? { t: 'super', cls: refOf(first, text) } : { t: 'super' };
      }
      return { t: 'call', callee: refOf(fn, text) };
    }
    default:
      return OPAQUE;
  }
}

/** Annotation heads whose one argument is what iterating gives (typing's names and the builtins). */
const SEQUENCES = new Set([
  'List', 'list', 'Sequence', 'MutableSequence', 'Iterable', 'Iterator', 'Collection', 'Set', 'set', 'FrozenSet',
  'frozenset', 'AbstractSet', 'MutableSet', 'Deque', 'deque', 'KeysView', 'Reversible',
]);
const ITERATORS = new Set(['Generator', 'AsyncGenerator', 'AsyncIterator', 'AsyncIterable']);

/** The alternatives that name something (None and unknown parts dropped); one alone is itself. */
export function unionOf(refs: Ref[]): Ref {
  const items = refs.filter((r) => r.t !== 'opaque' && r.t !== 'none' && !(r.t === 'name' && r.name === 'None'));
  if (items.length <= 1) return items[0] ?? OPAQUE;
  return { t: 'unionOf', items };
}

function seqOf(item: Ref): Ref {
  return item.t === 'opaque' ? OPAQUE : { t: 'seqOf', item };
}

/** A type annotation reduced to the class it names: `Foo`, `mod.Foo`, `"Foo"`, `Optional[Foo]`, `Foo | None`. */
export function annotationRef(node: PyNode | undefined, text: string): Ref {
  if (!node) return OPAQUE;
  if (node.type === 'type') return annotationRef(namedKids(node)[0], text);
  if (node.type === 'identifier' || node.type === 'attribute') return refOf(node, text);
  if (node.type === 'string') {
    const inner = text.slice(node.start, node.end).replace(/^[rRuU]?(['"])(.*)\1$/s, '$2').trim();
    if (!/^[A-Za-z_][\w.]*$/.test(inner)) return OPAQUE;
    const parts = inner.split('.');
    let ref: Ref = { t: 'name', name: parts[0] ?? '' };
    for (const p of parts.slice(1)) ref = { t: 'attr', base: ref, name: p };
    return ref;
  }
  if (node.type === 'binary_operator') {
    // `Foo | None`: the sides that are not None.
    const [left, right] = namedKids(node);
    if (!left || !right || text.slice(left.end, right.start).trim() !== '|') return OPAQUE;
    return unionOf([annotationRef(left, text), annotationRef(right, text)]);
  }
  if (node.type === 'generic_type' || node.type === 'subscript') {
    const head = namedKids(node)[0];
    const headText = head ? text.slice(head.start, head.end) : '';
    // `X[a, b]`: a generic_type holds a type_parameter of types; a subscript holds them directly.
    const rest = namedKids(node).slice(1);
    const args = rest.length === 1 && rest[0]?.type === 'type_parameter' ? namedKids(rest[0]) : rest;
    const last = headText.split('.').pop() ?? '';
    if (last === 'Optional') return annotationRef(args[0], text);
    if (last === 'Union') return unionOf(args.map((a) => annotationRef(a, text)));
    if (SEQUENCES.has(last) && args.length === 1) return seqOf(annotationRef(args[0], text));
    if ((last === 'Tuple' || last === 'tuple') && args.length) {
      if (args.length === 2 && args[1] && text.slice(args[1].start, args[1].end) === '...') return seqOf(annotationRef(args[0], text));
      return { t: 'tupleOf', items: args.map((a) => annotationRef(a, text)) };
    }
    if ((last === 'Type' || last === 'type') && args.length === 1) {
      const cls = annotationRef(args[0], text);
      return cls.t === 'opaque' ? OPAQUE : { t: 'typeOf', cls };
    }
    // Generators and async iterators yield their first argument.
    if (ITERATORS.has(last) && args.length >= 1) return seqOf(annotationRef(args[0], text));
  }
  return OPAQUE;
}

export function refText(ref: Ref): string {
  switch (ref.t) {
    case 'name':
      return ref.name;
    case 'attr':
      return `${refText(ref.base)}.${ref.name}`;
    case 'super':
      return 'super()';
    case 'call':
      return `${refText(ref.callee)}()`;
    case 'instance':
      return `<${refText(ref.type)}>`;
    case 'item':
      return `${refText(ref.of)}[${ref.index ?? '*'}]`;
    case 'seqOf':
      return `Iterable[${refText(ref.item)}]`;
    case 'tupleOf':
      return `Tuple[${ref.items.map(refText).join(', ')}]`;
    case 'typeOf':
      return `Type[${refText(ref.cls)}]`;
    case 'none':
      return 'None';
    case 'unionOf':
      return `Union[${ref.items.map(refText).join(', ')}]`;
    default:
      return '?';
  }
}
