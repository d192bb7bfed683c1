"""Reference callee sets from jedi, for bench/analysis-vs-jedi.ts.

Usage: /usr/bin/python3 bench/jedi-callees.py REQUEST.json > RESULT.json
REQUEST: {"root": "/abs/repo", "functions": [{"id", "file", "line"}]}
RESULT:  {"results": {id: [[file, line] | ["@stub", full_name] | [file, line, "alias"] | ["@stub", full_name, "alias"], ...]},
          "seconds": float, "cpuSeconds": float, "calls": int, "errors": int}

Call sites are found independently of hybrid-gym, with parso (jedi's parser): every call `f(...)`
in the definition (decorators, signature, body, nested functions, lambdas, comprehensions), bare
decorators `@f`, and `raise E` without parentheses. Each callee's last name goes through
`Script.goto(follow_imports=True)`; results inside the repository are kept as (file, line) pairs.
jedi's bundled stubs of the repository's own packages are hidden (see hide_bundled_stubs).

Local aliases: where goto stops at an assignment inside a function, `name = other` or
`self.name = obj.attr` (a plain or dotted name on the right), the right-hand side's last name goes
through goto too, and what it finds is tagged "alias" (up to MAX_ALIAS_HOPS hops). hybrid-gym
follows such aliases (`if cls is None: cls = JSONEncoder; cls()` calls JSONEncoder); jedi's goto
alone never does. The bench reports agreement with and without them.
"""
import json
import os
import sys
import time

import jedi
import parso
from parso.tree import search_ancestor

MAX_ALIAS_HOPS = 4


def callee_leaves(node):
    """Name leaves of everything the definition calls, in source order."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t == 'trailer' and n.children[0].type == 'operator' and n.children[0].value == '(':
            prev = n.get_previous_sibling()
            if prev is not None:
                if prev.type == 'name':
                    out.append(prev)
                elif prev.type == 'trailer' and prev.children[0].value == '.':
                    out.append(prev.children[1])
        elif t == 'decorator':
            expr = n.children[1]
            if expr.type == 'name':
                out.append(expr)
            elif expr.type in ('atom_expr', 'power') and expr.children[-1].type == 'trailer' and expr.children[-1].children[0].value == '.':
                out.append(expr.children[-1].children[1])
        elif t == 'raise_stmt' and len(n.children) > 1:
            exc = n.children[1]
            if exc.type == 'name':
                out.append(exc)
            elif exc.type in ('atom_expr', 'power') and exc.children[-1].type == 'trailer' and exc.children[-1].children[0].value == '.':
                out.append(exc.children[-1].children[1])
        if hasattr(n, 'children'):
            stack.extend(reversed(n.children))
    out.sort(key=lambda leaf: leaf.start_pos)
    return out


def is_dotted(node):
    """A plain name or `a.b.c` (names and attribute trailers only)."""
    if node.type == 'name':
        return True
    if node.type not in ('atom_expr', 'power') or node.children[0].type != 'name':
        return False
    return all(c.type == 'trailer' and c.children[0].value == '.' for c in node.children[1:])


def alias_source(name):
    """For a goto answer that is a function-local `target = dotted` assignment: the right side's last leaf."""
    tree_name = getattr(name._name, 'tree_name', None)
    if name.type != 'statement' or tree_name is None:
        return None
    stmt = tree_name.get_definition()
    if stmt is None or stmt.type != 'expr_stmt' or len(stmt.children) != 3 or stmt.children[1].type != 'operator' \
            or stmt.children[1].value != '=':
        return None
    target, value = stmt.children[0], stmt.children[2]
    if not (target.type == 'name' or (is_dotted(target) and len(target.children) == 2)) or not is_dotted(value):
        return None
    scope = search_ancestor(stmt, 'funcdef', 'classdef', 'lambdef')
    if scope is None or scope.type != 'funcdef':
        return None
    return value.get_last_leaf()


