import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { callSites, callees, indexRepo, type AnalyzedRepo } from '../../../src/analysis/index.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/analysis/calls');

let index: AnalyzedRepo;
beforeAll(async () => {
  index = await indexRepo(REPO);
});

/** The callee ids of a definition, written by hand in the tests below. */
function calleeIds(file: string, qualname: string): string[] {
  const def = index.find(file, qualname);
  if (!def) throw new Error(`no ${qualname} in ${file}`);
  return callees(index, def).map((d) => d.id);
}

describe('module layout', () => {
  it('names modules from the package layout', () => {
    expect([...index.modules.keys()]).toEqual([
      'pkg', 'pkg._native', 'pkg.client', 'pkg.compat', 'pkg.core', 'pkg.errors', 'pkg.noall', 'pkg.sub', 'pkg.sub.deep', 'pkg.util',
    ]);
    expect(index.modules.get('pkg.sub')).toBe('pkg/sub/__init__.py');
    expect(index.file('pkg/sub/__init__.py')?.isPackage).toBe(true);
  });
});

describe('callees', () => {
  it('resolves self, class attributes, instance attributes, imports, modules, builtins shadowed, raise', () => {
    expect(calleeIds('pkg/core.py', 'Engine.run')).toEqual([
      'pkg/core.py::Base.greet', // self.greet() through the in-repo base class
      'pkg/core.py::Base.static_thing', // Base.static_thing()
      'pkg/core.py::Store.save', // self.store = Store() in __init__, then self.store.save()
      'pkg/core.py::helper',
      'pkg/util.py::helper', // u.helper() and pkg.util.helper()
      'pkg/sub/deep.py::deep_fn', // re-exported by pkg/sub/__init__.py; also deepmod.deep_fn()
      'pkg/core.py::len', // the module's own len shadows the builtin
      'pkg/errors.py::MyError', // raise MyError(...) and bare raise MyError
    ]);
  });

  it('counts defaults of the signature, instantiation, and leaves object.__init__ out', () => {
    expect(calleeIds('pkg/core.py', 'Engine.__init__')).toEqual(['pkg/core.py::helper', 'pkg/core.py::Store']);
  });

  it('includes calls in nested functions, comprehensions and lambdas', () => {
    expect(calleeIds('pkg/core.py', 'Engine.run_nested')).toEqual([
      'pkg/core.py::helper', // inside the nested def
      'pkg/core.py::Store', // inside the comprehension
      'pkg/core.py::Base.create', // Engine.create() inside the lambda: inherited classmethod
      'pkg/core.py::Engine.run_nested.<locals>.inner',
    ]);
  });

  it('resolves super() to the next class in the MRO and self to the enclosing class', () => {
    expect(calleeIds('pkg/core.py', 'Engine.describe')).toEqual(['pkg/core.py::Base.name', 'pkg/core.py::Engine.name']);
    // Like jedi, self in Base is a Base: the override in Engine is not a static callee.
    expect(calleeIds('pkg/core.py', 'Base.greet')).toEqual(['pkg/core.py::Base.name']);
  });

  it('does not resolve unknown parameters, cls(), or a local that shadows a global', () => {
    expect(calleeIds('pkg/core.py', 'run')).toEqual([]);
    expect(calleeIds('pkg/core.py', 'Base.create')).toEqual([]);
    expect(calleeIds('pkg/core.py', 'shadow')).toEqual([]);
    expect(calleeIds('pkg/core.py', 'uses_len')).toEqual(['pkg/core.py::len']);
  });

  it('follows local aliases of in-repo classes and functions that reach the call', () => {
    // if cls is None: cls = Store; cls(). Also a bound method, a module attribute, an alias of an
    // alias, and k = None; if flag: k = helper.
    expect(calleeIds('pkg/core.py', 'aliases')).toEqual([
      'pkg/core.py::Store', 'pkg/core.py::Store.save', 'pkg/util.py::helper', 'pkg/core.py::helper',
    ]);
    // Each call sees the binding before it; a name also bound to a call result, a loop target and
    // an alias of an external name are not followed; a nested function sees the last binding.
    expect(calleeIds('pkg/core.py', 'aliases_rebound')).toEqual([
      'pkg/core.py::helper', 'pkg/core.py::Session', 'pkg/core.py::len', 'pkg/core.py::make_store',
    ]);
    const def = index.find('pkg/core.py', 'aliases_rebound');
    if (!def) throw new Error('aliases_rebound not found');
    const sites = callSites(index, def).map((s) => [s.callee, s.resolution.status]);
    expect(sites.filter(([c]) => c === 'g' || c === 'k' || c === 'j')).toEqual([['g', 'unresolved'], ['k', 'unresolved'], ['j', 'external']]);
  });

  it('evaluates an assignment where it is: x = x.m() reads the earlier x', () => {
    expect(calleeIds('pkg/core.py', 'rebinds')).toEqual(['pkg/core.py::Store.clone', 'pkg/core.py::Store.save']);
  });

  it('types for targets, comprehension targets and unpacked tuples from annotations', () => {
    expect(calleeIds('pkg/core.py', 'Registry.use')).toEqual([
      'pkg/core.py::Store.save', // for s in self.stores (List[Store]); also [x.save() for x in ...] and Type[Store]()
      'pkg/core.py::Registry.pairs',
      'pkg/core.py::Session.close', // for name, sess in Iterator[Tuple[str, Session]]
      'pkg/core.py::Registry.first', // store, sess2 = Tuple[Store, Session]
    ]);
    const def = index.find('pkg/core.py', 'Registry.use');
    if (!def) throw new Error('Registry.use not found');
    expect(callSites(index, def).find((s) => s.callee === 'last.close')?.resolution.status).toBe('unresolved');
  });

  it('types unions (Union[...], A | B), except-as targets and exception tuples', () => {
    expect(calleeIds('pkg/core.py', 'Registry.handles')).toEqual([
      'pkg/core.py::Registry.either',
      'pkg/core.py::Store.save', // Union[Store, Session, None]: only Store has save; also maybe: Store | None
      'pkg/errors.py::MyError.describe', // except MyError as e; except (KeyError, MyError) as e2
      'pkg/core.py::Session.close', // pair: Session | Store
    ]);
  });

  it('follows re-exports, star imports with __all__, aliases, try/except ImportError and local imports', () => {
    expect(calleeIds('pkg/client.py', 'main')).toEqual([
      'pkg/core.py::Engine',
      'pkg/core.py::Engine.run', // e = Engine(); e.run()
      'pkg/core.py::run', // run_engine is `run as run_engine` in pkg/__init__.py
      'pkg/util.py::helper', // from pkg import helper: pkg's `from .util import *` exports it (__all__)
      'pkg/_native.py::fast', // the except-ImportError alternative (the C extension is not in the repo)
      'pkg/noall.py::pub', // star import without __all__: public names only
      'pkg/util.py::Tool',
    ]);
    expect(calleeIds('pkg/client.py', 'amain')).toEqual(['pkg/client.py::main']);
    expect(calleeIds('pkg/client.py', 'local_import')).toEqual(['pkg/sub/deep.py::deep_fn']);
  });

  it('treats a bare decorator as a call of the decorator', () => {
    expect(calleeIds('pkg/client.py', 'decorated')).toEqual(['pkg/client.py::main']);
  });

  it('types with-targets through __enter__, annotations, return annotations and return values', () => {
    expect(calleeIds('pkg/client.py', 'with_context')).toEqual(['pkg/core.py::Session', 'pkg/core.py::Session.close', 'pkg/core.py::Engine']);
    expect(calleeIds('pkg/client.py', 'annotated')).toEqual(['pkg/core.py::Engine.name', 'pkg/core.py::Engine.describe']);
    expect(calleeIds('pkg/client.py', 'chained')).toEqual([
      'pkg/client.py::returns_engine', 'pkg/core.py::Engine.run', 'pkg/client.py::make', 'pkg/core.py::Engine.describe',
    ]);
  });
});

