import { STATEMENT_CONTAINERS } from '../../analysis/python/definitions.js';
import { child, type PyNode } from '../../analysis/python/parser.js';

// What names mean in a Python body and its file: imports, top-level bindings, locals.

/** A file's top-level names: an import's dotted target, or null for a def, class or assignment. */
export type Bindings = Map<string, string | null>;

export function moduleBindings(parsed: { root: PyNode; text: string }): Bindings {
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

export interface ImportBinding {
  local: string;
  /** The dotted name the local name refers to. */
  target: string;
  /** Every dotted name the statement imports (for the import itself to be checked). */
  imported: string;
}

export function importBindings(n: PyNode, text: string): ImportBinding[] {
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
export function assignedNames(stmt: PyNode, text: string): string[] {
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
export function localNames(nodes: readonly PyNode[], text: string): Set<string> {
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
