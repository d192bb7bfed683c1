import type { Definition, Parameter, ParameterKind } from '../types.js';
import { ByteOffsets } from './byte-offsets.js';
import { docstringStatement, extractDocstring, statements } from './docstrings.js';
import { child, endLineOf, type PyNode } from './parser.js';

/** Node types that hold statements, so they may hold definitions (expressions never do). */
export const STATEMENT_CONTAINERS = new Set([
  'module', 'block', 'if_statement', 'elif_clause', 'else_clause', 'try_statement', 'except_clause',
  'except_group_clause', 'finally_clause', 'with_statement', 'for_statement', 'while_statement',
  'match_statement', 'case_clause', 'decorated_definition', 'ERROR',
]);

export interface ExtractedDefinitions {
  definitions: Definition[];
  /** The `function_definition` / `class_definition` node of each definition. */
  byNode: Map<PyNode, Definition>;
}

interface Context {
  qualPrefix: string;
  parent: Definition | null;
  inClass: boolean;
}

/** Finds every function, method and class (nested ones too) with CPython-style qualnames. */
export function extractDefinitions(
  root: PyNode,
  text: string,
  file: string,
  module: string | null,
  bytes = new ByteOffsets(text),
): ExtractedDefinitions {
  const definitions: Definition[] = [];
  const byNode = new Map<PyNode, Definition>();
  const seen = new Map<string, number>();

  const visit = (node: PyNode, ctx: Context): void => {
    for (const c of node.children) {
      if (c.type === 'function_definition' || c.type === 'class_definition') {
        const def = makeDefinition(c, ctx);
        const isClass = c.type === 'class_definition';
        const prefix = isClass ? `${def.qualname}.` : `${def.qualname}.<locals>.`;
        const body = child(c, 'body');
        if (body) visit(body, { qualPrefix: prefix, parent: def, inClass: isClass });
      } else if (STATEMENT_CONTAINERS.has(c.type)) {
        visit(c, ctx);
      }
    }
  };

  const makeDefinition = (node: PyNode, ctx: Context): Definition => {
    const isClass = node.type === 'class_definition';
    const nameNode = child(node, 'name');
    const name = nameNode ? text.slice(nameNode.start, nameNode.end) : '';
    const qualname = ctx.qualPrefix + name;
    const wrapper = node.parent?.type === 'decorated_definition' ? node.parent : null;
    const decorators = wrapper ? wrapper.children.filter((c) => c.type === 'decorator') : [];
    const body = child(node, 'body');
    const bodyStatements = body ? statements(body) : [];
    const docstring = extractDocstring(body, text, bytes);
    const count = (seen.get(`${file}::${qualname}`) ?? 0) + 1;
    seen.set(`${file}::${qualname}`, count);
    const line = node.row + 1;
    const superclasses = isClass ? child(node, 'superclasses') : undefined;
    const def: Definition = {
      id: count === 1 ? `${file}::${qualname}` : `${file}::${qualname}#${count}`,
      file,
      module,
      name,
      qualname,
      kind: isClass ? 'class' : ctx.inClass ? 'method' : 'function',
      isAsync: !isClass && node.children[0]?.type === 'async',
      line,
      anchorLine: decorators[0] ? decorators[0].row + 1 : line,
      endLine: endLineOf(node, text),
      bodyLine: bodyStatements[0] ? bodyStatements[0].row + 1 : line,
      startIndex: (wrapper ?? node).start,
      endIndex: node.end,
      decorators: decorators.map((d) => text.slice(d.start, d.end).replace(/^@\s*/, '')),
      parameters: isClass ? [] : parseParameters(child(node, 'parameters'), text),
      bases: superclasses
        ? superclasses.children.filter((c) => c.named && c.type !== 'comment' && c.type !== 'keyword_argument').map((c) => text.slice(c.start, c.end))
        : [],
      docstring,
      docstringOnly: docstring !== null && bodyStatements.length === 1 && docstringStatement(body) !== null,
      parentId: ctx.parent?.id ?? null,
    };
    definitions.push(def);
    byNode.set(node, def);
    return def;
  };

  visit(root, { qualPrefix: '', parent: null, inClass: false });
  return { definitions, byNode };
}

/** Reads a `parameters` node into names and kinds (`/` and `*` separators switch the kind). */
export function parseParameters(params: PyNode | undefined, text: string): Parameter[] {
  if (!params) return [];
  const out: Parameter[] = [];
  let kind: ParameterKind = 'positional';
  const src = (n: PyNode | undefined): string | undefined => (n ? text.slice(n.start, n.end) : undefined);
  for (const p of params.children) {
    if (!p.named || p.type === 'comment') continue;
    if (p.type === 'positional_separator') {
      for (const prev of out) if (prev.kind === 'positional') prev.kind = 'positional-only';
      continue;
    }
    if (p.type === 'keyword_separator') {
      kind = 'keyword-only';
      continue;
    }
    let target: PyNode = p;
    let annotation: string | undefined;
    let hasDefault = false;
    if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
      hasDefault = true;
      annotation = src(child(p, 'type'));
      target = child(p, 'name') ?? p;
    } else if (p.type === 'typed_parameter') {
      annotation = src(child(p, 'type'));
      target = p.children.find((c) => c.named && c.field !== 'type') ?? p;
    }
    if (target.type === 'list_splat_pattern' || target.type === 'dictionary_splat_pattern') {
      const id = target.children.find((c) => c.type === 'identifier');
      const isVar = target.type === 'list_splat_pattern';
      out.push({ name: src(id) ?? '', kind: isVar ? 'var-positional' : 'var-keyword', hasDefault: false, ...(annotation !== undefined && { annotation }) });
      if (isVar) kind = 'keyword-only';
      continue;
    }
    out.push({ name: src(target) ?? '', kind, hasDefault, ...(annotation !== undefined && { annotation }) });
  }
  return out;
}
