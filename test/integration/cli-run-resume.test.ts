import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEpisodeFile } from '../../src/rollout/episode-file.js';
import { funcLocalizeTask } from '../../src/tasks/func-localize/index.js';
import { toJsonl } from '../../src/tasks/instances-io.js';
import { CLI, explain, requireBuild, runCli } from '../support/run-cli.js';
import { dockerReady } from './helpers.js';

const SHOP = fileURLToPath(new URL('../fixtures/func-localize/shop', import.meta.url));
const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').length : 0);

describe.runIf(dockerReady())('hybrid-gym run --out: episodes written as they end, --resume, killed runs', () => {
  let dir: string;
  let instances: string;
  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(join(tmpdir(), 'hg-resume-'));
    instances = join(dir, 'i.jsonl');
    const made = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10 });
    expect(made).toHaveLength(9);
    await writeFile(instances, toJsonl(made));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('kill -9 loses only the running episodes; --resume runs only the rest; more episodes per instance on top', async () => {
    const out = join(dir, 't.jsonl');
    const child = spawn(process.execPath, [CLI, 'run', instances, '--agent', 'oracle', '--out', out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let ended = false;
    void exited.then(() => (ended = true));
    while (!ended && lines(out) < 2) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const { episodes } = readEpisodeFile(out);
    expect(episodes.length, 'the run ended before it could be killed').toBeLessThan(9);
    expect(episodes.length).toBeGreaterThanOrEqual(2);

    // Without --resume the file is not mixed into.
    const refused = await runCli(['run', instances, '--agent', 'oracle', '--out', out]);
    expect(refused.code, explain(refused)).toBe(2);
    expect(refused.stderr).toMatch(/already holds \d+ episodes: add --resume/);

    const resumed = await runCli(['run', instances, '--agent', 'oracle', '--out', out, '--resume', '--concurrency', '2'], { timeoutMs: 180_000 });
    expect(resumed.code, explain(resumed)).toBe(0);
    const summary = JSON.parse(resumed.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ skipped: episodes.length, episodes: 9 - episodes.length, meanReward: 1 });
    const all = readEpisodeFile(out).episodes;
    expect(all).toHaveLength(9);
    expect(new Set(all.map((e) => e.instanceId)).size).toBe(9);

    // Nothing left: a second resume runs nothing.
    const again = await runCli(['run', instances, '--agent', 'oracle', '--out', out, '--resume']);
    expect(again.code, explain(again)).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ episodes: 0, skipped: 9 });

    const twice = await runCli(['run', instances, '--agent', 'noop', '--out', out, '--resume', '--episodes-per-instance', '2', '--concurrency', '2'], { timeoutMs: 180_000 });
    expect(twice.code, explain(twice)).toBe(0);
    const both = readEpisodeFile(out).episodes;
    expect(both).toHaveLength(18);
    const per = new Map<string, number>();
    for (const e of both) per.set(e.instanceId, (per.get(e.instanceId) ?? 0) + 1);
    expect([...per.values()]).toEqual(Array(9).fill(2));
  }, 300_000);

  it('a reader that goes away after the first line (| head -1) ends the run quietly: exit 0, no stack trace, no container left', async () => {
    const child = spawn(process.execPath, [CLI, 'run', instances, '--agent', 'noop'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    expect(JSON.parse(first.toString().split('\n')[0]!)).toHaveProperty('reward');
    child.stdout.destroy();
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    const docker = new Docker();
    expect(await docker.listContainers({ all: true, filters: { label: [`hybrid-gym.pid=${child.pid}`] } })).toEqual([]);
  });
});
