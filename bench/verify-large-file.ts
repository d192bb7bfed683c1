/**
 * Verifying a one-line change in a ~5 MB Python file: func-localize (the docstring written back on
 * a target in the big file) and dep-search (the marker comment above a dependency in it), timed
 * with the verifiers of a baseline revision and with these, in one run; and a concurrent episode's
 * `env.step` latency (bash `echo` in a Docker sandbox) idle and while these verifiers run, with the
 * event loop's delay (perf_hooks.monitorEventLoopDelay) beside it.
 *
 * Run (esbuild comes with tsup; the worker is a second entry, found beside the bench's bundle):
 *   npx esbuild bench/verify-large-file.ts src/tasks/verify-worker.ts --bundle --platform=node --format=esm \
 *     --packages=external --entry-names=[name] --outdir=.cache/bench/verify-large \
 *     && node .cache/bench/verify-large/verify-large-file.js [--baseline REV] [--git DIR] [--no-baseline] [--no-docker] [--reps N]
 * The baseline's sources come from `git archive REV` (default: the commit before the one that
 * added src/tasks/verify-offload.ts, or HEAD) of the checkout at --git (default: this one) and run in
 * a child process with this same file.
 * The big file is the standard library's modules (/usr/lib/python3.11) concatenated: needs python3
 * to check that it compiles. Docker (the bench's sandbox image) for the env.step part. Prints a
 * table, then a JSON summary last.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parsePythonSource } from '../src/analysis/index.js';
import { verifyDepSearch } from '../src/tasks/dep-search/verify.js';
import type { DepSearchInstance } from '../src/tasks/dep-search/schema.js';
import type { FuncLocalizeInstance } from '../src/tasks/func-localize/schema.js';
import { verifyFuncLocalize } from '../src/tasks/func-localize/verify.js';
import { funcLocalizeWorkspace } from '../src/tasks/func-localize/workspace.js';
import { loadRepoFiles, type WorkspaceFiles } from '../src/workspace/files.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = [HERE, path.resolve(HERE, '..'), path.resolve(HERE, '../..'), path.resolve(HERE, '../../..')].find((d) => existsSync(path.join(d, 'package.json')) && existsSync(path.join(d, 'src'))) ?? process.cwd();
const WORK = path.join(ROOT, '.cache/bench/verify-large');
const REPO = path.join(WORK, 'repo');
const STDLIB = '/usr/lib/python3.11';
const TARGET_BYTES = 5_200_000;

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const flag = (name: string): boolean => process.argv.includes(name);
/** The git checkout the baseline's sources come from. */
const GIT = arg('--git') ?? ROOT;
const say = (line: string): void => void process.stderr.write(`${line}\n`);

interface Scenario {
  funcLocalize: FuncLocalizeInstance;
  depSearch: DepSearchInstance;
  /** One line inserted (1-based: it becomes that line) into the file the task's workspace gives. */
  funcEdit: { file: string; line: number; text: string };
  depEdit: { file: string; line: number; text: string };
}

/** The standard library's modules, concatenated into one file that compiles, and a small caller. */
function makeRepo(): void {
  if (existsSync(path.join(REPO, 'big.py'))) return;
  mkdirSync(REPO, { recursive: true });
  const parts: string[] = [];
  let size = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (size >= TARGET_BYTES) return;
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!['test', 'tests', 'idlelib', 'lib2to3', 'site-packages', 'dist-packages', '__pycache__'].includes(name)) walk(p);
        continue;
      }
      if (!name.endsWith('.py')) continue;
      const text = readFileSync(p, 'utf8');
      const head = text.split('\n', 2).join('\n');
      if (text.includes('\r') || text.includes('\0') || text.includes('\uFFFD') || /coding[:=]/.test(head)) continue;
      const body = text.split('\n').filter((l) => !l.startsWith('from __future__')).join('\n');
      parts.push(`# ---- ${path.relative(STDLIB, p)}\n${body}${body.endsWith('\n') ? '' : '\n'}`);
      size += Buffer.byteLength(parts[parts.length - 1]!);
    }
  };
  walk(STDLIB);
  const big = parts.join('');
  writeFileSync(path.join(REPO, 'big.py'), big);
  const r = spawnSync('python3', ['-c', 'import sys; compile(open(sys.argv[1], "rb").read(), "big.py", "exec")', path.join(REPO, 'big.py')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`big.py does not compile: ${r.stderr.slice(-500)}`);
  writeFileSync(path.join(REPO, 'small.py'), 'def caller(x):\n    return x\n');
}

