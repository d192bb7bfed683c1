import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type EnvServer } from '../../src/serve/server.js';
import { connectDocker } from '../../src/sandbox/docker/docker-client.js';
import { LABEL, SESSION_ID } from '../../src/sandbox/owner.js';
import { generateFuncLocalize } from '../../src/tasks/func-localize/generate.js';
import { funcLocalizeTask, type FuncLocalizeInstance } from '../../src/tasks/func-localize/index.js';
import type { Action } from '../../src/tools/types.js';
import { extractBlocks } from '../docs/doc-blocks.js';
import { debianPythonModule } from '../support/debian-repos.js';
import { ROOT } from '../support/run-cli.js';
import { dockerReady } from './helpers.js';

// `hybrid-gym serve` as a Python trainer sees it: real clients with Debian's `websockets` (10.4,
// the oldest API the docs promise), real Docker sessions, one server for the whole file.

const run = promisify(execFile);
const SHOP = fileURLToPath(new URL('../fixtures/func-localize/shop', import.meta.url));
const CLIENTS = fileURLToPath(new URL('./serve/clients.py', import.meta.url));
/** Debian's Python, beside which python3-websockets is unpacked (the `python3` on PATH may be another). */
const PYTHON = '/usr/bin/python3';
const ENV_ID = 'hybrid-gym/func-localize-v0';

interface Episode {
  instanceId: string;
  episode_id: string;
  types: string[];
  errors: unknown[];
  reset_instance: string | null;
  reward: number | null;
  done: boolean;
  last_episode_id: string;
  steps: number;
  state: { episode_id: string; step_count: number; instance_id: string; done: boolean; reward: number | null };
}

