import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSyntaxErrors } from '../../../../src/analysis/index.js';
import { checkBodyPolicy, checkFunctionBodyPolicy } from '../../../../src/tasks/func-gen/body-policy.js';
import { funcGenCandidates } from '../../../../src/tasks/func-gen/candidates.js';
import { maskFunctionBody } from '../../../../src/tasks/func-gen/mask.js';
import { debianPythonModule, pyFiles } from '../../../support/debian-repos.js';


// Real code nobody here wrote: every function of these packages is masked and its body checked.
const PACKAGES = [
  { deb: 'python3-toolz', module: 'toolz' },
  { deb: 'python3-simplejson', module: 'simplejson' },
];

/**
 * Every body of these packages the policy flags, and each really does what it is flagged for:
 * toolz looks modules and attributes up by name (`importlib.import_module`, `getattr(module,
 * name)` when pickling curried functions) and reads bound methods' `__self__`
 * (merge_with, groupby); its tests import pytest, importlib and doctest, read `vars()` and build
 * functions with `exec`; simplejson swaps its C speedups by assigning module globals
 * (`_toggle_speedups`), calls methods by computed names; its tests
 * compare against `eval` of JSON text and build unittest and doctest suites.
 */
const EXPECTED_FLAGS: Record<string, string[]> = {
  toolz: [
    '_signatures.py:create_signature_registry:665 importlib',
    '_signatures.py:create_signature_registry:667 attribute by a computed name',
    '_signatures.py:create_signature_registry:669 attribute by a computed name',
    'dicttoolz.py:merge_with:69 __self__',
    'functoolz.py:curry.__reduce__:356 importlib',
    'functoolz.py:curry.__reduce__:361 attribute by a computed name',
    'functoolz.py:_restore_curry:381 importlib',
    'functoolz.py:_restore_curry:383 attribute by a computed name',
    'functoolz.py:_restore_curry:388 __dict__',
    'itertoolz.py:groupby:103 __self__',
    'tests/test_compatibility.py:test_compat_warn:6 pytest',
    'tests/test_compatibility.py:test_compat_warn:10 importlib',
    'tests/test_curried.py:test_curried_operator:56 builtins.vars',
    'tests/test_curried.py:test_curried_operator:74 attribute by a computed name',
    'tests/test_curried.py:test_curried_operator:77 builtins.vars',
    'tests/test_curried.py:test_curried_namespace:81 importlib',
    'tests/test_curried.py:test_curried_namespace:91 builtins.vars',
    'tests/test_curried.py:test_curried_namespace:92 builtins.vars',
    'tests/test_curried.py:test_curried_namespace:96 __dict__',
    'tests/test_curried.py:test_curried_namespace:113 attribute by a computed name',
    'tests/test_curried_doctests.py:test_doctests:6 assignment to an imported name',
    'tests/test_curried_doctests.py:test_doctests:7 builtins.vars',
    'tests/test_curried_doctests.py:test_doctests:9 assignment to an imported name',
    'tests/test_curried_doctests.py:test_doctests:10 doctest',
    'tests/test_curried_doctests.py:test_doctests:11 assignment to an imported name',
    'tests/test_functoolz.py:test_memoize_on_classmethods:419 class that compares equal',
    'tests/test_inspect_args.py:make_func:21 builtins.exec',
    'tests/test_inspect_args.py:make_func:21 builtins.globals',
    'tests/test_inspect_args.py:test_introspect_builtin_modules:392 attribute by a computed name',
    'tests/test_inspect_args.py:test_introspect_builtin_modules:393 attribute by a computed name',
    'tests/test_inspect_args.py:test_introspect_builtin_modules:422 builtins.vars',
    'tests/test_inspect_args.py:test_introspect_builtin_modules.<locals>.add_denylist:392 attribute by a computed name',
    'tests/test_inspect_args.py:test_introspect_builtin_modules.<locals>.add_denylist:393 attribute by a computed name',
    'tests/test_inspect_args.py:test_inspect_signature_property:464 assignment to an imported name',
    'tests/test_inspect_args.py:test_inspect_signature_property:466 assignment to an imported name',
    'tests/test_inspect_args.py:test_inspect_wrapped_property:486 assignment to an imported name',
    'tests/test_itertoolz.py:test_partition_all:323 class that compares equal',
    'tests/test_serialization.py:test_compose:10 pickle',
    'tests/test_serialization.py:test_curry:16 pickle',
    'tests/test_serialization.py:test_juxt:22 pickle',
    'tests/test_serialization.py:test_complement:31 pickle',
    'tests/test_serialization.py:test_instanceproperty:41 pickle',
    'tests/test_serialization.py:test_flip:52 pickle',
    'tests/test_serialization.py:test_flip:55 pickle',
    'tests/test_serialization.py:test_flip:58 pickle',
    'tests/test_serialization.py:test_curried_exceptions:64 pickle',
    'tests/test_serialization.py:test_curried_qualname:118 pickle',
    'tests/test_serialization.py:test_curried_qualname:127 pickle',
    'tests/test_serialization.py:test_curried_qualname:132 pickle',
    'tests/test_serialization.py:test_curried_qualname:137 pickle',
    'tests/test_serialization.py:test_curried_qualname:142 pickle',
    'tests/test_serialization.py:test_curried_qualname.<locals>.preserves_identity:118 pickle',
    'tests/test_serialization.py:test_curried_bad_qualname:192 pickle',
  ],
  simplejson: [
    '__init__.py:_toggle_speedups:551 assignment to an imported name',
    '__init__.py:_toggle_speedups:552 assignment to an imported name',
    '__init__.py:_toggle_speedups:553 assignment to an imported name',
    '__init__.py:_toggle_speedups:555 assignment to an imported name',
    '__init__.py:_toggle_speedups:557 assignment to an imported name',
    '__init__.py:_toggle_speedups:558 assignment to an imported name',
    '__init__.py:_toggle_speedups:559 assignment to an imported name',
    '__init__.py:_toggle_speedups:560 assignment to an imported name',
    '__init__.py:_toggle_speedups:561 assignment to an imported name',
    '__init__.py:_toggle_speedups:562 global',
    '__init__.py:_toggle_speedups:568 global',
    'encoder.py:_make_iterencode:455 attribute by a computed name',
    'encoder.py:_make_iterencode.<locals>.call_method:455 attribute by a computed name',
    'tests/__init__.py:NoExtensionTestSuite.run:12 unittest',
    'tests/__init__.py:additional_tests:31 unittest',
    'tests/__init__.py:additional_tests:33 doctest',
    'tests/__init__.py:additional_tests:40 doctest',
    'tests/__init__.py:additional_tests:43 doctest',
    'tests/__init__.py:all_tests_suite:58 unittest',
    'tests/__init__.py:all_tests_suite:68 unittest',
    'tests/__init__.py:all_tests_suite.<locals>.get_suite:58 unittest',
    'tests/__init__.py:main:78 unittest',
    'tests/test_decimal.py:TestDecimal.test_decimal_reload:67 global',
    'tests/test_decimal.py:TestDecimal.test_decimal_reload:70 assignment to an imported name',
    'tests/test_decode.py:TestDecode.test_empty_objects:41 builtins.eval',
    'tests/test_decode.py:TestDecode.test_empty_objects:43 builtins.eval',
    'tests/test_decode.py:TestDecode.test_empty_objects:45 builtins.eval',
    'tests/test_decode.py:TestDecode.test_object_pairs_hook:51 builtins.eval',
    'tests/test_errors.py:TestErrors.test_error_is_pickable:62 pickle',
    'tests/test_errors.py:TestErrors.test_error_is_pickable:63 pickle',
    'tests/test_namedtuple.py:TestNamedTuple.test_asdict_does_not_return_dict:155 unittest',
    'tests/test_namedtuple.py:TestNamedTuple.test_asdict_does_not_return_dict:156 unittest',
    'tests/test_namedtuple.py:TestNamedTuple.test_asdict_does_not_return_dict:157 unittest',
    'tests/test_namedtuple.py:TestNamedTuple.test_asdict_does_not_return_dict:161 unittest',
    'tests/test_speedups.py:skip_if_speedups_missing:19 unittest',
    'tests/test_speedups.py:skip_if_speedups_missing:20 unittest',
    'tests/test_speedups.py:skip_if_speedups_missing.<locals>.wrapper:19 unittest',
    'tests/test_speedups.py:skip_if_speedups_missing.<locals>.wrapper:20 unittest',
    'tests/test_unicode.py:TestUnicode.test_object_pairs_hook_with_unicode:65 builtins.eval',
  ],
};

