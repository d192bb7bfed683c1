import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectDocker } from '../../src/sandbox/docker/docker-client.js';
import { generateFuncLocalize } from '../../src/tasks/func-localize/generate.js';
import { toJsonl } from '../../src/tasks/instances-io.js';
import { CLI, requireBuild, ROOT, runCli } from '../support/run-cli.js';
import { dockerReady } from './helpers.js';

const SHOP = join(ROOT, 'test/fixtures/func-localize/shop');

/** One message out, its reply back. */
function roundTrip(ws: WebSocket, message: unknown): Promise<{ type: string; data: Record<string, any> }> {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString())));
    ws.send(JSON.stringify(message));
  });
}

describe.skipIf(!dockerReady())('hybrid-gym serve (the command line, real Docker)', () => {
  let tmp = '';
  let instances = '';
  beforeAll(async () => {
    requireBuild();
    tmp = await mkdtemp(join(tmpdir(), 'hybrid-gym-serve-cli-'));
    instances = join(tmp, 'fl.jsonl');
    await writeFile(instances, toJsonl(await generateFuncLocalize({ repo: SHOP, n: 2 })));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('prints where it listens, serves episodes with the token, and closes every sandbox on Ctrl-C (exit 0)', async () => {
    const token = randomUUID();
    const child = spawn(process.execPath, [CLI, 'serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', instances, '--port', '0', '--max-sessions', '2'], {
      env: { ...process.env, HYBRID_GYM_TOKEN: token, DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const info = JSON.parse(first) as { env: string; url: string; ws: string; instances: number; maxSessions: number };
    expect(info).toMatchObject({ env: 'hybrid-gym/func-localize-v0', instances: 2, maxSessions: 2, ws: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/) });
    expect((await fetch(`${info.url}/health`)).status).toBe(200);
    expect((await fetch(`${info.url}/schema`)).status).toBe(401);

    const ws = new WebSocket(info.ws, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reset = await roundTrip(ws, { type: 'reset', data: { seed: 0 } });
    expect(reset.data.observation.text).toContain('/workspace');
    expect((await roundTrip(ws, { type: 'step', data: { tool: 'bash', input: { command: 'ls' } } })).data.observation.exitCode).toBe(0);
    const docker = await connectDocker();
    // The server's containers carry its pid (src/sandbox/owner.ts).
    const ours = async () => (await docker.listContainers({ all: true, filters: { label: [`hybrid-gym.pid=${child.pid}`] } })).length;
    expect(await ours()).toBeGreaterThan(0);

    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    expect(await closed).toBe(1001);
    expect(await ours()).toBe(0);
    expect(stderr).toContain('session');
    expect(stderr).toContain('SIGINT: closing 1 session and its sandboxes');
  });

  it('serves an env of the user\'s, registered by an --import module that imports hybrid-gym by name', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--env', 'my-lab/hello-v0', '--instances', join(ROOT, 'test/fixtures/serve/hello.jsonl'), '--import', join(ROOT, 'test/fixtures/serve/hello-task.mjs'), '--port', '0'], {
      env: { ...process.env, DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error(`serve exited: ${stderr}`)));
      });
      const info = JSON.parse(first) as { env: string; ws: string; instances: number };
      expect(info).toMatchObject({ env: 'my-lab/hello-v0', instances: 1 });
      const ws = new WebSocket(info.ws);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      expect((await roundTrip(ws, { type: 'reset', data: {} })).data.observation.text).toBe('Write hello into hello.txt, then finish.');
      await roundTrip(ws, { type: 'step', data: { tool: 'bash', input: { command: 'echo hello > hello.txt' } } });
      expect((await roundTrip(ws, { type: 'step', data: { tool: 'finish', input: { message: 'done' } } })).data).toMatchObject({ reward: 1, done: true });
      ws.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
  });

  it('says a port in use is in use, before starting anything', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', '--env', 'hybrid-gym/func-localize-v0', '--instances', instances, '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`hybrid-gym: port ${port} on 127.0.0.1 is in use; pick another with --port (0: any free one)`);
    } finally {
      blocker.close();
    }
  });
});