describe.skipIf(!dockerReady())('serve: Python clients (websockets) against real Docker sessions', () => {
  let server: EnvServer;
  let instances: FuncLocalizeInstance[];
  let work: string;
  let pythonEnv: NodeJS.ProcessEnv;
  const docker = connectDocker();

  /** Run a Python script against the server; its last stdout line is JSON. */
  const python = async (args: string[], timeout = 60_000): Promise<unknown> => {
    const { stdout } = await run(PYTHON, args, { env: pythonEnv, timeout, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout.trim().split('\n').pop()!);
  };
  /** Running containers of this process (this worker's SESSION_ID; other test files have theirs). */
  const ourContainers = async () => (await (await docker).listContainers({ filters: { label: [`${LABEL.session}=${SESSION_ID}`] } })).length;
  /** Whether a container of ours runs `sleep 60`. */
  const sleeping = async () => {
    const d = await docker;
    for (const c of await d.listContainers({ filters: { label: [`${LABEL.session}=${SESSION_ID}`] } })) {
      const top = await d.getContainer(c.Id).top().catch(() => ({ Processes: [] as string[][] }));
      if ((top.Processes ?? []).some((p: string[]) => p.join(' ').includes('sleep 60'))) return true;
    }
    return false;
  };
  const until = async (what: () => Promise<boolean> | boolean, ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    for (;;) {
      if (await what()) return true;
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'hg-serve-py-'));
    const websockets = debianPythonModule('python3-websockets', 'websockets');
    pythonEnv = { ...process.env, PYTHONPATH: dirname(websockets), PYTHONDONTWRITEBYTECODE: '1' };
    instances = await generateFuncLocalize({ repo: SHOP, perFile: 10 });
    server = await serve({ env: ENV_ID, instances, port: 0, maxSessions: 8 });
    pythonEnv.HYBRID_GYM_WS = server.wsUrl;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('runs the Python client of docs/serving.md as it is written there', async () => {
    const blocks = extractBlocks(ROOT, join(ROOT, 'docs/serving.md')).filter((b) => b.lang === 'python');
    expect(blocks).toHaveLength(1);
    const script = join(work, 'docs-client.py');
    await writeFile(script, blocks[0]!.code);
    const out = (await python([script])) as { reward: unknown; done: unknown };
    expect(out.done).toBe(true);
    expect(typeof out.reward).toBe('number');
    expect(out.reward).toBe(0); // it explores and gives up
  });

  it('plays 8 sessions at once from one Python process: the oracle scores 1 in each, the no-op 0', async () => {
    // A closed session counts until its containers are gone: wait, or one of the 8 gets CAPACITY_REACHED.
    expect(await until(() => server.activeSessions() === 0, 5_000)).toBe(true);
    const oracle: Record<string, Action[]> = {};
    for (const i of instances) oracle[i.id] = await funcLocalizeTask.oracle!(i, { workdir: '/workspace' });
    const pick = (k: number) => instances[k % instances.length]!;
    // Eight connections at once; the first then plays a no-op episode on the same connection (a
    // new connection right away could be refused: the eight count until their containers are gone).
    const plan = Array.from({ length: 8 }, (_, k) => [
      { instanceId: pick(k).id, actions: oracle[pick(k).id], episode_id: `together-${k}` },
      ...(k === 0 ? [{ instanceId: pick(1).id, actions: [], episode_id: 'noop', explore: false }] : []),
    ]);
    const file = join(work, 'plan.json');
    await writeFile(file, JSON.stringify(plan));
    const t0 = Date.now();
    const out = (await python([CLIENTS, 'episodes', file], 110_000)) as Episode[][];
    console.log(`8 concurrent oracle episodes (and a no-op) through serve: ${Date.now() - t0} ms`);

    expect(out).toHaveLength(8);
    for (const [k, [e, ...rest]] of out.entries()) {
      const steps = 2 + oracle[pick(k).id]!.length + 1;
      expect(e, `session ${k}`).toMatchObject({ reset_instance: pick(k).id, errors: [], reward: 1, done: true, last_episode_id: `together-${k}`, steps });
      expect(e!.types.every((t) => t === 'observation')).toBe(true);
      expect(e!.state).toMatchObject({ episode_id: `together-${k}`, step_count: steps, instance_id: pick(k).id, done: true, reward: 1 });
      expect(rest).toHaveLength(k === 0 ? 1 : 0);
    }
    expect(out[0]![1]).toMatchObject({
      reset_instance: pick(1).id,
      reward: 0,
      done: true,
      errors: [],
      steps: 1,
      state: { episode_id: 'noop', step_count: 1, instance_id: pick(1).id, reward: 0 },
    });
    expect(await until(() => server.activeSessions() === 0, 5_000)).toBe(true);
  }, 120_000);

  it('answers malformed messages with the right error code, and the session plays on', async () => {
    const out = (await python([CLIENTS, 'malformed'])) as {
      bad: Record<string, { type: string; data: { code: string; message: string; errors?: Array<{ path: string; message: string }> } }>;
      reset: { type: string; data: { reward: unknown; metadata: { episode_id: string } } };
      step: { type: string; data: { observation: { isError: boolean; exitCode?: number; text: string } } };
      state: { type: string; data: { episode_id: string; step_count: number } };
    };
    expect(out.bad.not_json).toMatchObject({ type: 'error', data: { code: 'INVALID_JSON' } });
    expect(out.bad.unknown_type).toMatchObject({ type: 'error', data: { code: 'UNKNOWN_TYPE' } });
    expect(out.bad.step_data_string).toMatchObject({ type: 'error', data: { code: 'VALIDATION_ERROR', errors: [{ path: 'data' }] } });
    expect(out.bad.reset_unknown_key).toMatchObject({ type: 'error', data: { code: 'VALIDATION_ERROR' } });
    expect(out.bad.reset_unknown_key!.data.message).toContain('"instance"');
    expect(out.reset).toMatchObject({ type: 'observation', data: { reward: null } });
    expect(out.step).toMatchObject({ type: 'observation', data: { observation: { isError: false, exitCode: 0 } } });
    expect(out.step.data.observation.text).toContain('pkg');
    expect(out.state).toMatchObject({ type: 'state', data: { episode_id: out.reset.data.metadata.episode_id, step_count: 1 } });
  });

  it('frees the containers of a killed client within 5 s, its running command included', async () => {
    expect(await until(() => server.activeSessions() === 0, 5_000)).toBe(true);
    const child = spawn(PYTHON, [CLIENTS, 'hang'], { env: pythonEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`the client exited (${code}) before it reset`)));
      });
      expect(JSON.parse(first)).toMatchObject({ reset: 'observation' });
      expect(server.activeSessions()).toBe(1);
      // The step has been sent: wait until `sleep 60` runs in one of the session's containers.
      expect(await until(sleeping, 10_000), 'sleep 60 never ran').toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const t0 = Date.now();
    const gone = await until(async () => (await ourContainers()) === 0 && server.activeSessions() === 0, 5_000);
    console.log(`containers of the killed client gone after ${Date.now() - t0} ms`);
    expect({ gone, containers: await ourContainers(), sessions: server.activeSessions() }).toEqual({ gone: true, containers: 0, sessions: 0 });
  }, 30_000);
});
