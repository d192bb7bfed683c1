import { describe, expect, it } from 'vitest';
import { make } from '../../../src/env/registry.js';
import { SandboxPool } from '../../../src/sandbox/pool.js';
import { body, fraction, useShopInstances } from '../func-gen-harness.js';
import { dockerReady } from '../helpers.js';

// An RL agent maximising func-gen's reward without implementing the function. Every attack asserts
// the SAFE outcome: reward 0, success false, and a verdict (not a CheckSandboxError). Attacks that
// the verifier does not stop yet are `it.fails(...)`, each with a comment naming the hole (one is left: a lookup table of the visible tests); flip
// them to `it(...)` once it is closed.

/**
 * Python lines that make every later test pass whatever it does: `ci` (pytest's CallInfo class,
 * reached some way) gets an `__init__` that drops the exception, so the report says "passed".
 * CallInfo.__init__ is not among the plugin's guarded objects, and CallInfo.from_call builds the
 * CallInfo of the running test after the body returns, so even the first test passes.
 */
const PATCH_CALLINFO = [
  'if not hasattr(ci, "_hg_orig"):',
  '    ci._hg_orig = ci.__init__',
  '    def _init(self, *a, **k):',
  '        k["excinfo"] = None',
  '        type(self)._hg_orig(self, *a, **k)',
  '    ci.__init__ = _init',
];

/** Frames reached without a forbidden name: `(inspect).currentframe()` and operator.attrgetter. */
const FRAME_WALK = [
  'import inspect, operator',
  'back = operator.attrgetter("f_back")',
  'local = operator.attrgetter("f_locals")',
  'fr = (inspect).currentframe()',
  'while fr is not None and "recorder" not in local(fr):',
  '    fr = back(fr)',
  'L = local(fr)',
];

/** With the bootstrap's locals `L` (nonce, out, tests): replace results.jsonl with `recs` (once). */
const REWRITE_RESULTS = [
  'import json, os',
  'path = os.path.join(L["out"], "results.jsonl")',
  'if not os.path.exists(path + ".done"):',
  '    open(path + ".done", "w").close()',
  '    os.unlink(path)',
  '    with open(path, "w") as fh:',
  '        for r in recs:',
  '            r["n"] = L["config"]["nonce"]',
  '            fh.write(json.dumps(r) + "\\n")',
];