describe('func-gen on real packages (Debian)', () => {
  it.each(PACKAGES)('$module: the policy flags only bodies that really do what it forbids; every candidate masks to a file that parses and splices back', ({ deb, module }) => {
    const root = debianPythonModule(deb, module);
    let functions = 0;
    let candidates = 0;
    const flags: string[] = [];
    for (const path of pyFiles(root)) {
      const file = relative(root, path);
      const source = readFileSync(path, 'utf8');
      for (const v of funcGenCandidates(source, file)) {
        functions++;
        // Every function body against the policy, in its file.
        const inFile = checkFunctionBodyPolicy(source, { qualname: v.qualname, occurrence: v.occurrence })!;
        if (!inFile.ok) flags.push(...inFile.violations.map((x) => `${file}:${v.qualname}:${x.line} ${x.what.split(':')[0]}`));
        if (!v.ok) continue;
        // Every candidate masked: the file still parses and splices back; its gold body alone checks the same.
        candidates++;
        const r = maskFunctionBody(source, { qualname: v.qualname, occurrence: v.occurrence, file });
        if (!r.ok) throw new Error(`${file}:${v.qualname}: ${r.reason}: ${r.detail}`);
        expect(r.masked.slice(0, r.placeholder.start) + r.body.text + r.masked.slice(r.placeholder.end)).toBe(source);
        expect(hasSyntaxErrors(r.masked), `${file}:${v.qualname}`).toBe(false);
        const alone = checkBodyPolicy(r.body.text, { firstLine: r.body.line, parameters: r.definition.parameters.map((p) => p.name), moduleSource: source });
        expect(alone, `${file}:${v.qualname}`).toEqual(inFile);
      }
    }
    console.log(`${module}: ${functions} functions, ${candidates} candidates; body policy flags ${flags.length}:\n  ${flags.join('\n  ')}`);
    expect(functions).toBeGreaterThan(50);
    expect(candidates).toBeGreaterThan(20);
    expect(flags).toEqual(EXPECTED_FLAGS[module]);
  }, 120_000);
});
