// The Python side of the test runner: put into the verification sandbox as CodeCheck.support files.
// It must run on Python 3.8+ and pytest 7.2+ (Debian bookworm, the default image) and stays standard-library only.

/** run_pytest.py: `python3 -I -B run_pytest.py SUPPORT OUT WORKDIR` loads our plugin without PYTHONPATH and calls pytest.main. */
export const BOOTSTRAP_SOURCE = String.raw`"""Run pytest with hybrid-gym's plugin: python3 -I -B run_pytest.py SUPPORT OUT WORKDIR."""
import json
import os
import sys


def main():
    support, out, workdir = sys.argv[1:4]
    config_path = os.path.join(support, "private", "config.json")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    # The nonce is not left lying around for the code under test to read.
    os.unlink(config_path)
    # Only what we pass decides pytest's options and plugins: not the environment.
    for key in [k for k in os.environ if k.startswith("PYTEST_")]:
        del os.environ[key]
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.dont_write_bytecode = True
    sys.path.insert(0, support)

    # The results file: opened by the sandbox (as root, where the checks run unprivileged) and passed
    # as a descriptor, so code under test can neither open, replace nor remove it by its path.
    fds = dict(item.split("=", 1) for item in os.environ.pop("HYBRID_GYM_FDS", "").split(",") if "=" in item)
    results_fd = int(fds["results.jsonl"]) if "results.jsonl" in fds else os.open(
        os.path.join(out, "results.jsonl"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
    )
    # Not handed on to the subprocesses of the code under test.
    os.set_inheritable(results_fd, False)
    _undumpable()

    def note(record):
        record["n"] = config["nonce"]
        os.write(results_fd, (json.dumps(record) + "\n").encode("utf-8", "replace"))

    # No repository code has run yet: a failure here is the sandbox's (no pytest in the image), and
    # the "ready" line, written before any, tells later failures from it.
    try:
        import pytest
        import hybrid_gym_pytest
    except Exception as e:
        note({"t": "setup", "error": "%s: %s" % (type(e).__name__, e)})
        sys.exit(97)
    note({"t": "ready", "pytest": pytest.__version__, "python": sys.version.split()[0]})

    sys.path.remove(support)
    workdir = os.path.realpath(workdir)
    os.chdir(workdir)
    # As "python -m pytest" does: the repository root first, then the directories the check names.
    for rel in reversed([""] + config.get("pythonPath", [])):
        sys.path.insert(0, os.path.join(workdir, rel) if rel else workdir)
    recorder = hybrid_gym_pytest.Recorder(
        results_fd, config["nonce"], workdir, trace=config.get("trace", False), trace_exclude=config.get("traceExclude")
    )
    args = list(config["args"]) + ["--rootdir", workdir] + list(config.get("tests", []))
    code = pytest.main(args, plugins=[recorder])
    sys.stdout.flush()
    sys.exit(int(code))


def _undumpable():
    # PR_SET_DUMPABLE 0: /proc/self/{mem,fd,environ} become root's, so code under test running as
    # nobody cannot write this process's memory or reopen its descriptors through /proc.
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
        del sys.modules["ctypes"]
    except Exception:
        pass


if __name__ == "__main__":
    main()
`;

