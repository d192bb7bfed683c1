// The rules of func-gen's body policy: what a body may not name, and why (body-policy.ts applies them).

/**
 * What a func-gen body must not do. The repository's tests run in the same process as pytest
 * (docs/testrun.md, "What it cannot stop"), so code that reaches the process — its frames, its
 * modules, its exit, its tracing hooks, the recorder's files — could forge a pass. Kinds:
 * - `name`: a module or a dotted name, after resolving imports (`import os as o; o._exit` is
 *   `os._exit`); a rule matches the name and everything under it (`gc` matches `gc.collect`).
 *   Imports of a matching name count; so do `getattr(x, 'name')`, `x.__dict__['name']` and
 *   `vars(x)['name']` with a literal name. Bare `eval`, `exec`, `compile`, `__import__`, `exit`,
 *   `quit` and `__builtins__` are the builtins unless a parameter or the body binds them.
 * - `attribute`: an attribute of any object (frame and traceback internals).
 * - `path`: a string literal (of any use: `open`, `os.open`, `pathlib`) that names this path or one under it.
 * - `text`: a string literal that contains this text.
 */
/** Modules that are forbidden when reached as an attribute of another (`toolz.compatibility.os`, `json.sys`). */
export const MODULE_ATTRIBUTES: readonly string[] = [
  'gc', 'ctypes', '_ctypes', 'importlib', 'pickle', '_pickle', 'marshal', 'copyreg', 'pkgutil', 'pydoc', 'runpy',
  'pytest', '_pytest', 'unittest', 'builtins', 'inspect', 'traceback', 'signal', 'atexit', 'faulthandler',
];

