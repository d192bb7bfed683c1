import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OracleAgent } from '../../../src/agents/simple-agents.js';
import { ClosedError, EnvOrderError } from '../../../src/errors.js';
import { make } from '../../../src/env/registry.js';
import type { TaskEnv } from '../../../src/env/task-env.js';
import type { Env } from '../../../src/env/types.js';
import { runEpisode } from '../../../src/rollout/run-episode.js';
import type { DockerProvider } from '../../../src/sandbox/docker/docker-provider.js';
import { funcLocalizeTask, type FuncLocalizeInstance } from '../../../src/tasks/func-localize/index.js';
import { dockerReady } from '../helpers.js';

const SHOP = fileURLToPath(new URL('../../fixtures/func-localize/shop', import.meta.url));

/** The first line of a target's hidden docstring, without prefix and quotes: what a leak would show. */
function secretOf(instance: FuncLocalizeInstance): string {
  const text = instance.targets[0]!.docstring.text.replace(/^[rRuUbBfF]*('''|"""|'|")/, '').replace(/('''|"""|'|")$/, '');
  return text.trim().split('\n')[0]!.trim();
}

async function bash(env: Env, command: string, timeout = 30): Promise<string> {
  const r = await env.step({ tool: 'bash', input: { command, timeout } });
  return r.observation.text;
}

// An RL agent finds every hole: each attack runs in one episode, and the next episode on the same
// env must see none of it, nor find its own hidden answer anywhere in its container.
describe.runIf(dockerReady())('adversarial: episodes cannot see or sway each other', () => {
  let env: Env;
  let inner: TaskEnv<FuncLocalizeInstance>;
  let instances: FuncLocalizeInstance[];

  beforeAll(async () => {
    instances = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10, seed: 1 });
    env = await make(funcLocalizeTask, { instances });
    inner = env.unwrapped as TaskEnv<FuncLocalizeInstance>;
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Run `attack` in an episode of instance `a`, then open an episode of `b` (a different target). */
  async function attackThenNext(attack: string): Promise<FuncLocalizeInstance> {
    const [a, b] = [instances[0]!, instances.find((i) => secretOf(i) !== secretOf(instances[0]!))!];
    await env.reset({ options: { instanceId: a.id } });
    // The check can fail: here, in an episode of another target, b's answer is in the workspace.
    expect(await grepAnswer(b)).toMatch(/^\/workspace\/pkg\/.*\.py$/m);
    const out = await bash(env, attack, 60);
    expect(out).not.toMatch(/timed out/);
    await env.step({ tool: 'finish', input: { message: 'done' } });
    await env.reset({ options: { instanceId: b.id } });
    return b;
  }

  async function grepAnswer(b: FuncLocalizeInstance): Promise<string> {
    const secret = secretOf(b);
    expect(secret.length).toBeGreaterThan(20);
    return bash(env, `grep -rlsF --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -e '${secret.replace(/'/g, "'\\''")}' / ; echo "grep-exit=$?"`, 120);
  }

  async function expectAnswerNowhere(b: FuncLocalizeInstance): Promise<void> {
    expect(await grepAnswer(b)).toContain('grep-exit=1');
  }

  const plants: Array<[string, string, string]> = [
    ['.git/', 'mkdir -p /workspace/.git/x && cp -r /workspace/pkg /workspace/.git/x/', 'ls /workspace/.git/x'],
    ['/opt', 'mkdir -p /opt/stash && cp -r /workspace/. /opt/stash/', 'ls /opt/stash'],
    ['/etc', 'cp -r /workspace/pkg /etc/stash', 'ls /etc/stash'],
    ['/usr/lib/python3*', 'cp -r /workspace/pkg /usr/lib/python3.11/stash && cp /workspace/pkg/cart.py /usr/lib/python3/dist-packages/stash_cart.py', 'ls /usr/lib/python3.11/stash /usr/lib/python3/dist-packages/stash_cart.py'],
    ['/dev/shm', 'cp -r /workspace/pkg /dev/shm/stash', 'ls /dev/shm/stash'],
    ['/root', 'cp -r /workspace/pkg /root/stash', 'ls /root/stash'],
    ['/var/tmp', 'cp -r /workspace/pkg /var/tmp/stash', 'ls /var/tmp/stash'],
    ['/tmp', 'cp -r /workspace/pkg /tmp/stash', 'ls /tmp/stash'],
  ];
  for (const [where, attack, look] of plants) {
    it(`files copied into ${where} do not reach the next episode`, async () => {
      const b = await attackThenNext(attack);
      expect(await bash(env, `${look} 2>&1; echo "ls-exit=$?"`)).toMatch(/No such file[\s\S]*ls-exit=2/);
      await expectAnswerNowhere(b);
    });
  }

  it('nohup and setsid background processes do not survive into the next episode', async () => {
    const b = await attackThenNext('nohup sleep 1001 >/dev/null 2>&1 & setsid sleep 1002 >/dev/null 2>&1 < /dev/null & disown -a; sleep 0.2; pgrep -fc "sleep 100[12]"');
    expect(await bash(env, 'pgrep -fa "sleep 100[12]"; echo "pgrep-exit=$?"')).toContain('pgrep-exit=1');
    await expectAnswerNowhere(b);
  });

  it('a changed ~/.bashrc, /etc/profile or exported variable does not reach the next episode', async () => {
    await attackThenNext(
      "echo 'export LEAKED=1' >> ~/.bashrc; echo 'export LEAKED=1' >> /etc/profile; echo 'export LEAKED=1' >> /etc/bash.bashrc; export LEAKED=1; alias ls=false",
    );
    const out = await bash(env, 'echo "[${LEAKED:-}]"; grep -c LEAKED ~/.bashrc /etc/profile /etc/bash.bashrc; ls / >/dev/null && echo ls-works');
    expect(out).toContain('[]');
    expect(out).not.toMatch(/:[1-9]/);
    expect(out).toContain('ls-works');
  });

  it('a workspace the agent deleted scores 0 with the reason, not as an infrastructure failure', async () => {
    await env.reset({ seed: 3 });
    await bash(env, 'cd / && rm -rf /workspace');
    const r = await env.step({ tool: 'finish', input: { message: 'done' } });
    expect(r).toMatchObject({ reward: 0, terminated: true, truncated: false });
    expect(r.info.infraError).toBeUndefined();
    expect(r.info.verify?.details).toMatchObject({ workspaceError: { reason: 'missing' } });
  });

  it('a 2 GB sparse file scores 0 with the reason while the host process stays small', async () => {
    await env.reset({ seed: 4 });
    await bash(env, 'truncate -s 2G /workspace/pkg/huge.bin && ls -la /workspace/pkg/huge.bin');
    const r = await env.step({ tool: 'finish', input: { message: 'done' } });
    expect(r).toMatchObject({ reward: 0, terminated: true });
    expect(r.info.infraError).toBeUndefined();
    expect(r.info.verify?.details).toMatchObject({ workspaceError: { reason: 'file-too-large' } });
    expect(process.memoryUsage().rss).toBeLessThan(500 * 1024 * 1024);
    // The same file hidden in .git counts too: it would have to be read through.
    await env.reset({ seed: 4 });
    await bash(env, 'truncate -s 2G /workspace/.git/huge.bin');
    const g = await env.step({ tool: 'finish', input: { message: 'done' } });
    expect(g.info.verify?.details).toMatchObject({ workspaceError: { reason: 'file-too-large' } });
    expect(process.memoryUsage().rss).toBeLessThan(500 * 1024 * 1024);
  });

  it('`kill -9 -1` and `kill 1` inside the container are the agent’s doing: the episode goes on and is scored', async () => {
    await env.reset({ seed: 5 });
    const killed = await env.step({ tool: 'bash', input: { command: 'kill -9 -1' } });
    expect(killed.truncated).toBe(false);
    expect(killed.observation.text).toMatch(/shell exited/);
    await bash(env, 'kill 1; kill -TERM 1; kill -HUP 1');
    expect(await bash(env, 'echo still-here')).toContain('still-here');
    const r = await env.step({ tool: 'finish', input: { message: 'done' } });
    expect(r).toMatchObject({ reward: 0, terminated: true, truncated: false });
    expect(r.info.infraError).toBeUndefined();
  });

  it('a fork bomb that fills the process quota is the agent’s doing: scored, not infrastructure; the next episode is clean', async () => {
    await env.reset({ seed: 9 });
    let r = await env.step({ tool: 'bash', input: { command: 'b() { while :; do b & done; }; b &' } });
    // A command says the limit is reached, or (when not even a new shell can start) the episode ends saying so.
    for (let i = 0; i < 10 && !r.terminated && !r.truncated && !/process limit/.test(r.observation.text); i++) {
      r = await env.step({ tool: 'bash', input: { command: 'ls /proc | grep -c "^[0-9]"', timeout: 5 } });
    }
    expect(r.observation.text).toMatch(/process limit/);
    const end = r.terminated || r.truncated ? r : await env.step({ tool: 'finish', input: { message: 'done' } });
    expect(end.info.infraError).toBeUndefined();
    expect(end.reward).toBe(0);
    if (end.truncated) expect(end.info.truncation).toBe('sandbox');
    await env.reset({ seed: 9 });
    // A fresh container: its own few processes (init, the shell and its terminal, ps), none of the bomb's 64.
    expect(parseInt(await bash(env, 'ps -e --no-headers | wc -l'), 10)).toBeLessThan(12);
    const again = await runEpisode(env, new OracleAgent(env), { seed: 9 });
    expect(again.reward).toBe(1);
  });

  it.each(['kill', 'stop'] as const)('`docker %s` from outside is infrastructure on the next step, and the next reset works', async (how) => {
    await env.reset({ seed: 6 });
    const provider = inner.pool.provider as DockerProvider;
    await provider.docker.getContainer(inner.sandbox!.id)[how]();
    const r = await env.step({ tool: 'bash', input: { command: 'echo hi' } });
    expect(r).toMatchObject({ truncated: true, terminated: false, reward: 0 });
    expect(r.info.truncation).toBe('infra');
    expect(r.info.infraError?.message).toMatch(/gone|container/i);
    const again = await runEpisode(env, new OracleAgent(env), { seed: 6 });
    expect(again.reward).toBe(1);
  });

  // A bash command sent to a paused container gets no output: the idle notice ("still running")
  // would have let the episode go on and be scored as if the agent's command had run.
  it.each([
    { action: { tool: 'str_replace_editor', input: { command: 'view', path: '/workspace/pkg/cart.py' } } },
    { action: { tool: 'bash', input: { command: 'echo 1' } } },
  ])('`docker pause` from outside is infrastructure, not the agent’s doing ($action.tool)', async ({ action }) => {
    await env.reset({ seed: 7 });
    const provider = inner.pool.provider as DockerProvider;
    const container = provider.docker.getContainer(inner.sandbox!.id);
    await container.pause();
    try {
      const r = await env.step(action);
      expect(r.truncated).toBe(true);
      expect(r.info.truncation).toBe('infra');
      expect(r.info.infraError?.message).toMatch(/gone|paused/i);
    } finally {
      await container.unpause().catch(() => {});
    }
  });

  it('an unplanned reset shows no trace of which files it rewrote: one time stamp for all, a new shell', async () => {
    await env.reset({ options: { instanceId: instances[0]!.id } });
    await inner.nextPrepared();
    const other = instances.find((i) => i.id !== inner.preparedFor && i.targets[0]!.file !== instances[0]!.targets[0]!.file)!;
    await env.reset({ options: { instanceId: other.id } });
    expect(inner.currentInstance?.id).toBe(other.id);
    const out = await bash(env, 'find /workspace -printf "%T@\\n" | sort -u | wc -l; ps -o pid= -o etimes= -p $$');
    expect(out.split('\n')[0]).toBe('1');
  });

  it('a file grown far beyond its given size scores 0 unparsed, whatever it holds', async () => {
    await env.reset({ seed: 8 });
    await bash(env, 'yes "# comment" | head -c 200000 >> /workspace/pkg/cart.py');
    const t = performance.now();
    const r = await env.step({ tool: 'finish', input: { message: 'done' } });
    expect(performance.now() - t).toBeLessThan(30_000);
    expect(r.info.verify?.details).toMatchObject({ workspaceError: { reason: 'grew' } });
  });

  it('overlapping calls throw EnvOrderError; close() during a step cancels it with ClosedError', async () => {
    const own = await make(funcLocalizeTask, { instances });
    await own.reset({ seed: 0 });
    const slow = own.step({ tool: 'bash', input: { command: 'sleep 2; echo slow' } });
    await expect(own.step({ tool: 'bash', input: { command: 'echo fast' } })).rejects.toThrow(EnvOrderError);
    await expect(own.reset({ seed: 1 })).rejects.toThrow(EnvOrderError);
    expect((await slow).observation.text).toContain('slow');
    const resetting = own.reset({ seed: 2 });
    await expect(own.step({ tool: 'bash', input: { command: 'echo during reset' } })).rejects.toThrow(EnvOrderError);
    await resetting;
    const cancelled = own.step({ tool: 'bash', input: { command: 'sleep 30' } });
    await new Promise((r) => setTimeout(r, 300));
    const t = performance.now();
    const rejected = expect(cancelled).rejects.toThrow(ClosedError);
    await own.close();
    await rejected;
    expect(performance.now() - t).toBeLessThan(25_000);
  });
});

describe.runIf(dockerReady())('adversarial: the agent’s own memory use', () => {
  // PID 1 made the OOM killer's pick from inside (oom_score_adj is raised without privilege): the
  // container stops by the agent's doing. With the workdir a tmpfs, filling it past the memory
  // limit does the same; the workspace, held by this process since the install, is still read.
  const attacks: Array<{ name: string; memoryBytes: number; command: string }> = [
    {
      name: 'processes holding memory',
      memoryBytes: 256 * 1024 ** 2,
      command: 'echo 1000 > /proc/1/oom_score_adj; for i in 1 2 3 4 5 6; do python3 -c "import time; a = bytearray(60 * 1024**2); time.sleep(30)" & done; sleep 20',
    },
    {
      name: 'the tmpfs workdir filled past the memory limit',
      memoryBytes: 128 * 1024 ** 2,
      command: 'echo 1000 > /proc/1/oom_score_adj; head -c 400M /dev/zero > /workspace/fill.bin; sleep 5',
    },
  ];
  it.each(attacks)('OOM-killing PID 1 with $name is the agent’s doing, scored 0, not infrastructure', async ({ memoryBytes, command }) => {
    const instances = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10, seed: 1 });
    const env = await make(funcLocalizeTask, { instances, sandboxOptions: { memoryBytes }, prepareNext: false });
    try {
      await env.reset({ seed: 0 });
      const r = await env.step({ tool: 'bash', input: { timeout: 60, command } });
      const end = r.terminated || r.truncated ? r : await env.step({ tool: 'finish', input: { message: 'done' } });
      expect(end.info.infraError).toBeUndefined();
      expect(end.reward).toBe(0);
    } finally {
      await env.close();
    }
  });

  it('a child OOM-killed, then `docker kill` from outside: infrastructure, though the engine says OOMKilled', async () => {
    // WAS A HOLE (closed: the events are asked before the OOM flag; regression): the flag stays set
    // after any OOM kill in the container, PID 1 surviving it, and the later kill was scored.
    const instances = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10, seed: 1 });
    const env = await make(funcLocalizeTask, { instances, sandboxOptions: { memoryBytes: 256 * 1024 ** 2 }, prepareNext: false });
    try {
      await env.reset({ seed: 0 });
      const oom = await env.step({ tool: 'bash', input: { timeout: 60, command: 'python3 -c "x = bytearray(600 * 1024**2)"; echo "rc=$?"' } });
      expect(oom.observation.text).toContain('rc=137');
      const task = env.unwrapped as TaskEnv<FuncLocalizeInstance>;
      const provider = task.pool.provider as DockerProvider;
      const container = provider.docker.getContainer(task.sandbox!.id);
      await container.kill();
      expect((await container.inspect()).State.OOMKilled).toBe(true);
      const r = await env.step({ tool: 'bash', input: { command: 'echo hi' } });
      expect(r.truncated).toBe(true);
      expect(r.info.truncation).toBe('infra');
    } finally {
      await env.close();
    }
  });
});

describe.runIf(dockerReady())('adversarial: PID 1 stopped by the agent without an OOM', () => {
  // WAS A HOLE twice (closed; regression): root in the container may prlimit PID 1 (same uid, no
  // capability needed); capped at its address space, the keeper dies on its next allocation once
  // its sleep is killed, OOMKilled false. First the tmpfs went with the container and the final read
  // called it infrastructure (now held open from the install); then, done in its own turn, the dead
  // shell found the container stopped and called that infrastructure too (now a stop the engine was
  // not asked for is the agent's doing): the agent's failure left out of the means either way.
  const stop = 'prlimit --pid 1 --as=$(( $(awk "/VmSize/{print \\$2}" /proc/1/status) * 1024 )) && kill -9 $(cat /proc/1/task/1/children)';
  it.each([
    { when: 'in the background just before finish', command: `(sleep 2; ${stop}) >/dev/null 2>&1 & echo started`, ends: 'terminated' },
    // The shell dies with the container under a running command: the step ends the episode.
    { when: 'under a command still running', command: `${stop}; sleep 20`, ends: 'truncated' },
  ] as const)('done $when: the episode is scored 0, not infrastructure', async ({ command, ends }) => {
    const instances = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10, seed: 1 });
    const env = await make(funcLocalizeTask, { instances, prepareNext: false });
    try {
      await env.reset({ seed: 0 });
      let end = await env.step({ tool: 'bash', input: { timeout: 30, command } });
      if (!end.terminated && !end.truncated) {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        end = await env.step({ tool: 'finish', input: { message: 'done' } });
      }
      expect(end.info.infraError).toBeUndefined();
      expect(end[ends]).toBe(true);
      if (ends === 'truncated') expect(end.info.truncation).toBe('sandbox');
      expect(end.reward).toBe(0);
    } finally {
      await env.close();
    }
  });
});

describe.runIf(dockerReady())('adversarial: a file hidden past the engine archive’s 4,096-byte path limit', () => {
  // WAS A HOLE (closed: paths past maxPathBytes, 1,024, are the agent's doing on both reads;
  // regression): the engine's archive silently leaves out paths past 4,096 bytes, and one name in
  // .git that is not UTF-8 made the host read fall back to it, so a new file of code under 2,100
  // nested folders went unseen and the oracle's edits scored 1 with the forbidden file.
  const deep = `python3 - <<'PY'
import os
os.chdir('/workspace')
for i in range(2100):
    os.mkdir('d'); os.chdir('d')
open('notes.py', 'w').write('import os\\nos.system("echo hi")\\n')
PY`;
  it.each([
    { how: 'alone', command: deep },
    { how: 'with the engine read forced (a name in .git that is not UTF-8)', command: `${deep}\ntouch $'/workspace/.git/\\xff'` },
  ])('$how: scored 0 as path-too-long, never 1', async ({ command }) => {
    const instances = await funcLocalizeTask.generate!({ repo: SHOP, perFile: 10, seed: 1 });
    const env = await make(funcLocalizeTask, { instances, prepareNext: false });
    try {
      await env.reset({ seed: 1 });
      const inner = env.unwrapped as TaskEnv<FuncLocalizeInstance>;
      for (const a of await inner.oracleActions()) await env.step(a);
      await env.step({ tool: 'bash', input: { command, timeout: 120 } });
      const end = await env.step({ tool: 'finish', input: { message: 'done' } });
      expect(end.info.infraError).toBeUndefined();
      expect(end.reward).toBe(0);
      expect(end.info.verify?.details).toMatchObject({ workspaceError: { reason: 'path-too-long' } });
    } finally {
      await env.close();
    }
  });
});

describe.runIf(dockerReady())('adversarial: a repository whose .gitignore ignores some of its own files', () => {
  let repo: string;

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'hg-ignored-'));
    await cp(SHOP, repo, { recursive: true });
    await writeFile(join(repo, '.gitignore'), 'pkg/discounts.py\n*.cfg\nbuild/\n');
    await writeFile(join(repo, 'settings.cfg'), 'answer = 42\n');
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('the oracle scores 1.0 on five consecutive resets, expected and unexpected instances alike', async () => {
    const instances = await funcLocalizeTask.generate!({ repo, perFile: 10, seed: 2 });
    expect(instances.some((i) => i.targets[0]!.file === 'pkg/discounts.py')).toBe(true);
    const env = await make(funcLocalizeTask, { instances });
    try {
      const inner = env.unwrapped as TaskEnv<FuncLocalizeInstance>;
      const ignoredTarget = instances.find((i) => i.targets[0]!.file === 'pkg/discounts.py')!;
      // Seeded resets (prepared for exactly that instance) and explicit ids (prepared for another).
      const resets = [{ seed: 0 }, { options: { instanceId: ignoredTarget.id } }, {}, { options: { instanceId: instances[1]!.id } }, {}];
      for (const reset of resets) {
        const episode = await runEpisode(env, new OracleAgent(env), reset);
        expect(episode.reward, JSON.stringify(episode.info.verify?.details)).toBe(1);
      }
      await env.reset({ options: { instanceId: instances[2]!.id } });
      const sandbox = inner.sandbox!;
      const r = await sandbox.exec('cd /workspace && git ls-files pkg/discounts.py settings.cfg && git status --porcelain && git log --oneline | wc -l');
      expect(r.output).toBe('pkg/discounts.py\nsettings.cfg\n1\n');
    } finally {
      await env.close();
    }
  });
});
