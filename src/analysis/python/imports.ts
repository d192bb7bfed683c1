import type { ModuleTable } from './discover.js';
import type { PyNode } from './parser.js';
import { bind, type FileSymbols, type Scope } from './scopes.js';

const kids = (n: PyNode): PyNode[] => n.children.filter((c) => c.named && c.type !== 'comment');

/** The dotted text of a `dotted_name` (whitespace and comments inside are dropped). */
function dotted(node: PyNode, text: string): string {
  return node.children.filter((c) => c.type === 'identifier').map((c) => text.slice(c.start, c.end)).join('.');
}

/** Binds the names an import statement introduces into `scope` (star imports go to the file's list). */
export function bindImport(node: PyNode, text: string, scope: Scope, symbols: FileSymbols, modules: ModuleTable): void {
  if (node.type === 'future_import_statement') return;
  if (node.type === 'import_statement') {
    for (const item of kids(node)) {
      if (item.type === 'aliased_import') {
        const name = item.children.find((c) => c.field === 'name');
        const alias = item.children.find((c) => c.field === 'alias');
        if (!name || !alias) continue;
        const full = dotted(name, text);
        bind(scope, text.slice(alias.start, alias.end), {
          kind: 'import', pos: item.start, key: modules.resolve(symbols.file, 0, full), dotted: full,
        }, node);
      } else if (item.type === 'dotted_name') {
        // `import a.b.c` binds only `a`; the rest is reached as attributes.
        const top = dotted(item, text).split('.')[0] ?? '';
        bind(scope, top, { kind: 'import', pos: item.start, key: modules.resolve(symbols.file, 0, top), dotted: top }, node);
      }
    }
    return;
  }
  // from ... import ...
  const moduleNode = node.children.find((c) => c.field === 'module_name');
  if (!moduleNode) return;
  let level = 0;
  let name = '';
  if (moduleNode.type === 'relative_import') {
    const prefix = moduleNode.children.find((c) => c.type === 'import_prefix');
    level = prefix ? prefix.end - prefix.start - (text.slice(prefix.start, prefix.end).match(/\s/g)?.length ?? 0) : 0;
    const rest = moduleNode.children.find((c) => c.type === 'dotted_name');
    name = rest ? dotted(rest, text) : '';
  } else {
    name = dotted(moduleNode, text);
  }
  const key = modules.resolve(symbols.file, level, name);
  if (node.children.some((c) => c.type === 'wildcard_import')) {
    symbols.stars.push({ pos: node.start, key });
    return;
  }
  for (const item of node.children.filter((c) => c.field === 'name')) {
    const nameNode = item.type === 'aliased_import' ? item.children.find((c) => c.field === 'name') : item;
    const alias = item.type === 'aliased_import' ? item.children.find((c) => c.field === 'alias') : undefined;
    if (!nameNode) continue;
    const imported = dotted(nameNode, text);
    const local = alias ? text.slice(alias.start, alias.end) : imported;
    bind(scope, local, { kind: 'from', pos: item.start, key, name: imported }, node);
  }
}

/** Reads `__all__ = [...]` / `(...)` of string literals; null when anything else is in it. */
export function readAll(node: PyNode | undefined, text: string): string[] | null {
  if (!node || !['list', 'tuple', 'parenthesized_expression'].includes(node.type)) return null;
  const names: string[] = [];
  for (const item of kids(node)) {
    if (item.type !== 'string') return null;
    const m = /^[uUrR]?(['"])([A-Za-z_][\w]*)\1$/.exec(text.slice(item.start, item.end));
    if (!m || !m[2]) return null;
    names.push(m[2]);
  }
  return names;
}