export const BODY_POLICY: readonly BodyPolicyRule[] = [
  { kind: 'name', pattern: 'gc', why: 'reaches every object of the process, pytest’s included' },
  { kind: 'name', pattern: 'ctypes', why: 'writes the process’s memory' },
  { kind: 'name', pattern: '_ctypes', why: 'writes the process’s memory' },
  { kind: 'name', pattern: 'sys._getframe', why: 'reads the callers’ frames (the test’s and pytest’s)' },
  { kind: 'name', pattern: 'sys._current_frames', why: 'reads every thread’s frames' },
  { kind: 'name', pattern: 'inspect.currentframe', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'inspect.stack', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'inspect.trace', why: 'reads frames' },
  { kind: 'name', pattern: 'inspect.getouterframes', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'inspect.getinnerframes', why: 'reads frames' },
  { kind: 'name', pattern: 'traceback.walk_stack', why: 'reads the callers’ frames' },
  { kind: 'name', pattern: 'traceback.walk_tb', why: 'reads frames' },
  { kind: 'attribute', pattern: 'f_back', why: 'walks up to the callers’ frames' },
  { kind: 'attribute', pattern: 'f_globals', why: 'reads a frame’s globals' },
  { kind: 'attribute', pattern: 'f_locals', why: 'reads a frame’s locals' },
  { kind: 'attribute', pattern: 'f_builtins', why: 'reads a frame’s builtins' },
  { kind: 'attribute', pattern: 'tb_frame', why: 'reaches a frame from a traceback' },
  { kind: 'attribute', pattern: 'gi_frame', why: 'reaches a generator’s frame' },
  { kind: 'attribute', pattern: 'cr_frame', why: 'reaches a coroutine’s frame' },
  { kind: 'attribute', pattern: 'ag_frame', why: 'reaches an async generator’s frame' },
  { kind: 'name', pattern: 'os._exit', why: 'ends the test process before pytest records anything' },
  { kind: 'name', pattern: 'posix._exit', why: 'ends the test process before pytest records anything' },
  { kind: 'name', pattern: 'sys.exit', why: 'ends the test process' },
  { kind: 'name', pattern: 'builtins.exit', why: 'ends the test process' },
  { kind: 'name', pattern: 'builtins.quit', why: 'ends the test process' },
  { kind: 'name', pattern: 'os.abort', why: 'ends the test process' },
  { kind: 'name', pattern: 'atexit', why: 'runs code when the test process ends' },
  { kind: 'name', pattern: 'os.kill', why: 'signals processes (the test process included)' },
  { kind: 'name', pattern: 'os.killpg', why: 'signals processes (the test process included)' },
  { kind: 'name', pattern: 'posix.kill', why: 'signals processes (the test process included)' },
  { kind: 'name', pattern: 'signal', why: 'sends or handles signals of the test process' },
  { kind: 'name', pattern: 'faulthandler', why: 'hooks the test process’s crashes and dumps' },
  { kind: 'name', pattern: 'pytest', why: 'reaches the test runner that judges the body' },
  { kind: 'name', pattern: '_pytest', why: 'reaches the test runner that judges the body' },
  { kind: 'name', pattern: 'sys.modules', why: 'reaches every loaded module (the tests’ and pytest’s)' },
  { kind: 'name', pattern: 'builtins', why: 'changes what every module’s builtins are' },
  { kind: 'name', pattern: '__builtin__', why: 'changes what every module’s builtins are' },
  { kind: 'name', pattern: 'importlib', why: 'imports or reloads modules by computed names' },
  { kind: 'name', pattern: 'builtins.__import__', why: 'imports modules by computed names' },
  { kind: 'name', pattern: 'builtins.exec', why: 'runs code the check cannot read' },
  { kind: 'name', pattern: 'builtins.eval', why: 'runs code the check cannot read' },
  { kind: 'name', pattern: 'builtins.compile', why: 'makes code the check cannot read' },
  { kind: 'name', pattern: 'sys.settrace', why: 'traces the test process (pytest’s frames included)' },
  { kind: 'name', pattern: 'sys.setprofile', why: 'hooks every call of the test process' },
  { kind: 'name', pattern: 'sys.monitoring', why: 'hooks every call of the test process' },
  { kind: 'name', pattern: 'threading.settrace', why: 'traces the test process’s threads' },
  { kind: 'name', pattern: 'threading.settrace_all_threads', why: 'traces the test process’s threads' },
  { kind: 'name', pattern: 'threading.setprofile', why: 'hooks the test process’s threads' },
  { kind: 'name', pattern: 'threading.setprofile_all_threads', why: 'hooks the test process’s threads' },
  { kind: 'name', pattern: 'unittest', why: 'reaches the test framework (its assertions can be replaced)' },
  { kind: 'name', pattern: 'doctest', why: 'reaches a test framework' },
  { kind: 'attribute', pattern: '__self__', why: 'reaches the module of a builtin (builtins itself)' },
  { kind: 'attribute', pattern: '__import__', why: 'imports modules by computed names' },
  { kind: 'attribute', pattern: '__globals__', why: 'reaches another module’s globals (and what they import)' },
  { kind: 'attribute', pattern: '__builtins__', why: 'reaches the builtins of another module' },
  { kind: 'attribute', pattern: '__subclasses__', why: 'reaches every class of the process (the test framework’s included)' },
  { kind: 'attribute', pattern: '__code__', why: 'replaces or reads a function’s code' },
  { kind: 'attribute', pattern: '_exit', why: 'ends the test process (os._exit reached through another module)' },
  { kind: 'attribute', pattern: '_getframe', why: 'reads the callers’ frames (sys._getframe reached through another module)' },
  { kind: 'attribute', pattern: '_current_frames', why: 'reads every thread’s frames' },
  { kind: 'attribute', pattern: 'settrace', why: 'traces the test process' },
  { kind: 'attribute', pattern: 'setprofile', why: 'hooks every call of the test process' },
  { kind: 'attribute', pattern: 'sys', why: 'reaches the sys module through another module (its modules, exit, frames)' },
  ...[
    'modules', 'currentframe', 'getouterframes', 'getinnerframes', 'getargvalues', 'walk_tb', 'walk_stack', 'getattr_static',
    'getmembers', 'getmembers_static', 'get_field', 'new_class',
    'attrgetter', 'methodcaller', 'resolve_name', 'locate', 'FunctionType', 'CodeType', 'LambdaType',
    '__func__', '__closure__', 'cell_contents', '__dict__', '__getattribute__', '__setattr__', '__delattr__',
  ].map((pattern): BodyPolicyRule => ({ kind: 'attribute', pattern, why: 'reaches the process’s modules, frames or objects whatever the object it is read from' })),
  ...MODULE_ATTRIBUTES.map((pattern): BodyPolicyRule => ({ kind: 'attribute', pattern, why: 'a forbidden module reached through another one' })),
  { kind: 'name', pattern: 'inspect.getmembers', why: 'reads an object’s attributes by computed names' },
  { kind: 'name', pattern: 'inspect.getmembers_static', why: 'reads an object’s attributes by computed names' },
  { kind: 'name', pattern: 'string.Formatter', why: 'reads attributes by names in a format string (get_field)' },
  { kind: 'name', pattern: '_string', why: 'reads attributes by names in a format string' },
  { kind: 'name', pattern: 'types.new_class', why: 'makes a class from a namespace the check cannot read' },
  { kind: 'syntax', pattern: 'non-ASCII identifier', why: 'CPython reads identifiers NFKC-normalised (ｓys is sys): the check cannot compare them' },
  { kind: 'name', pattern: 'pickle', why: 'runs code and imports modules named in data' },
  { kind: 'name', pattern: '_pickle', why: 'runs code and imports modules named in data' },
  { kind: 'name', pattern: 'marshal', why: 'makes code objects from data' },
  { kind: 'name', pattern: 'copyreg', why: 'changes how objects are rebuilt from data' },
  { kind: 'name', pattern: 'pkgutil', why: 'imports modules by computed names' },
  { kind: 'name', pattern: 'pydoc', why: 'imports modules by computed names' },
  { kind: 'name', pattern: 'runpy', why: 'runs modules by computed names' },
  { kind: 'name', pattern: 'builtins.vars', why: 'reads an object’s attributes by computed names' },
  { kind: 'name', pattern: 'builtins.locals', why: 'reads the frame’s variables by computed names' },
  { kind: 'syntax', pattern: 'attribute by a computed name', why: 'getattr, setattr, delattr or hasattr whose name is not a plain literal, or passed as a value: reaches what the rules name' },
  { kind: 'syntax', pattern: 'class that compares equal', why: 'a class defined in the body with __eq__, __ne__, __bool__ or __hash__ (or type() with three arguments): an object that passes comparisons without being the answer' },
  { kind: 'text', pattern: 'pytest', why: 'names the test runner that judges the body' },
  { kind: 'text', pattern: 'hybrid_gym', why: 'names the verification check’s own plugin' },
  { kind: 'text', pattern: 'CallInfo', why: 'names the test runner’s internals' },
  { kind: 'text', pattern: 'TestReport', why: 'names the test runner’s internals' },
  { kind: 'name', pattern: 'builtins.globals', why: 'rebinds module-level names (the functions the tests compare against)' },
  { kind: 'syntax', pattern: 'global', why: 'rebinds module-level names (the functions the tests compare against)' },
  { kind: 'syntax', pattern: 'assignment to an imported name', why: 'changes a module or class the tests also use (monkeypatching)' },
  { kind: 'path', pattern: '/proc', why: 'reaches the process through /proc (its memory, its open files)' },
  { kind: 'path', pattern: '/dev/fd', why: 'reaches the process’s open files (the test recorder’s included)' },
  { kind: 'text', pattern: '.hybrid-gym-check', why: 'reaches the verification check’s own files' },
];

export interface BodyPolicyRule {
  kind: 'name' | 'attribute' | 'path' | 'text' | 'syntax';
  pattern: string;
  why: string;
}
