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
    // `Foo | None`: the one side that is not None.
    const sides = namedKids(node).filter((c) => text.slice(c.start, c.end) !== 'None');
    return sides.length === 1 ? annotationRef(sides[0], text) : OPAQUE;
  }
  if (node.type === 'generic_type' || node.type === 'subscript') {
    const head = namedKids(node)[0];
    const headText = head ? text.slice(head.start, head.end) : '';
    if (/(^|\.)Optional$/.test(headText)) {
      const arg = namedKids(node)[1];
      const inner = arg && (arg.type === 'type_parameter' ? namedKids(arg)[0] : arg);
      return annotationRef(inner, text);
    }
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
    default:
      return '?';
  }
}
