import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { debianPythonModule } from '../support/debian-repos.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A real Debian package's modules copied into a new folder, and the CLI run with a cache of its own (cold, as on a new machine). */
export function realPackageWorkspace(pkg: { name: string; deb: string; modules: readonly string[] }, prefix: string) {
  const work = mkdtempSync(join(tmpdir(), `${prefix}${pkg.name}-`));
  const repo = join(work, pkg.name);
  mkdirSync(repo);
  for (const m of pkg.modules) cpSync(debianPythonModule(pkg.deb, m), join(repo, m), { recursive: true });
  const env = { ...process.env, HYBRID_GYM_CACHE: join(work, 'cache') };
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  return { work, repo, cli, instancesFile: join(work, 'instances.jsonl') };
}

/** One `hybrid-gym run` of an agent: its summary line and the episodes it wrote to --out. */
export interface CliRun {
  summary: Record<string, unknown>;
  episodes: Array<Record<string, any>>;
}

/** `run <instances> --agent A --concurrency 2 --out <work>/A.jsonl` for each agent, as a user would. */
export async function runAgentsThroughCli(
  cli: (...args: string[]) => Promise<{ stdout: string }>,
  instancesFile: string,
  work: string,
  agents: readonly string[] = ['oracle', 'noop'],
): Promise<Record<string, CliRun>> {
  const runs: Record<string, CliRun> = {};
  for (const agent of agents) {
    const out = join(work, `${agent}.jsonl`);
    const { stdout } = await cli('run', instancesFile, '--agent', agent, '--concurrency', '2', '--out', out);
    const lines = stdout.trim().split('\n');
    runs[agent] = { summary: JSON.parse(lines[lines.length - 1]!), episodes: readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) };
  }
  return runs;
}
