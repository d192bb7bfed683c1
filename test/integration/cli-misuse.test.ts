import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFuncLocalize } from '../../src/tasks/func-localize/generate.js';
import { toJsonl } from '../../src/tasks/instances-io.js';
import { explain, requireBuild, ROOT, runCli } from '../support/run-cli.js';

// Every way a user can misuse the command line that we could think of: each must exit non-zero
// with exactly one line on stderr, `hybrid-gym: <what is wrong>`, no stack trace, and nothing on
// stdout. None of them needs a container engine: they fail before any sandbox starts.

let tmp = '';
const T = (p: string): string => join(tmp, p);
const SHOP = join(ROOT, 'test/fixtures/func-localize/shop');

beforeAll(async () => {
  requireBuild();
  tmp = await mkdtemp(join(tmpdir(), 'hybrid-gym-cli-misuse-'));
  const instances = await generateFuncLocalize({ repo: SHOP, n: 2 });
  await writeFile(T('good.jsonl'), toJsonl(instances));
  await writeFile(T('empty.jsonl'), '');
  await writeFile(T('rows.jsonl'), `${JSON.stringify({ instance_id: 'a__b-1', repo: 'a/b', base_commit: 'abc1234', problem_statement: 'x', patch: '' })}\n`);
  await writeFile(T('broken.jsonl'), '{"id": "a", \n');
  await writeFile(T('unknown-task.jsonl'), `${JSON.stringify({ ...instances[0], task: 'no-such-task' })}\n`);
  await writeFile(T('two-tasks.jsonl'), toJsonl([instances[0], { ...instances[1], task: 'dep-search' }]));
  await writeFile(T('bad-instance.jsonl'), `${JSON.stringify({ ...instances[0], targets: 'none' })}\n`);
  await mkdir(T('full'));
  await writeFile(T('full/keep.txt'), 'mine\n');
  await mkdir(T('only-tests/tests'), { recursive: true });
  await writeFile(T('only-tests/tests/test_a.py'), 'def test_a():\n    """Checks that a works."""\n');
  await writeFile(T('only-tests/broken.py'), 'def f(:\n');
  await mkdir(T('no-python'));
  await writeFile(T('no-python/README.md'), '# nothing here\n');
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

type Case = [name: string, args: () => string[], message: RegExp, code?: number];

const GEN = ['generate', 'func-localize', '--repo', SHOP];
const cases: Case[] = [
  // generate
  ['no task', () => ['generate', '--repo', SHOP], /missing required argument 'task'/],
  ['an unknown task, with a suggestion', () => ['generate', 'func-localise', '--repo', SHOP], /<task> func-localise: did you mean "func-localize"\? Tasks: dep-search, func-gen, func-localize/],
  ['no --repo', () => ['generate', 'func-localize'], /generate func-localize needs --repo <dir>, the repository$/],
  ['issue-localize with neither source', () => ['generate', 'issue-localize'], /generate issue-localize needs --repo <dir>, the repository, or --issues <file> --repos-dir <dir>/],
  ['--issues for a task that takes none', () => ['generate', 'func-localize', '--issues', T('good.jsonl'), '--repos-dir', tmp], /--issues is for issue-localize; func-localize generates from --repo/],
  ['--issues without --repos-dir', () => ['generate', 'issue-localize', '--issues', T('good.jsonl')], /--issues needs --repos-dir/],
  ['--issues and --repo together', () => ['generate', 'issue-localize', '--issues', T('good.jsonl'), '--repos-dir', tmp, '--repo', SHOP], /give either --repo or --issues, not both/],
  ['--repos-dir without --issues', () => ['generate', 'issue-localize', '--repo', SHOP, '--repos-dir', tmp], /--repos-dir goes with --issues/],
  ['an --issues file that does not exist', () => ['generate', 'issue-localize', '--issues', T('nope.jsonl'), '--repos-dir', tmp], /--issues .*nope\.jsonl: no such file/],
  ['run on issue rows instead of instances', () => ['run', T('rows.jsonl'), '--agent', 'oracle'], /these are issue rows, not instances: make instances with `hybrid-gym generate issue-localize --issues FILE --repos-dir DIR`/, 1],
  ['an --issues line that is not a row', () => ['generate', 'issue-localize', '--issues', T('good.jsonl'), '--repos-dir', tmp], /good\.jsonl line 1.*instance_id/, 1],
  ['a --repo that does not exist', () => ['generate', 'func-localize', '--repo', './nope'], /--repo \.\/nope: no such directory/],
  ['a --repo that is a file', () => ['generate', 'func-localize', '--repo', 'package.json'], /--repo package\.json: not a directory/],
  ['--n 0', () => [...GEN, '--n', '0'], /--n 0: expected a whole number >= 1/],
  ['--n 2.5', () => [...GEN, '--n', '2.5'], /--n 2\.5: expected a whole number >= 1/],
  ['--n -3', () => [...GEN, '--n', '-3'], /--n -3: expected a whole number >= 1/],
  ['--n 1e3', () => [...GEN, '--n', '1e3'], /--n 1e3: expected a whole number/],
  ['--n 0x10', () => [...GEN, '--n', '0x10'], /--n 0x10: expected a whole number/],
  ['--n with no value', () => [...GEN, '--n'], /option '--n <n>' argument missing/],
  ['--seed 1x', () => [...GEN, '--seed', '1x'], /--seed 1x: expected a whole number/],
  ['--set without a value', () => [...GEN, '--set', 'perFile'], /--set perFile: expected key=value, for example --set perFile=10/],
  ['--set of an unknown generator option', () => [...GEN, '--set', 'perFil=3'], /perFil: unknown option; did you mean "perFile"\?/],
  ['--seed empty', () => [...GEN, '--seed', ''], /--seed "": expected a whole number/],
  ['--out in a folder that does not exist', () => [...GEN, '--out', T('nope/out.jsonl')], /--out .*nope\/out\.jsonl: the folder .*nope does not exist/],
  ['--out that is a folder', () => [...GEN, '--out', tmp], /--out .*: it is a directory/],
  ['an unknown option, with a suggestion', () => [...GEN, '--sed', '1'], /unknown option '--sed'.*Did you mean (one of )?--seed/],
  ['an extra argument', () => [...GEN, 'extra'], /too many arguments for 'generate'/],
  ['a repo without Python files', () => ['generate', 'func-localize', '--repo', T('no-python')], /func-localize found no instances in .*no-python: it holds no Python files/, 1],
  [
    'a repo whose every file is passed over, reasons counted',
    () => ['generate', 'dep-search', '--repo', T('only-tests')],
    /dep-search found no instances in .*only-tests: none of its 2 Python files gave one \((?=.*syntax errors: 1)(?=.*test files \(includeTests is off\): 1)/,
    1,
  ],
  // prepare / verify
  ['prepare: a missing instances file', () => ['prepare', T('nope.jsonl'), '--id', 'x', '--dir', T('new')], /<instances> .*nope\.jsonl: no such file/],
  ['prepare: an instances path that is a folder', () => ['prepare', tmp, '--id', 'x', '--dir', T('new')], /<instances> .*: not a file/],
  ['prepare: no --id', () => ['prepare', T('good.jsonl'), '--dir', T('new')], /required option '--id <id>' not specified/],
  ['prepare: no --dir', () => ['prepare', T('good.jsonl'), '--id', 'x'], /required option '--dir <dir>' not specified/],
  ['prepare: --dir is a file', () => ['prepare', T('good.jsonl'), '--id', 'x', '--dir', T('good.jsonl')], /--dir .*good\.jsonl: it exists and is not a directory/],
  ['prepare: an unknown --id', () => ['prepare', T('good.jsonl'), '--id', 'nope', '--dir', T('new')], /No instance "nope" in .*good\.jsonl \(2 instances, e\.g\. func-localize-shop-/, 1],
  ['prepare: --dir not empty', () => ['prepare', T('good.jsonl'), '--id', '@first', '--dir', T('full')], /--dir .*full is not empty; give a new or empty directory/],
  ['verify: a --dir that does not exist', () => ['verify', T('good.jsonl'), '--id', 'x', '--dir', T('nope')], /--dir .*nope: no such directory/],
  ['verify: an empty instances file', () => ['verify', T('empty.jsonl'), '--id', 'x', '--dir', tmp], /Invalid instances file .*empty\.jsonl: \(root\): it holds no instances/, 1],
  ['verify: a line that is not JSON', () => ['verify', T('broken.jsonl'), '--id', 'x', '--dir', tmp], /Invalid JSON lines in .*broken\.jsonl: line 1: /, 1],
  ['verify: an unregistered task', () => ['verify', T('unknown-task.jsonl'), '--id', 'x', '--dir', tmp], /No task type "no-such-task" is registered/, 1],
  ['verify: two tasks in one file', () => ['verify', T('two-tasks.jsonl'), '--id', 'x', '--dir', tmp], /task: expected one task per file, found func-localize, dep-search/, 1],
  ['verify: an instance that fails its schema', () => ['verify', T('bad-instance.jsonl'), '--id', 'x', '--dir', tmp], /Invalid func-localize instance ".*": targets: /, 1],
  // run
  ['run: a missing instances file', () => ['run', T('nope.jsonl'), '--agent', 'noop'], /<instances> .*nope\.jsonl: no such file/],
  ['run: no --agent', () => ['run', T('good.jsonl')], /required option '--agent <agent>' not specified/],
  ['run: an unknown --agent', () => ['run', T('good.jsonl'), '--agent', 'gpt'], /--agent gpt: expected one of: oracle, noop/],
  ['run: --agent openai without --model', () => ['run', T('good.jsonl'), '--agent', 'openai'], /--agent openai needs --model/],
  ['run: --agent openai and no API key for the default endpoint', () => ['run', T('good.jsonl'), '--agent', 'openai', '--model', 'm', '--api-key-env', 'HG_NO_SUCH_KEY'], /--agent openai: apiKey: no API key: set HG_NO_SUCH_KEY/],
  ['run: a --base-url without its scheme', () => ['run', T('good.jsonl'), '--agent', 'openai', '--model', 'm', '--base-url', '127.0.0.1:8000/v1'], /--base-url 127\.0\.0\.1:8000\/v1: expected an http\(s\) URL, e\.g\. http:\/\/127\.0\.0\.1:8000\/v1/],
  ['run: an LLM option with the oracle', () => ['run', T('good.jsonl'), '--agent', 'oracle', '--temperature', '0.5'], /--temperature is an option of --agent openai or anthropic/],
  ['run: --logprobs with anthropic', () => ['run', T('good.jsonl'), '--agent', 'anthropic', '--model', 'm', '--logprobs'], /--logprobs: the Messages API returns no logprobs/],
  ['run: an --agent module that does not exist', () => ['run', T('good.jsonl'), '--agent', './nope-agent.mjs'], /--agent .*nope-agent\.mjs: no such module/],
  ['run: --sandbox foo', () => ['run', T('good.jsonl'), '--agent', 'noop', '--sandbox', 'foo'], /--sandbox foo: expected one of: docker, local/],
  ['run: --reuse with local sandboxes', () => ['run', T('good.jsonl'), '--agent', 'noop', '--sandbox', 'local', '--reuse'], /--reuse: only docker sandboxes are reused \(--sandbox docker\)/],
  ['serve: --reuse with local sandboxes', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--sandbox', 'local', '--reuse'], /--reuse: only docker sandboxes are reused \(--sandbox docker\)/],
  ['run: --concurrency 0', () => ['run', T('good.jsonl'), '--agent', 'noop', '--concurrency', '0'], /--concurrency 0: expected a whole number >= 1/],
  ['run: --concurrency 1.5', () => ['run', T('good.jsonl'), '--agent', 'noop', '--concurrency', '1.5'], /--concurrency 1\.5: expected a whole number >= 1/],
  ['run: --max-steps 0', () => ['run', T('good.jsonl'), '--agent', 'noop', '--max-steps', '0'], /--max-steps 0: expected a whole number >= 1/],
  ['run: --resume without --out', () => ['run', T('good.jsonl'), '--agent', 'noop', '--resume'], /--resume goes with --out <file>, the file to resume/],
  ['run: --episodes-per-instance 0', () => ['run', T('good.jsonl'), '--agent', 'noop', '--episodes-per-instance', '0'], /--episodes-per-instance 0: expected a whole number >= 1/],
  ['run: an --out that is not an episodes file', () => ['run', T('good.jsonl'), '--agent', 'noop', '--out', T('good.jsonl'), '--resume'], /Invalid episodes file .*good\.jsonl: line 1: /, 1],
  ['run: --out in a folder that does not exist', () => ['run', T('good.jsonl'), '--agent', 'noop', '--out', T('nope/t.jsonl')], /--out .*: the folder .*nope does not exist/],
  // serve
  ['serve: no --env', () => ['serve', '--instances', T('good.jsonl')], /required option '--env <id>' not specified/],
  ['serve: an unknown --env, with a suggestion', () => ['serve', '--env', 'hybrid-gym/func-localise-v0', '--instances', T('good.jsonl')], /no env hybrid-gym\/func-localise-v0 is registered \(did you mean hybrid-gym\/func-localize-v0\?\)/],
  ['serve: neither --instances nor --repo', () => ['serve', '--env', 'hybrid-gym/func-localize-v0'], /give --instances <file> \(from `hybrid-gym generate`\) or --repo <dir> \(to generate them at start\)/],
  ['serve: both --instances and --repo', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--repo', SHOP], /give either --instances <file> or --repo <dir>, not both/],
  ['serve: a task name for --env', () => ['serve', '--env', 'func-localize', '--instances', T('good.jsonl')], /no env func-localize is registered \(did you mean hybrid-gym\/func-localize-v0\?\)/],
  ['serve: instances of another task than the env', () => ['serve', '--env', 'hybrid-gym/dep-search-v0', '--instances', T('good.jsonl')], /holds func-localize instances, not dep-search ones: serve them with --env hybrid-gym\/func-localize-v0/],
  ['serve: --seed without --repo', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--seed', '3'], /--seed goes with --repo/],
  ['serve: --host that is not this machine', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--host', '203.0.113.9', '--token', 'x'], /--host 203\.0\.113\.9 is not an address of this machine/],
  ['serve: --set without --repo', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--set', 'n=3'], /--set goes with --repo/],
  ['serve: beyond loopback without a token', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--host', '0.0.0.0'], /--host 0\.0\.0\.0 is reachable from other machines: give --token <token> \(or set HYBRID_GYM_TOKEN\)/],
  ['serve: --port 70000', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--port', '70000'], /--port 70000: expected a port, 0 to 65535/],
  ['serve: --max-sessions 0', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('good.jsonl'), '--max-sessions', '0'], /--max-sessions 0: expected a whole number >= 1/],
  ['serve: an --import that does not exist', () => ['serve', '--env', 'x/y-v0', '--instances', T('good.jsonl'), '--import', T('nope.mjs')], /--import .*nope\.mjs: cannot import .*nope\.mjs: Cannot find module/],
  ['serve: --instances that does not exist', () => ['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', T('nope.jsonl')], /--instances .*nope\.jsonl: no such file/],
  // demo, bench, image, gc
  ['demo: --sandbox foo', () => ['demo', '--sandbox', 'foo'], /--sandbox foo: expected one of: docker, local/],
  ['demo: --n 0', () => ['demo', '--n', '0'], /--n 0: expected a whole number >= 1/],
  ['demo: a --repo that does not exist', () => ['demo', '--repo', T('nope')], /--repo .*nope: no such directory/],
  ['bench: --steps 0', () => ['bench', '--steps', '0'], /--steps 0: expected a whole number >= 1/],
  ['bench: --starts x', () => ['bench', '--starts', 'x'], /--starts x: expected a whole number >= 1/],
  ['bench: a --repo that does not exist', () => ['bench', '--repo', T('nope')], /--repo .*nope: no such directory/],
  ['image build: an unknown --method', () => ['image', 'build', '--method', 'kaniko'], /--method kaniko: expected one of: auto, dockerfile, debootstrap/],
  ['image build: an empty --tag', () => ['image', 'build', '--tag', ''], /--tag "": expected a non-empty value/],
  ['image: no subcommand', () => ['image', 'frob'], /unknown command 'frob'/],
  ['gc: an extra argument', () => ['gc', 'now'], /too many arguments for 'gc'/],
  // the program
  ['an unknown command, with a suggestion', () => ['generat'], /unknown command 'generat'.*Did you mean generate\?/],
  ['an unknown global option', () => ['--verbose'], /unknown option '--verbose'/],
];

describe('command-line misuse', () => {
  it.concurrent.each(cases)('%s: one line, no stack, non-zero exit', async (_name, args, message, code = 2) => {
    // '@first' stands for an id that exists in good.jsonl.
    const first = (JSON.parse((await readFile(T('good.jsonl'), 'utf8')).split('\n')[0]!) as { id: string }).id;
    const argv = args().map((a) => (a === '@first' ? first : a));
    const r = await runCli(argv);
    expect(r.code, explain(r)).toBe(code);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, explain(r)).toHaveLength(1);
    expect(lines[0]).toMatch(/^hybrid-gym: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('says so when a repository gives fewer instances than --n asks for (exit 0, the instances on stdout)', async () => {
    const shop = fileURLToPath(new URL('../fixtures/func-localize/shop', import.meta.url));
    const r = await runCli(['generate', 'func-localize', '--repo', shop, '--n', '50']);
    expect(r.code, explain(r)).toBe(0);
    const made = r.stdout.trim().split('\n').length;
    expect(made).toBeLessThan(50);
    expect(r.stderr).toContain(`generate: ${made} instances, fewer than the 50 asked for`);
    expect(r.stderr).toMatch(/--set perFile=N/);
    const enough = await runCli(['generate', 'func-localize', '--repo', shop, '--n', '2']);
    expect(enough.stderr).not.toMatch(/fewer than/);
  });

  it('shows the stack trace with DEBUG=hybrid-gym*', async () => {
    const r = await runCli(['generate', 'func-localize', '--repo', T('no-python')], { env: { DEBUG: 'hybrid-gym*' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hybrid-gym: func-localize found no instances/m);
    expect(r.stderr).toMatch(/^NoInstancesError: .*\n\s+at /m);
  });

  it('prints the help with usage on no command, and exits non-zero', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: hybrid-gym \[options\] \[command\]/);
  });
});

describe('the command line answers', () => {
  it.each([['--version'], ['-V']])('%s with the package version', async (flag) => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli([flag]);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('generate --help lists the tasks with their descriptions', async () => {
    const r = await runCli(['generate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Tasks:\n {2}dep-search {6}\S.*\n {2}func-gen {8}Implement a function.*\n {2}func-localize {3}Find a function/m);
  });

  it('generate writes instances that verify finds, and ends 0', async () => {
    const out = T('made.jsonl');
    const r = await runCli([...GEN, '--n', '1', '--seed', '3', '--out', out]);
    expect(r.code, explain(r)).toBe(0);
    expect((await readFile(out, 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