def find_definitions(module):
    """(def line) -> the decorated node (or the def itself) for every funcdef/classdef."""
    found = {}
    stack = [module]
    while stack:
        n = stack.pop()
        if n.type in ('funcdef', 'classdef'):
            outer = n
            if outer.parent is not None and outer.parent.type in ('async_stmt', 'async_funcdef'):
                outer = outer.parent
            if outer.parent is not None and outer.parent.type == 'decorated':
                outer = outer.parent
            found[n.children[1].start_pos[0]] = outer
        if hasattr(n, 'children'):
            stack.extend(n.children)
    return found


def hide_bundled_stubs(names):
    """Makes jedi read the repository's source for `names` instead of the typeshed stubs it ships.

    jedi 0.18 bundles stubs of some third-party packages (click, jinja2, requests), written for
    older versions; for those packages goto and inference answer from the stub, which can be stale
    (jinja2 2.x's `Token` is a plain tuple there, without `test`/`test_any`). The bench measures
    resolution in the repository, so its own packages are taken out of jedi's stub map.
    """
    from jedi.inference.gradual import typeshed
    original = typeshed._cache_stub_file_map

    def without_repo_packages(version_info):
        return {k: v for k, v in original(version_info).items() if k not in names}

    typeshed._cache_stub_file_map = without_repo_packages


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    root = os.path.realpath(request['root'])
    hide_bundled_stubs({n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)) or n.endswith('.py')}
                       | {n[:-3] for n in os.listdir(root) if n.endswith('.py')})
    # The repository first; no site/dist-packages, so installed copies cannot stand in for it.
    sys_path = [root] + [p for p in sys.path if p and 'packages' not in p and os.path.isdir(p)]
    project = jedi.Project(root, sys_path=sys_path, smart_sys_path=False)
    env = jedi.InterpreterEnvironment()
    by_file = {}
    for fn in request['functions']:
        by_file.setdefault(fn['file'], []).append(fn)
    results = {}
    calls = 0
    errors = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for rel, fns in sorted(by_file.items()):
        path = os.path.join(root, rel)
        with open(path, encoding='utf-8', errors='surrogateescape') as f:
            code = f.read()
        defs = find_definitions(parso.parse(code))
        for fn in fns:
            # A fresh Script per function: jedi caps inference work per Script (about 200 function
            # executions), so one Script for a whole file silently stops resolving later calls.
            script = jedi.Script(code, path=path, project=project, environment=env)
            node = defs.get(fn['line'])
            targets = []
            if node is not None:
                for leaf in callee_leaves(node):
                    calls += 1
                    try:
                        names = script.goto(leaf.start_pos[0], leaf.start_pos[1], follow_imports=True)
                    except Exception:  # jedi bugs must not stop the reference run
                        errors += 1
                        continue
                    # (name, tag): goto's own answers, then what function-local aliases stand for.
                    todo = [(n, []) for n in names]
                    hops = 0
                    while todo:
                        name, tag = todo.pop(0)
                        mp = name.module_path
                        if mp is None or name.line is None:
                            continue
                        mp = os.path.realpath(str(mp))
                        if mp.startswith(root + os.sep) and mp.endswith('.py'):
                            # Answers are matched to definitions by line: a parameter or assignment
                            # on a def's line (`def deco(f): ... f()`) is no call of that def.
                            if name.type not in ('param', 'statement'):
                                targets.append([os.path.relpath(mp, root).replace(os.sep, '/'), name.line] + tag)
                            source = alias_source(name) if hops < MAX_ALIAS_HOPS else None
                            if source is not None:
                                hops += 1
                                try:
                                    there = script if mp == os.path.realpath(path) else jedi.Script(
                                        path=mp, project=project, environment=env)
                                    followed = there.goto(source.start_pos[0], source.start_pos[1], follow_imports=True)
                                except Exception:
                                    errors += 1
                                    followed = []
                                todo.extend((n, ['alias']) for n in followed)
                        elif mp.endswith('.pyi') and name.full_name and name.type in ('function', 'class'):
                            # jedi ships typeshed stubs of some packages (click, jinja2, requests) and
                            # may answer with the stub instead of the repository's source.
                            targets.append(['@stub', name.full_name] + tag)
            results[fn['id']] = targets
    json.dump({'results': results, 'seconds': time.perf_counter() - started, 'cpuSeconds': time.process_time() - cpu_started,
               'calls': calls, 'errors': errors}, sys.stdout)


if __name__ == '__main__':
    main()