/** Hand-made instances on the big file (the generators' analysis skips files over 1 MB). */
function makeScenario(): Scenario {
  const file = path.join(WORK, 'scenario.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Scenario;
  const text = readFileSync(path.join(REPO, 'big.py'), 'utf8');
  say('bench: parsing big.py once to pick the targets');
  const defs = parsePythonSource(text, 'big.py').definitions;
  const lines = text.split('\n').length;
  // A top-level function with a one-paragraph docstring past the middle of the file.
  const target = defs.find((d) => d.kind === 'function' && !d.qualname.includes('.') && d.line > lines * 0.55 && d.docstring && !d.docstring.concatenated && d.docstring.line === d.bodyLine && d.docstring.line > d.line && !d.docstringOnly)!;
  const occurrence = defs.filter((d) => d.qualname === target.qualname && d.line < target.line).length;
  // A dependency a fifth of the way in.
  const dep = defs.find((d) => d.kind === 'function' && !d.qualname.includes('.') && d.line > lines * 0.2)!;
  const repo = { path: REPO, name: 'verify-large' };
  const funcLocalize: FuncLocalizeInstance = {
    id: 'verify-large-fl', task: 'func-localize', repo, seed: 0, description: 'bench', showName: true,
    targets: [{ file: 'big.py', name: target.name, qualname: target.qualname, kind: 'function', occurrence, line: target.line, endLine: target.endLine,
      docstring: { line: target.docstring!.line, endLine: target.docstring!.endLine, text: target.docstring!.literal } }],
  } as FuncLocalizeInstance;
  const depSearch: DepSearchInstance = {
    id: 'verify-large-ds', task: 'dep-search', repo, seed: 0, reward: 'binary',
    target: { file: 'small.py', name: 'caller', qualname: 'caller', line: 1, endLine: 2 },
    dependencies: [{ file: 'big.py', name: dep.name, qualname: dep.qualname, kind: 'function', line: dep.line, endLine: dep.endLine, anchorLine: dep.anchorLine }],
  } as DepSearchInstance;
  // The masked target's body starts right after its `def` line (a one-line signature here or not: after the docstring's line gone).
  const bodyIndent = /^\s*/.exec(text.split('\n')[target.docstring!.line - 1]!)![0];
  const scenario: Scenario = {
    funcLocalize,
    depSearch,
    funcEdit: { file: 'big.py', line: target.docstring!.line, text: `${bodyIndent}"""Documented by the bench."""` },
    depEdit: { file: 'big.py', line: dep.anchorLine, text: '# this function/class is called by the caller function' },
  };
  writeFileSync(file, JSON.stringify(scenario));
  return scenario;
}

function withLine(files: WorkspaceFiles, edit: { file: string; line: number; text: string }): WorkspaceFiles {
  const out = new Map(files);
  const lines = out.get(edit.file)!.toString('utf8').split('\n');
  lines.splice(edit.line - 1, 0, edit.text);
  out.set(edit.file, Buffer.from(lines.join('\n')));
  return out;
}

interface Timings {
  funcLocalizeMs: number[];
  depSearchMs: number[];
  funcLocalizeReward: number;
  depSearchReward: number;
}

/** The final files of both scenarios (masking the big file parses it whole: not part of the timings). */
async function prepare(s: Scenario): Promise<{ fl: WorkspaceFiles; ds: WorkspaceFiles }> {
  return { fl: withLine(await funcLocalizeWorkspace(s.funcLocalize), s.funcEdit), ds: withLine(await loadRepoFiles(s.depSearch.repo.path), s.depEdit) };
}

/** The two verifications, `reps` times each. */
async function measure(s: Scenario, reps: number, files?: { fl: WorkspaceFiles; ds: WorkspaceFiles }): Promise<Timings> {
  const { fl, ds } = files ?? (await prepare(s));
  const out: Timings = { funcLocalizeMs: [], depSearchMs: [], funcLocalizeReward: -1, depSearchReward: -1 };
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    out.funcLocalizeReward = (await verifyFuncLocalize(s.funcLocalize, fl)).reward;
    out.funcLocalizeMs.push(Math.round(performance.now() - t));
    t = performance.now();
    out.depSearchReward = (await verifyDepSearch(s.depSearch, ds)).reward;
    out.depSearchMs.push(Math.round(performance.now() - t));
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The baseline revision's verifiers, run by this same file in a child process. */
function baseline(rev: string, reps: number): Timings {
  const dir = path.join(ROOT, '.cache/bench/verify-baseline');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['-C', GIT, 'archive', rev, 'src', 'package.json'], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  mkdirSync(path.join(dir, 'bench'));
  cpSync(path.join(ROOT, 'bench/verify-large-file.ts'), path.join(dir, 'bench/verify-large-file.ts'));
  const out = path.join(dir, 'out');
  execFileSync('npx', ['esbuild', 'bench/verify-large-file.ts', '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outdir=${out}`, '--log-level=warning'], { cwd: dir, stdio: 'inherit' });
  // Packages resolve from the project's node_modules (a parent folder of the bundle).
  const r = spawnSync('node', [path.join(out, 'verify-large-file.js'), '--child', String(reps), '--work', WORK], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`the baseline run failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Timings;
}

/** env.step latencies of a bench episode (bash `echo`), idle and while `during` runs; event-loop delay beside them. */
async function stepLatency(during: () => Promise<unknown>): Promise<Record<string, number> & { idleStepMs: number; busyStepMs: number }> {
  const { DockerProvider } = await import('../src/sandbox/docker/docker-provider.js');
  const { SandboxPool } = await import('../src/sandbox/pool.js');
  const { make } = await import('../src/env/registry.js');
  const { benchTask, BENCH_INSTANCES } = await import('../src/bench/env-bench.js');
  const provider = await DockerProvider.start();
  const pool = new SandboxPool(provider, { warm: 0 });
  const env = await make(benchTask, { instances: BENCH_INSTANCES, pool, maxSteps: 100_000 });
  try {
    await env.reset({ seed: 0 });
    const step = async (): Promise<number> => {
      const t = performance.now();
      await env.step({ tool: 'bash', input: { command: 'echo hi' } });
      return performance.now() - t;
    };
    for (let i = 0; i < 5; i++) await step();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const idle: number[] = [];
    for (let i = 0; i < 300; i++) idle.push(await step());
    loop.disable();
    const idleLoopP99Ms = loop.percentile(99) / 1e6;
    loop.reset();
    const busy: number[] = [];
    let done = false;
    loop.enable();
    const work = during().finally(() => (done = true));
    while (!done) busy.push(await step());
    await work;
    loop.disable();
    const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
    return {
      idleStepMs: +median(idle).toFixed(2),
      busyStepMs: +median(busy).toFixed(2),
      idleStepP99Ms: +p99(idle).toFixed(2),
      busyStepP99Ms: +p99(busy).toFixed(2),
      busyStepMaxMs: +Math.max(...busy).toFixed(2),
      idleLoopP99Ms: +idleLoopP99Ms.toFixed(1),
      busyLoopP99Ms: +(loop.percentile(99) / 1e6).toFixed(1),
      busyLoopMaxMs: +(loop.max / 1e6).toFixed(1),
      busySteps: busy.length,
    };
  } finally {
    await env.close();
    await pool.close();
    await provider.close();
  }
}

async function main(): Promise<void> {
  if (flag('--child')) {
    // The baseline's run: timings on stdout.
    const s = JSON.parse(readFileSync(path.join(arg('--work')!, 'scenario.json'), 'utf8')) as Scenario;
    process.stdout.write(`${JSON.stringify(await measure(s, Number(arg('--child'))))}\n`);
    return;
  }
  const reps = Number(arg('--reps') ?? 5);
  makeRepo();
  const s = makeScenario();
  say(`bench: big.py ${statSync(path.join(REPO, 'big.py')).size} bytes; func-localize target ${s.funcLocalize.targets[0]!.qualname} (line ${s.funcLocalize.targets[0]!.line}), dep-search dependency ${s.depSearch.dependencies[0]!.qualname} (line ${s.depSearch.dependencies[0]!.line})`);
  let before: Timings | null = null;
  if (!flag('--no-baseline')) {
    const added = spawnSync('git', ['-C', GIT, 'log', '--diff-filter=A', '--format=%H', '--', 'src/tasks/verify-offload.ts'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).pop();
    const rev = arg('--baseline') ?? (added ? `${added}^` : 'HEAD');
    say(`bench: baseline verifiers of ${rev}, once each`);
    before = baseline(rev, 1);
  }
  say(`bench: these verifiers, ${reps} times each`);
  const files = await prepare(s);
  const after = await measure(s, reps, files);
  let steps = null;
  if (!flag('--no-docker')) {
    say('bench: env.step (bash echo) idle, then while both verifiers run 3 times each');
    steps = await stepLatency(() => measure(s, 3, files));
  }
  const summary = {
    bigFileBytes: statSync(path.join(REPO, 'big.py')).size,
    ...(before && { baselineFuncLocalizeMs: median(before.funcLocalizeMs), baselineDepSearchMs: median(before.depSearchMs), baselineRewards: [before.funcLocalizeReward, before.depSearchReward] }),
    funcLocalizeMs: median(after.funcLocalizeMs),
    depSearchMs: median(after.depSearchMs),
    rewards: [after.funcLocalizeReward, after.depSearchReward],
    ...(before && { funcLocalizeSpeedup: +(median(before.funcLocalizeMs) / median(after.funcLocalizeMs)).toFixed(1), depSearchSpeedup: +(median(before.depSearchMs) / median(after.depSearchMs)).toFixed(1) }),
    ...(steps && { ...steps, busyOverIdleStep: +(steps.busyStepMs / steps.idleStepMs).toFixed(2) }),
  };
  for (const [k, v] of Object.entries(summary)) process.stdout.write(`${k.padEnd(24)} ${JSON.stringify(v)}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await main();