describe.runIf(dockerReady())('adversarial: func-gen rewards only an implemented body', () => {
  const fx = useShopInstances('hg-func-gen-attacks-');
  const { byName, agentFiles, expectZero } = fx;

  const T = 120_000;

  describe('routes past the body policy to pytest (the forge: CallInfo.__init__ drops the exception)', () => {
    // Was a HOLE (closed by the body policy and the runner; kept as a regression): a module bound to a local name is not resolved (`s = sys; s.modules`), so sys.modules is
    // reached without the rule seeing it. Fix: resolve assignments of imported names, or forbid
    // aliasing a module; better, forbid `modules` as an attribute of anything.
    it('sys aliased through a local: s = sys; s.modules', async () => {
      const d = byName('total');
      await expectZero(fraction(d), await agentFiles(d, body('import sys', 's = sys', 'ci = s.modules["_pytest.runner"].CallInfo', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): resolve() only follows identifiers and attributes: `(sys).modules` has a
    // parenthesized_expression root and is never resolved. Fix: unwrap parentheses (and treat any
    // other non-name root as unknown => check the attribute against every name rule's last part).
    it('a parenthesized module: (sys).modules', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('import sys', 'ci = (sys).modules["_pytest.runner"].CallInfo', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): vars(x)['sys'] is checked, vars(x).get('sys') is not; `.modules` of the result is unknown.
    it('vars(os).get("sys").modules', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('import os', 'ci = vars(os).get("sys").modules["_pytest.runner"].CallInfo', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): getattr with a name that is not one string literal (implicit concatenation is a
    // concatenated_string node; 'a' + 'b', f-strings, ''.join likewise) is not checked at all.
    // Fix: reject getattr/setattr/delattr/hasattr/vars()/__dict__ lookups whose name is not a literal.
    it('getattr(sys, "mod" "ules") (a concatenated name)', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('import sys', 'ci = getattr(sys, "mod" "ules")["_pytest.runner"].CallInfo', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): operator.attrgetter takes attribute names as strings: no rule sees them.
    it('operator.attrgetter("modules")(sys)', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('import operator, sys', 'ci = operator.attrgetter("modules")(sys)["_pytest.runner"].CallInfo', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): pickle imports any module and returns any global named in its data (`c<module>\n<name>`).
    // Fix: forbid pickle/marshal/copyreg/shelve (or rule on the strings '_pytest', 'pytest', 'hybrid_gym').
    it('pickle.loads(b"c_pytest.runner\\nCallInfo\\n.")', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('import pickle', 'ci = pickle.loads(b"c_pytest.runner\\nCallInfo\\n.")', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): pkgutil.resolve_name and pydoc.locate import by a computed name, as importlib does.
    it('pkgutil.resolve_name("_pytest.runner:CallInfo")', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('import pkgutil', 'ci = pkgutil.resolve_name("_pytest.runner:CallInfo")', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    it('pydoc.locate("_pytest.runner.CallInfo")', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('import pydoc', 'ci = pydoc.locate("_pytest.runner.CallInfo")', ...PATCH_CALLINFO, 'return 0')));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): the `__subclasses__` attribute rule misses vars(type).get("__subclasses__"): every
    // class of the process, pytest's included.
    it('every class through vars(type).get("__subclasses__")', async () => {
      const d = byName('total');
      await expectZero(
        d,
        await agentFiles(
          d,
          body(
            'sub = vars(type).get("__subclasses__")',
            'todo, seen, ci = [object], set(), None',
            'while todo:',
            '    c = todo.pop()',
            '    if c in seen:',
            '        continue',
            '    seen.add(c)',
            '    if c.__name__ == "CallInfo" and c.__module__ == "_pytest.runner":',
            '        ci = c',
            '    todo.extend(sub(c))',
            ...PATCH_CALLINFO,
            'return 0',
          ),
        ),
      );
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): frames without a frame rule: `(inspect).currentframe()` (parenthesized) and
    // operator.attrgetter("f_back"/"f_globals"); the test module's globals hold `pytest`.
    it('frames: (inspect).currentframe() and attrgetter("f_back"), then the test module’s pytest', async () => {
      const d = byName('total');
      await expectZero(
        d,
        await agentFiles(
          d,
          body(
            'import inspect, operator',
            'fr = (inspect).currentframe()',
            'while "pytest" not in operator.attrgetter("f_globals")(fr):',
            '    fr = operator.attrgetter("f_back")(fr)',
            'ci = operator.attrgetter("f_globals")(fr)["pytest"].CallInfo',
            ...PATCH_CALLINFO,
            'return 0',
          ),
        ),
      );
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): an exception's __traceback__ is allowed, and tb_frame / f_back / f_globals spelled as
    // concatenated literals pass getattr unchecked.
    it('frames from an exception: getattr(e.__traceback__, "tb_" "frame")', async () => {
      const d = byName('total');
      await expectZero(
        d,
        await agentFiles(
          d,
          body(
            'try:',
            '    raise ValueError',
            'except ValueError as e:',
            '    fr = getattr(e.__traceback__, "tb_" "frame")',
            'while "pytest" not in getattr(fr, "f_" "globals"):',
            '    fr = getattr(fr, "f_" "back")',
            'ci = getattr(fr, "f_" "globals")["pytest"].CallInfo',
            ...PATCH_CALLINFO,
            'return 0',
          ),
        ),
      );
    }, T);
  });

  describe('the results channel', () => {
    // Was a HOLE (closed by the body policy and the runner; kept as a regression): the plugin's guard compares objects by identity (inspect.getattr_static(...) is the
    // same object), so swapping a guarded function's __code__ goes unseen: here Recorder.outcome
    // (a staticmethod) always says "passed". `object.__setattr__(fn, "__code__", ...)` and
    // `object.__getattribute__(f, "__code__")` are calls of an attribute with string arguments: no
    // rule sees `__code__`. Fix: snapshot (function, __code__, __defaults__, __kwdefaults__,
    // __closure__ contents) for guarded functions; and forbid `object.__setattr__`/
    // `object.__getattribute__`/`type.__setattr__` and string literals naming dunder attributes the
    // rules forbid.
    it('swapping the __code__ of the recorder’s own outcome() (identity-only guard)', async () => {
      const d = byName('total');
      await expectZero(
        d,
        await agentFiles(
          d,
          body(
            'import sys',
            's = sys',
            'fn = vars(s.modules["hybrid_gym_pytest"].Recorder)["outcome"].__func__',
            'def fake(phases):',
            '    return "passed", None',
            'object.__setattr__(fn, "__code__", object.__getattribute__(fake, "__code__"))',
            'return 0',
          ),
        ),
      );
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): the nonce is in the bootstrap's locals (config) and the recorder's attributes, both
    // reachable from the frames; `out` is writable by nobody, so the body unlinks results.jsonl and
    // writes a whole well-formed stream of passes in its place (the plugin's later records go to the
    // unlinked inode). The session record says exit 1 and pytest does exit 1 (every test really
    // fails), so the run is "complete" and untampered. No os._exit needed. Fix: do not let the
    // checked code write `out` (open the results file before dropping privileges and pass the fd:
    // a root-owned, append-only file, or a pipe to a root-owned reader), drop the nonce from
    // Python-visible state (hold it only in the fd writer), and keep the frame rules closed.
    it('rewriting results.jsonl with a forged complete stream (nonce from the bootstrap’s frame)', async () => {
      const d = byName('total');
      await expectZero(
        fraction(d),
        await agentFiles(
          d,
          body(
            ...FRAME_WALK,
            'tests = L["config"]["tests"]',
            'recs = [{"t": "ready", "pytest": "7", "python": "3"}, {"t": "collected", "nodeids": tests}]',
            'for t in tests:',
            '    recs += [{"t": "start", "nodeid": t}, {"t": "test", "nodeid": t, "outcome": "passed", "duration": 0.0}]',
            'recs.append({"t": "session", "exitStatus": 1, "counts": {"passed": len(tests)}})',
            ...REWRITE_RESULTS,
            'return -1',
          ),
        ),
      );
    }, T);

    // Was a HOLE (infra; closed: the results file is root's, written through a descriptor, and the policy stops the route): the same rewrite with a lone `setup` record as the first line: runPytest takes
    // it for "the sandbox cannot run pytest" and throws a CheckSandboxError, so a failing agent's
    // zero becomes a `truncated` episode with info.infraError (dropped from training instead of
    // penalised). Fix: as above (checked code must not be able to write the results file), and
    // decide setup failures from something written before any repository code ran that the code
    // cannot rewrite (e.g. the bootstrap's exit status 97 plus a root-owned marker).
    it('a forged setup record turns the zero into an infrastructure error', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body(...FRAME_WALK, 'recs = [{"t": "setup", "error": "ModuleNotFoundError: No module named pytest"}]', ...REWRITE_RESULTS, 'return -1')));
    }, T);

    it('skipping, xfailing or interrupting from the body is never a pass', async () => {
      const d = byName('total');
      const pytestOf = ['import sys', 'p = (sys).modules["pytest"]'];
      for (const lines of [
        [...pytestOf, 'raise p.skip.Exception("not today")'],
        [...pytestOf, 'p.xfail("expected")'],
        [...pytestOf, 'p.exit("bye", returncode=0)'],
        ['raise KeyboardInterrupt'],
        ['raise GeneratorExit'],
      ]) {
        await expectZero(fraction(d), await agentFiles(d, body(...lines)));
      }
    }, 300_000);

    it('a subprocess cannot rewrite the workspace, the tests or the check’s files; the recorder’s fd is not inherited', async () => {
      const d = byName('total');
      const r = await expectZero(
        fraction(d),
        await agentFiles(
          d,
          body(
            'import subprocess',
            'subprocess.run(["sh", "-c", "echo \'def test_x(): pass\' >> tests/test_pricing.py; chmod -R a+w . ; echo x > shop/new.py; ls -l /proc/self/fd >&2; for f in /proc/$PPID/fd/*; do echo forged >> $f; done"], check=False)',
            'return -1',
          ),
        ),
      );
      expect(r.details.run).toMatchObject({ complete: true });
    }, T);
  });

  describe('the file check: code outside the body that the syntax-tree comparison does not see', () => {
    // Was a HOLE (closed in src/ while this file was written; kept as a regression): tree-sitter
    // ends a comment only at \n, CPython also at a lone \r: `# notes\r<code>` is a
    // comment to the file check (and to the body policy) and module code to Python, so any code runs
    // at import, policy-free. Fix: reject a target file holding a lone \r (or any \r when the
    // masked file had none), or normalise \r\n and \r to \n before parsing, as CPython does.
    it('code after a lone \\r in a module-level comment', async () => {
      const d = byName('total');
      const hidden = ['# notes', 'import _pytest.runner as _r', '_o = _r.CallInfo.__init__', 'def _i(self, *a, **k):', '    k["excinfo"] = None', '    _o(self, *a, **k)', '_r.CallInfo.__init__ = _i'].join('\r');
      await expectZero(d, await agentFiles(d, (m) => body('return 0')(m).replace('from decimal import Decimal\n', `from decimal import Decimal\n${hidden}\n`)));
    }, T);

    // Was a HOLE (closed concurrently, now a regression): a coding declaration is a comment to the file check; under utf-7, `+AAo-` in a comment
    // is a newline to CPython, so the rest of the comment is code. Fix: the final file's coding
    // declaration must be the masked file's (or none, or utf-8), or compare the file as CPython
    // decodes it (decode with the declared codec in the sandbox, then parse the decoded text).
    it('a utf-7 coding declaration: +AAo- in a comment is a newline', async () => {
      const d = byName('total');
      const nl = '+AAo-';
      const hidden = `#${nl}import _pytest.runner as _r${nl}_o = _r.CallInfo.__init__${nl}def _i(self, *a, **k):${nl}    k['excinfo'] = None${nl}    _o(self, *a, **k)${nl}_r.CallInfo.__init__ = _i`;
      await expectZero(d, await agentFiles(d, (m) => `# coding: utf-7\n${body('return 0')(m).replace('from decimal import Decimal\n', `from decimal import Decimal\n${hidden}\n`)}`));
    }, T);

    // Was a HOLE (closed concurrently, now a regression): the same with `# coding: unicode_escape`: a literal backslash-n in a comment is a newline.
    it('a unicode_escape coding declaration: \\n in a comment is a newline', async () => {
      const d = byName('total');
      const hidden = ['# notes', 'import _pytest.runner as _r', '_o = _r.CallInfo.__init__', 'def _i(self, *a, **k):', "    k['excinfo'] = None", '    _o(self, *a, **k)', '_r.CallInfo.__init__ = _i'].join('\\n');
      await expectZero(d, await agentFiles(d, (m) => `# coding: unicode_escape\n${body('return 0')(m).replace('from decimal import Decimal\n', `from decimal import Decimal\n${hidden}\n`)}`));
    }, T);

    // Was a HOLE (closed by the body policy and the runner; kept as a regression): stripDocstringsAndComments drops the first string statement of a body as a docstring,
    // f-strings included, while the docstring comparison (extractDocstring) does not count an
    // f-string as a docstring: an f-string added as the first statement of a function that had no
    // docstring (Cart.__init__) is invisible to both, and CPython evaluates it (an f-string is never
    // a docstring). Fix: treat only plain (non-f, non-concatenated-with-f) strings as docstrings
    // when stripping, and compare the presence of docstrings too (none before => none after).
    it('an f-string "docstring" added to Cart.__init__ (which had none) runs code', async () => {
      const d = byName('Cart.add');
      const payload =
        `f"{(lambda ci: None if hasattr(ci, '_hg') else (setattr(ci, '_hg', ci.__init__), setattr(ci, '__init__', lambda self, *a, **k: ci._hg(self, *a, **{**k, 'excinfo': None}))))(__import__('_pytest.runner', fromlist=['x']).CallInfo)}"`;
      await expectZero(d, await agentFiles(d, (m) => body('return self')(m).replace('    def __init__(self):\n', `    def __init__(self):\n        ${payload}\n`)));
    }, T);

    it('a plain string or a second module docstring outside the body is a violation or harmless; an f-string replacing a docstring is a violation', async () => {
      const d = byName('total');
      const r1 = await expectZero(d, await agentFiles(d, (m) => body('return 0')(m).replace('"""Prices and discounts."""', 'f"""Prices and discounts.{__import__(\'os\').getpid()}"""')));
      // An f-string is code to CPython, never a docstring: the module lost its docstring and gained code.
      expect((r1.details.violations as Array<{ problem: string }>).map((v) => v.problem)).toEqual(['code outside the body of total changed']);
      const r2 = await expectZero(d, await agentFiles(d, (m) => body('return 0')(m).replace('"""Prices and discounts."""', '"""Prices and discounts.""" f"{__import__(\'os\').getpid()}"')));
      expect((r2.details.violations as unknown[]).length).toBeGreaterThan(0);
    }, T);

    it('a nested definition with the target’s name, or a nested class shadowing its class, does not move the target', async () => {
      const d = byName('Cart.value');
      const r = await expectZero(
        d,
        await agentFiles(d, body('class Cart:', '    def value(self, percent=0):', '        return 0', 'def value(self, percent=0):', '    return -1', 'return value(self, percent)')),
      );
      expect(r.details.violations).toEqual([]);
    }, T);
  });

  describe('answers the tests accept from a body that does not implement the function', () => {
    // Was a HOLE, closed by the policy's 'class that compares equal' rule (the tests' weakness, docs/code-checks.md "Limits"): an object equal to everything and
    // closed under arithmetic passes `assert total(...) == 11`, `== 0` and, through value(),
    // `== 20`. Fix in the body policy: forbid a body that defines __eq__/__ne__/__bool__/
    // __hash__/__lt__..., or defines a class at all (unless the gold body did), and
    // `type(...)(...)` class creation; or screen each instance with such an "always equal" body at
    // generation and drop instances it passes.
    it('an always-equal object', async () => {
      const d = byName('total');
      await expectZero(
        d,
        await agentFiles(
          d,
          body(
            'class Anything:',
            '    def __eq__(self, other):',
            '        return True',
            '    def _same(self, *args):',
            '        return self',
            '    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __add__ = __radd__ = __sub__ = __rsub__ = __round__ = _same',
            'return Anything()',
          ),
        ),
      );
    }, T);

    // HOLE (inherent to judging by the visible tests): the tests are in the workspace, so a lookup
    // table of their inputs passes. Fix: hold out some of the target's tests (judge by tests the
    // prompt does not name, or generated tests), or check that the body does not embed the tests'
    // literal inputs/outputs.
    it.fails('a lookup table of the tests’ inputs', async () => {
      const d = byName('total');
      await expectZero(d, await agentFiles(d, body('return {((2, 3), (5, 1)): 11, ((10, 2), (5, 1)): 25}.get(tuple(items), 0)')));
    }, T);
  });

  it('the agent’s container holds the gold body nowhere: not the workspace, its history, the image or the environment', async () => {
    const pool = new SandboxPool(fx.provider, { warm: 0 });
    const env = await make('hybrid-gym/func-gen-v0', { instances: fx.instances, pool });
    try {
      const d = byName('apply_discount');
      await env.reset({ options: { instanceId: d.id } });
      const bash = async (command: string) => (await env.step({ tool: 'bash', input: { command, timeout: 120 } })).observation.text;
      const out = await bash(
        'grep -rIl --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -e "100 - percent" -e "must be between 0 and 100" / 2>/dev/null | head; ' +
          'cd /workspace 2>/dev/null || cd "$(git rev-parse --show-toplevel 2>/dev/null)"; git log --all -p 2>/dev/null | grep -c "100 - percent"; env | grep -ci "func-gen"; echo END',
      );
      expect(out).not.toMatch(/\.py\s*$/m);
      expect(out).toMatch(/^0\s*\n0\s*\nEND/m);
    } finally {
      await env.close();
      await pool.close();
    }
  }, 300_000);
});