/** hybrid_gym_pytest.py: the plugin that writes the results channel (and, when tracing, which functions each test entered). */
export const PLUGIN_SOURCE = String.raw`"""hybrid-gym's pytest plugin: one JSON line per event into the results file, written as it happens."""
import cProfile
import inspect
import json
import os
import re
import sys
import threading

import pytest

_CO_NEWLOCALS = 0x2  # set on function code objects; module and class bodies lack it
_TEXT_CHARS = 4000
_MAX_FRAMES = 40


def _trim(text, limit=_TEXT_CHARS):
    if text is None or len(text) <= limit:
        return text
    head = limit // 4
    return text[:head] + "\n[... %d characters cut ...]\n" % (len(text) - limit) + text[-(limit - head):]


# Hooks whose implementations decide or report a test's outcome.
_OUTCOME_HOOKS = (
    "pytest_runtest_makereport", "pytest_runtest_logreport", "pytest_report_teststatus", "pytest_runtest_protocol",
    "pytest_runtest_call", "pytest_runtest_setup", "pytest_runtest_teardown", "pytest_pyfunc_call",
    "pytest_runtest_logfinish", "pytest_runtest_logstart", "pytest_collection_modifyitems", "pytest_sessionfinish",
)


def _fingerprint(obj):
    # The object, and what a function runs: swapping its code or defaults in place counts as a replacement.
    fn = getattr(obj, "__func__", obj)
    return (obj, getattr(fn, "__code__", None), getattr(fn, "__defaults__", None), getattr(fn, "__kwdefaults__", None))


def _guarded():
    import _pytest.python
    import _pytest.reports
    import _pytest.runner

    return [
        ("TestReport.from_item_and_call", _pytest.reports.TestReport, "from_item_and_call"),
        ("TestReport.__init__", _pytest.reports.TestReport, "__init__"),
        ("runner.call_and_report", _pytest.runner, "call_and_report"),
        ("runner.runtestprotocol", _pytest.runner, "runtestprotocol"),
        ("runner.call_runtest_hook", _pytest.runner, "call_runtest_hook"),
        ("CallInfo.from_call", _pytest.runner.CallInfo, "from_call"),
        ("CallInfo.__init__", _pytest.runner.CallInfo, "__init__"),
        ("TestReport.__new__", _pytest.reports.TestReport, "__new__"),
        ("BaseReport.passed", _pytest.reports.BaseReport, "passed"),
        ("BaseReport.failed", _pytest.reports.BaseReport, "failed"),
        ("Function.runtest", _pytest.python.Function, "runtest"),
        ("python.pytest_pyfunc_call", _pytest.python, "pytest_pyfunc_call"),
        ("Recorder.emit", Recorder, "emit"),
        ("Recorder.outcome", Recorder, "outcome"),
        ("Recorder.pytest_runtest_logfinish", Recorder, "pytest_runtest_logfinish"),
        ("Recorder.pytest_runtest_logreport", Recorder, "pytest_runtest_logreport"),
        ("Recorder.tamper_checks", Recorder, "tamper_checks"),
        ("os.write", os, "write"),
    ]


class Recorder:
    # No instance dict: a method cannot be shadowed on the instance (rec.outcome = ...), which the
    # class-level guard would not see.
    __slots__ = (
        "nonce", "workdir", "fd", "reports", "counts", "trace", "exclude", "files", "codes", "keep",
        "functions", "current", "early", "guarded", "__weakref__",
    )

    def __init__(self, fd, nonce, workdir, trace=False, trace_exclude=None):
        self.nonce = nonce
        self.workdir = workdir
        self.fd = fd
        self.reports = {}
        self.counts = {}
        self.trace = trace
        self.exclude = re.compile(trace_exclude) if trace_exclude else None
        self.files = {}  # co_filename -> relative path, or None when not ours
        self.codes = {}  # id(code) -> function id, or -1
        self.keep = []  # the code objects seen, so that their ids stay theirs
        self.functions = {}  # (file, qualname, line) -> function id
        self.current = set()
        self.early = set()
        self.guarded = self.snapshot()

    def snapshot(self):
        # What decides outcomes, as it was before any repository code ran.
        return {name: _fingerprint(inspect.getattr_static(owner, attr, None)) for name, owner, attr in _guarded()}

    def tamper_checks(self, session):
        found = []
        for name, owner, attr in _guarded():
            now = _fingerprint(inspect.getattr_static(owner, attr, None))
            if any(a is not b for a, b in zip(now, self.guarded.get(name, ()))):
                found.append("%s was replaced during the run" % name)
        pm = session.config.pluginmanager
        for hook in _OUTCOME_HOOKS:
            caller = getattr(pm.hook, hook, None)
            for impl in (caller.get_hookimpls() if caller is not None else []):
                plugin = impl.plugin
                if id(plugin) in self.early or self.trusted_late(plugin):
                    continue
                found.append("a %s hook was added by %s" % (hook, type(plugin).__name__ if not hasattr(plugin, "__file__") else plugin.__file__))
        return found

    def trusted_late(self, plugin):
        # Plugins registered during collection: conftest.py modules (protected files) and modules
        # from outside the workspace (the image's); nothing the agent's code made.
        path = getattr(plugin, "__file__", None)
        if not isinstance(path, str):
            return False
        full = os.path.realpath(path)
        inside = full.startswith(self.workdir + os.sep)
        return (not inside) or os.path.basename(full) == "conftest.py"

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session):
        self.early = {id(p) for p in session.config.pluginmanager.get_plugins()}
        return None

    def emit(self, record):
        record["n"] = self.nonce
        os.write(self.fd, (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8", "replace"))

    def rel(self, path):
        if not path:
            return path
        full = os.path.realpath(path if os.path.isabs(path) else os.path.join(self.workdir, path))
        if full == self.workdir or full.startswith(self.workdir + os.sep):
            return os.path.relpath(full, self.workdir).replace(os.sep, "/")
        return path

    # Collection
    def pytest_collectreport(self, report):
        if report.failed:
            self.emit({"t": "collect", "nodeid": report.nodeid, "message": _trim(report.longreprtext)})

    def pytest_collection_finish(self, session):
        self.emit({"t": "collected", "nodeids": [item.nodeid for item in session.items]})

    # Running
    def pytest_runtest_logstart(self, nodeid, location):
        self.emit({"t": "start", "nodeid": nodeid})

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid, location):
        reports = self.reports.pop(nodeid, [])
        phases = {r.when: r for r in reports}
        outcome, blame = self.outcome(phases)
        record = {
            "t": "test",
            "nodeid": nodeid,
            "outcome": outcome,
            "duration": sum(getattr(r, "duration", 0.0) or 0.0 for r in reports),
        }
        if blame is not None:
            record.update(self.details(blame, outcome))
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        self.emit(record)

    @staticmethod
    def outcome(phases):
        setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
        if setup is None:
            return "error", None
        if setup.failed:
            return "error", setup
        if setup.skipped:
            outcome, blame = ("xfailed" if hasattr(setup, "wasxfail") else "skipped"), setup
        elif call is None:
            return "error", teardown if teardown is not None and teardown.failed else None
        elif call.failed:
            return "failed", call
        elif call.skipped:
            outcome, blame = ("xfailed" if hasattr(call, "wasxfail") else "skipped"), call
        else:
            outcome, blame = ("xpassed" if hasattr(call, "wasxfail") else "passed"), None
        if teardown is not None and teardown.failed:
            return "error", teardown
        return outcome, blame

    def details(self, report, outcome):
        longrepr = report.longrepr
        if outcome in ("skipped", "xfailed"):
            reason = getattr(report, "wasxfail", None) or None
            if isinstance(longrepr, tuple) and len(longrepr) == 3:
                reason = reason or str(longrepr[2])
            return {"message": _trim(reason)} if reason else {}
        out = {"phase": report.when}
        crash = getattr(longrepr, "reprcrash", None)
        message = getattr(crash, "message", None)
        if message is None and longrepr is not None:
            message = str(longrepr).strip().splitlines()[-1:] or None
            message = message[0] if message else None
        if message is not None:
            out["message"] = _trim(message)
        try:
            text = report.longreprtext
        except Exception:  # a repr that cannot render is still a failure
            text = None
        if text:
            out["traceback"] = _trim(text)
        frames = []
        for entry in getattr(getattr(longrepr, "reprtraceback", None), "reprentries", None) or []:
            loc = getattr(entry, "reprfileloc", None)
            if loc is not None:
                frames.append({"file": self.rel(str(loc.path)), "line": int(loc.lineno)})
        if frames:
            out["frames"] = frames[-_MAX_FRAMES:]
        return out

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        record = {"t": "session", "exitStatus": int(exitstatus), "counts": self.counts}
        tampered = self.tamper_checks(session)
        if tampered:
            record["tampered"] = tampered[:20]
        self.emit(record)

    # Tracing: which in-repo functions each test enters (setup, call and teardown)
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if not self.trace:
            yield
            return
        # cProfile is the C-level profile hook (what sys.setprofile installs) and records each code
        # object entered at a fraction of a Python callback's cost; threads started meanwhile get ours.
        self.current = set()
        profiler = cProfile.Profile()
        threading.setprofile(self.profile)
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()
            threading.setprofile(None)
            for entry in profiler.getstats():
                code = entry.code
                if not isinstance(code, str):
                    fid = self.codes.get(id(code))
                    if fid is None:
                        fid = self.classify(code)
                    if fid >= 0:
                        self.current.add(fid)
            self.emit({"t": "cover", "nodeid": item.nodeid, "fns": sorted(self.current)})
            self.current = set()

    def profile(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        fid = self.codes.get(id(code))
        if fid is None:
            fid = self.classify(code)
        if fid >= 0:
            self.current.add(fid)

    def classify(self, code):
        self.keep.append(code)
        fid = -1
        name = code.co_name
        if code.co_flags & _CO_NEWLOCALS and not name.startswith("<"):
            filename = code.co_filename
            rel = self.files.get(filename, 0)
            if rel == 0:
                rel = self.rel(filename)
                if rel is None or os.path.isabs(rel) or rel.startswith("<") or (self.exclude and self.exclude.search(rel)):
                    rel = None
                self.files[filename] = rel
            if rel is not None:
                key = (rel, getattr(code, "co_qualname", name), code.co_firstlineno)
                fid = self.functions.get(key)
                if fid is None:
                    fid = self.functions[key] = len(self.functions)
                    self.emit({"t": "fn", "id": fid, "file": key[0], "qualname": key[1], "line": key[2]})
        self.codes[id(code)] = fid
        return fid
`;
