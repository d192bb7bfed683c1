/**
 * Instance generation on a large repository (sympy: ~1,500 files, 31 MB) against CPython's own
 * parser on the same files, measured side by side in one run: func-localize (200 instances) and
 * dep-search, each with a cold cache and then a warm one, every run in a child process of its own
 * so that its time and peak memory (max RSS, worker threads included) are its own.
 *
 * Run (after `npm run build`; nothing here runs TypeScript directly, esbuild comes with tsup):
 *   npx esbuild bench/generate-large-repo.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=.cache/bench/generate.mjs && node .cache/bench/generate.mjs [--n 200] [--repeat 2]
 * Needs apt-get (downloads python3-sympy into .cache/bench/ once). Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackage } from './debian-package.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = [HERE, path.resolve(HERE, '..'), path.resolve(HERE, '../..')].find((d) => existsSync(path.join(d, 'package.json'))) ?? process.cwd();
const CACHE = path.join(ROOT, '.cache/bench');
const DIST = path.join(ROOT, 'dist/index.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

// CPython's parser over the files the analysis reads (every .py file up to 1 MB), reading included.
const AST_PARSE = String.raw`
import ast, os, sys, time, warnings
warnings.simplefilter('ignore')
root = sys.argv[1]
files = []
for d, dirs, names in os.walk(root):
    dirs[:] = [x for x in dirs if not x.startswith('.') and x != '__pycache__']
    files += [os.path.join(d, n) for n in names if n.endswith('.py')]
t = time.perf_counter()
parsed = 0
for f in files:
    with open(f, 'rb') as fh:
        src = fh.read()
    if len(src) > 1_000_000:
        continue
    try:
        ast.parse(src)
        parsed += 1
    except (SyntaxError, ValueError):
        pass
print(int((time.perf_counter() - t) * 1000), parsed, len(files))
`;

// One generation in a fresh process: wall time of the call, the process' peak RSS, instance count.
const CHILD = String.raw`
const [dist, task, repo, n] = process.argv.slice(1);
const lib = await import(dist);
const generate = (task === 'func-localize' ? lib.funcLocalizeTask : lib.depSearchTask).generate;
const t = performance.now();
const instances = await generate({ repo, n: Number(n), seed: 0 });
const ms = Math.round(performance.now() - t);
const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify({ ms, rssMb, instances: instances.length }) + '\n');
`;

interface Run {
  ms: number;
  rssMb: number;
  instances: number;
}

function generation(task: string, repo: string, n: number, cache: string): Run {
  const env = { ...process.env, HYBRID_GYM_CACHE: cache };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, DIST, task, repo, String(n)], { encoding: 'utf8', maxBuffer: 1 << 26, env });
  if (r.status !== 0) throw new Error(`${task} generation failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

function astParse(repo: string): { ms: number; parsed: number; files: number } {
  const r = spawnSync('python3', ['-c', AST_PARSE, repo], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ast.parse run failed: ${r.stderr}`);
  const [ms, parsed, files] = r.stdout.trim().split(/\s+/).map(Number) as [number, number, number];
  return { ms, parsed, files };
}

const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
const ratio = (a: number, b: number): number => Math.round((a / b) * 10) / 10;

function main(): void {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build first`);
  const n = arg('--n', 200);
  const repeat = arg('--repeat', 2);
  const repo = ensureDebianPackage(CACHE, 'sympy');
  const python = [] as ReturnType<typeof astParse>[];
  const rows: Record<string, unknown> = {};
  for (let i = 0; i < repeat; i++) python.push(astParse(repo));
  const ast = python.reduce((a, b) => (b.ms < a.ms ? b : a));
  rows.astParseMs = ast.ms;
  rows.files = ast.files;
  for (const task of ['func-localize', 'dep-search']) {
    const cold: Run[] = [];
    const warm: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      const cache = mkdtempSync(path.join(tmpdir(), 'hg-bench-cache-'));
      try {
        cold.push(generation(task, repo, n, cache));
        warm.push(generation(task, repo, n, cache));
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    }
    const c = best(cold);
    const w = best(warm);
    rows[task] = {
      instances: c.instances,
      coldMs: c.ms,
      coldPeakRssMb: Math.max(...cold.map((r) => r.rssMb)),
      warmMs: w.ms,
      warmPeakRssMb: Math.max(...warm.map((r) => r.rssMb)),
      astParseOverCold: ratio(ast.ms, c.ms),
      astParseOverWarm: ratio(ast.ms, w.ms),
      coldOverWarm: ratio(c.ms, w.ms),
    };
  }
  process.stdout.write(`sympy: ${ast.files} files; ast.parse of them ${ast.ms} ms (best of ${repeat})\n`);
  for (const task of ['func-localize', 'dep-search']) {
    const r = rows[task] as Record<string, number>;
    process.stdout.write(
      `${task.padEnd(14)} ${r.instances} instances: cold ${r.coldMs} ms (${r.coldPeakRssMb} MB peak), warm ${r.warmMs} ms (${r.warmPeakRssMb} MB); ` +
        `ast.parse/cold ${r.astParseOverCold}x, ast.parse/warm ${r.astParseOverWarm}x, cold/warm ${r.coldOverWarm}x\n`,
    );
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

main();