describe('callSites', () => {
  it('reports each call with its line, kind and resolution status', () => {
    const def = index.find('pkg/client.py', 'main');
    if (!def) throw new Error('main not found');
    const sites = callSites(index, def).map((s) => [s.line, s.callee, s.kind, s.resolution.status]);
    expect(sites).toEqual([
      [11, 'Engine', 'call', 'resolved'],
      [12, 'e.run', 'call', 'resolved'],
      [13, 'run_engine', 'call', 'resolved'],
      [14, 'helper', 'call', 'resolved'],
      [15, 'not_exported', 'call', 'unresolved'], // __all__ of pkg.util leaves it out
      [16, 'p.Engine', 'call', 'resolved'],
      [17, 'fast', 'call', 'resolved'],
      [18, 'pub', 'call', 'resolved'],
      [19, '_priv', 'call', 'external'], // not exported by the star import: an undefined (builtin-level) name
      [20, 'T', 'call', 'resolved'],
    ]);
  });

  it('marks raise sites and external calls', () => {
    const def = index.find('pkg/core.py', 'Engine.run');
    if (!def) throw new Error('run not found');
    const sites = callSites(index, def);
    expect(sites.filter((s) => s.kind === 'raise').map((s) => s.callee)).toEqual(['MyError']);
    expect(sites.find((s) => s.callee === 'os.path.join')?.resolution.status).toBe('external');
  });
});
