"""Reference callee sets from jedi, for bench/analysis-vs-jedi.ts.

Usage: /usr/bin/python3 bench/jedi-callees.py REQUEST.json > RESULT.json
REQUEST: {"root": "/abs/repo", "functions": [{"id", "file", "line"}]}
RESULT:  {"results": {id: [[file, line] | ["@stub", full_name], ...]}, "seconds": float, "cpuSeconds": float, "calls": int, "errors": int}

Call sites are found independently of hybrid-gym, with parso (jedi's parser): every call `f(...)`
in the definition (decorators, signature, body, nested functions, lambdas, comprehensions), bare
decorators `@f`, and `raise E` without parentheses. Each callee's last name goes through
`Script.goto(follow_imports=True)`; results inside the repository are kept as (file, line) pairs.
"""
import json
import os
import sys
import time

import jedi
import parso


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


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    root = os.path.realpath(request['root'])
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
                    for name in names:
                        mp = name.module_path
                        if mp is None or name.line is None:
                            continue
                        mp = os.path.realpath(str(mp))
                        if mp.startswith(root + os.sep) and mp.endswith('.py'):
                            targets.append([os.path.relpath(mp, root).replace(os.sep, '/'), name.line])
                        elif mp.endswith('.pyi') and name.full_name and name.type in ('function', 'class'):
                            # jedi ships typeshed stubs of some packages (click, jinja2, requests) and
                            # may answer with the stub instead of the repository's source.
                            targets.append(['@stub', name.full_name])
            results[fn['id']] = targets
    json.dump({'results': results, 'seconds': time.perf_counter() - started, 'cpuSeconds': time.process_time() - cpu_started,
               'calls': calls, 'errors': errors}, sys.stdout)


if __name__ == '__main__':
    main()
