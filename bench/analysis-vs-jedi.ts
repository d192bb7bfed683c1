/**
 * Callee resolution of src/analysis against jedi, and indexing speed on a large package.
 *
 * Run (nothing here runs TypeScript directly; esbuild comes with tsup):
 *   npx esbuild bench/analysis-vs-jedi.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=.cache/bench/bench.mjs && node .cache/bench/bench.mjs [--packages requests,click] [--no-sympy]
 *     [--cached-jedi] [--disagreements out.jsonl]
 * --cached-jedi reuses jedi's last answers (and timings) for an unchanged request (same functions, same helper).
 *
 * Needs apt-get (downloads Debian packages into .cache/bench/ when missing) and jedi for
 * /usr/bin/python3 (`apt-get install -y python3-jedi`). Prints a table, then a JSON summary last.
 * The reference is jedi's goto with its bundled stubs of the measured package hidden and local
 * aliases followed one hop (bench/jedi-callees.py; docs/analysis.md "How the bench adjudicates").
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackage } from './debian-package.js';
import { callees, indexRepo, type Definition } from '../src/analysis/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// The bundle runs from .cache/bench/, the source from bench/: find the project root either way.
const ROOT = [HERE, path.resolve(HERE, '..'), path.resolve(HERE, '../..')].find((d) => existsSync(path.join(d, 'package.json'))) ?? process.cwd();
const CACHE = path.join(ROOT, '.cache/bench');
const JEDI_HELPER = path.join(ROOT, 'bench/jedi-callees.py');

/** Debian package -> top-level Python package(s) it ships. */
const PACKAGES: Record<string, string[]> = {
  requests: ['requests'],
  click: ['click'],
  jinja2: ['jinja2'],
  docutils: ['docutils'],
  sympy: ['sympy'],
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Downloads and extracts `python3-<pkg>` once; returns a repo folder holding only its packages. */
function ensurePackage(pkg: string): string {
  return ensureDebianPackage(CACHE, pkg, PACKAGES[pkg] ?? [pkg]);
}

function isPublic(d: Definition): boolean {
  return d.kind !== 'class' && !d.qualname.includes('<locals>') && d.qualname.split('.').every((p) => !p.startsWith('_'));
}

interface PackageResult {
  package: string;
  files: number;
  functions: number;
  ours: number;
  jedi: number;
  agree: number;
  precision: number;
  recall: number;
  /** Against jedi's goto answers as given: stub answers dropped (jedi's own bug), aliases not followed (see docs/analysis.md). */
  rawPrecision: number;
  rawRecall: number;
  /** Index + callees of all public functions, warm process (wall and CPU), and the first (cold) run. */
  oursMs: number;
  oursCpuMs: number;
  oursColdMs: number;
  /** jedi's goto over the same call sites (wall and CPU, interpreter start excluded), and the whole process. */
  jediMs: number;
  jediCpuMs: number;
  jediWallMs: number;
  /** jediCpuMs / oursCpuMs (CPU time: the machine is shared, wall time is noisy). */
  speedup: number;
  speedupWall: number;
}

const disagreements: { package: string; side: 'ours-only' | 'jedi-only'; fn: string; target: string }[] = [];

async function comparePackage(pkg: string): Promise<PackageResult> {
  const repo = ensurePackage(pkg);
  // Twice: the first run includes loading the native parser and JIT warm-up (reported as cold).
  const runOurs = async () => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const index = await indexRepo(repo);
    const fns = index.definitions.filter(isPublic);
    const ours = new Map<string, Set<string>>();
    for (const fn of fns) ours.set(fn.id, new Set(callees(index, fn).map((d) => d.id)));
    const cpu = process.cpuUsage(cpu0);
    return { index, fns, ours, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  const cold = await runOurs();
  const { index, fns, ours, ms: oursMs, cpuMs: oursCpuMs } = await runOurs();

  const request = path.join(CACHE, pkg, 'jedi-request.json');
  // The helper's hash is part of the request: a changed helper is not answered from the cache.
  const helper = createHash('sha256').update(readFileSync(JEDI_HELPER)).digest('hex').slice(0, 16);
  const body = JSON.stringify({ root: repo, helper, functions: fns.map((f) => ({ id: f.id, file: f.file, line: f.line })) });
  // jedi's answers are cached per request (--cached-jedi) to iterate on accuracy quickly.
  const cached = path.join(CACHE, pkg, 'jedi-result.json');
  let jediOut: { results: Record<string, [string, number | string, 'alias'?][]>; seconds: number; cpuSeconds: number; wallMs?: number };
  if (process.argv.includes('--cached-jedi') && existsSync(cached) && existsSync(request) && readFileSync(request, 'utf8') === body) {
    jediOut = JSON.parse(readFileSync(cached, 'utf8'));
  } else {
    writeFileSync(request, body);
    const w0 = performance.now();
    const run = spawnSync('/usr/bin/python3', [JEDI_HELPER, request], { maxBuffer: 1 << 28, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`jedi helper failed: ${run.stderr}`);
    jediOut = { ...JSON.parse(run.stdout), wallMs: performance.now() - w0 };
    writeFileSync(cached, JSON.stringify(jediOut));
  }
  const jediWallMs = jediOut.wallMs ?? 0;

  const byLine = new Map<string, Definition>();
  for (const d of index.definitions) byLine.set(`${d.file}:${d.line}`, d);
  // A stub answer `pkg.mod.Cls.meth` maps to the repository's definition of that module and qualname.
  const fromStub = (fullName: string): Definition | undefined => {
    const parts = fullName.split('.');
    for (let i = parts.length - 1; i > 0; i--) {
      const file = index.modules.get(parts.slice(0, i).join('.'));
      if (file) return index.find(file, parts.slice(i).join('.'));
    }
    return undefined;
  };
  let nOurs = 0;
  let nJedi = 0;
  let agree = 0;
  let nJediRaw = 0;
  let agreeRaw = 0;
  for (const fn of fns) {
    const mine = ours.get(fn.id) ?? new Set<string>();
    const theirs = new Set<string>();
    const theirsRaw = new Set<string>();
    for (const [file, where, how] of jediOut.results[fn.id] ?? []) {
      const d = file === '@stub' ? fromStub(String(where)) : byLine.get(`${file}:${where}`);
      if (!d || d.id === fn.id) continue;
      theirs.add(d.id);
      if (file !== '@stub' && how !== 'alias') theirsRaw.add(d.id);
    }
    nOurs += mine.size;
    nJedi += theirs.size;
    nJediRaw += theirsRaw.size;
    for (const id of mine) {
      if (theirsRaw.has(id)) agreeRaw++;
      if (theirs.has(id)) agree++;
      else disagreements.push({ package: pkg, side: 'ours-only', fn: fn.id, target: id });
    }
    for (const id of theirs) if (!mine.has(id)) disagreements.push({ package: pkg, side: 'jedi-only', fn: fn.id, target: id });
  }
  const jediMs = jediOut.seconds * 1000;
  return {
    package: pkg, files: index.files.length, functions: fns.length, ours: nOurs, jedi: nJedi, agree,
    precision: nOurs ? agree / nOurs : 1, recall: nJedi ? agree / nJedi : 1,
    rawPrecision: nOurs ? agreeRaw / nOurs : 1, rawRecall: nJediRaw ? agreeRaw / nJediRaw : 1,
    oursMs: Math.round(oursMs), oursCpuMs: Math.round(oursCpuMs), oursColdMs: Math.round(cold.ms),
    jediMs: Math.round(jediMs), jediCpuMs: Math.round(jediOut.cpuSeconds * 1000), jediWallMs: Math.round(jediWallMs),
    speedup: Math.round((jediOut.cpuSeconds * 1000 / oursCpuMs) * 10) / 10,
    speedupWall: Math.round((jediMs / oursMs) * 10) / 10,
  };
}

/** Indexes sympy and resolves every call site, in a child process so its peak memory is its own. */
async function sympyChild(): Promise<void> {
  const repo = ensurePackage('sympy');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const index = await indexRepo(repo);
  const indexMs = performance.now() - t0;
  const indexCpuMs = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
  const t1 = performance.now();
  let edges = 0;
  for (const d of index.definitions) edges += callees(index, d).length;
  const resolveMs = performance.now() - t1;
  const rss = process.memoryUsage().rss;
  console.log(JSON.stringify({
    files: index.files.length, skipped: index.skipped.length, definitions: index.definitions.length, edges,
    indexMs: Math.round(indexMs), indexCpuMs: Math.round(indexCpuMs), resolveAllMs: Math.round(resolveMs),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), rssMB: Math.round(rss / 2 ** 20),
  }));
}

async function main(): Promise<void> {
  if (process.argv.includes('--sympy-child')) return sympyChild();
  const pkgs = (arg('--packages') ?? 'requests,click,jinja2,docutils').split(',');
  const results: PackageResult[] = [];
  for (const pkg of pkgs) {
    const r = await comparePackage(pkg);
    results.push(r);
    console.error(`${pkg}: ${r.functions} fns, P=${r.precision.toFixed(3)} R=${r.recall.toFixed(3)}, ours ${r.oursMs} ms (cpu ${r.oursCpuMs}), jedi ${r.jediMs} ms (cpu ${r.jediCpuMs}) x${r.speedup} cpu, x${r.speedupWall} wall`);
  }
  const sum = (k: keyof PackageResult): number => results.reduce((a, r) => a + (r[k] as number), 0);
  const overall = {
    functions: sum('functions'), ours: sum('ours'), jedi: sum('jedi'), agree: sum('agree'),
    precision: sum('ours') ? sum('agree') / sum('ours') : 1, recall: sum('jedi') ? sum('agree') / sum('jedi') : 1,
    oursMs: sum('oursMs'), oursCpuMs: sum('oursCpuMs'), oursColdMs: sum('oursColdMs'), jediMs: sum('jediMs'),
    jediCpuMs: sum('jediCpuMs'), speedup: Math.round((sum('jediCpuMs') / sum('oursCpuMs')) * 10) / 10,
    speedupWall: Math.round((sum('jediMs') / sum('oursMs')) * 10) / 10,
  };
  let sympy: unknown = null;
  if (!process.argv.includes('--no-sympy')) {
    const child = spawnSync(process.execPath, [process.argv[1] ?? '', '--sympy-child'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    sympy = child.status === 0 ? JSON.parse(child.stdout.trim().split('\n').pop() ?? 'null') : { error: child.stderr };
  }
  const sample = arg('--disagreements');
  if (sample) writeFileSync(sample, disagreements.map((d) => JSON.stringify(d)).join('\n'));
  console.log(JSON.stringify({ packages: results, overall, sympy, disagreements: disagreements.length }, null, 2));
}

await main();
