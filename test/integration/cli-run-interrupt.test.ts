import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/sandbox/docker/docker-client.js';
import { funcLocalizeTask } from '../../src/tasks/func-localize/index.js';
import { toJsonl } from '../../src/tasks/instances-io.js';
import { CLI, requireBuild } from '../support/run-cli.js';
import { dockerReady } from './helpers.js';

const SHOP = fileURLToPath(new URL('../fixtures/func-localize/shop', import.meta.url));

describe.runIf(dockerReady())('hybrid-gym run, interrupted', () => {
  let dir: string;
  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(join(tmpdir(), 'hg-interrupt-'));
    const instances = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10 });
    expect(instances).toHaveLength(9);
    await writeFile(join(dir, 'i.jsonl'), toJsonl(instances));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says so on its last line and exits 130 on SIGINT, instead of passing for a complete run', async () => {
    const child = spawn(process.execPath, [CLI, 'run', join(dir, 'i.jsonl'), '--agent', 'oracle'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Nine episodes take several seconds; interrupt in the middle (lines are printed only at the end).
    // The run has started (its signal handlers are in place) once a container of the child's is there:
    // under load, a fixed delay could interrupt a process that is still starting.
    const docker = await connectDocker();
    const started = async () => (await docker.listContainers({ all: true, filters: { label: [`hybrid-gym.pid=${child.pid}`] } })).length > 0;
    let ended = false;
    void exited.then(() => (ended = true));
    while (!ended && !(await started())) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    expect(ended, 'the run ended before it could be interrupted').toBe(false);
    child.kill('SIGINT');
    const code = await exited;
    const last = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(code).toBe(130);
    expect(last.interrupted).toBe(true);
    expect(last.episodes).toBeLessThan(9);
    expect(stderr).toMatch(/interrupted by SIGINT: \d+ of 9 episodes ran/);
  });
});
