import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DockerSandbox } from '../../../src/sandbox/docker/docker-sandbox.js';
import { installWorkspace, readWorkspace } from '../../../src/workspace/sandbox-workspace.js';
import { OracleAgent } from '../../../src/agents/simple-agents.js';
import { make } from '../../../src/env/registry.js';
import type { TaskEnv } from '../../../src/env/task-env.js';
import { runEpisode } from '../../../src/rollout/run-episode.js';
import { SandboxPool } from '../../../src/sandbox/pool.js';
import { depSearchTask } from '../../../src/tasks/dep-search/index.js';
import { funcLocalizeTask } from '../../../src/tasks/func-localize/index.js';
import { ValidationError } from '../../../src/errors.js';
import { dockerExec } from '../../../src/sandbox/docker/docker-exec.js';
import { DockerProvider } from '../../../src/sandbox/docker/docker-provider.js';
import { toJsonl } from '../../../src/tasks/instances-io.js';
import { requireBuild, runCli } from '../../support/run-cli.js';
import { blockProvider, dockerReady, withProvider } from '../helpers.js';

/**
 * A reused container (the provider's `reuse`) serves episode after episode: whatever one episode's
 * agent leaves (files anywhere it can write, processes however detached, IPC objects) must be gone
 * for the next, and nothing it does may reach PID 1, the root file system or the host.
 */

const SCRATCH = ['/workspace', '/tmp', '/var/tmp', '/home/agent', '/dev/shm', '/dev/mqueue'];

/** The processes the test planted, by their command lines. */
const planted = "ps -u 1000 -o args= | grep -E 'sleep 100[0-9]|sleep\\(1006\\)|stubborn|while' | grep -v grep | sort -u";

describe.runIf(dockerReady())('a reused container: nothing of one episode reaches the next', () => {
  const provider = blockProvider({ reuse: true });

  const next = async (previous: DockerSandbox): Promise<DockerSandbox> => {
    const id = previous.id;
    await previous.close();
    const s = (await provider().create()) as DockerSandbox;
    // The test means nothing unless it is the same container.
    expect(s.id).toBe(id);
    return s;
  };

  it('leaves no file anywhere the agent could write, dot files and odd kinds included', async () => {
    let s = (await provider().create()) as DockerSandbox;
    await installWorkspace(s, new Map([['a.py', Buffer.from('x = 1\n')]]));
    const plant = SCRATCH.map((d) => `touch ${d}/planted ${d}/.hidden; mkdir -p ${d}/deep/er && touch ${d}/deep/er/f; mkfifo ${d}/fifo; ln -s / ${d}/root-link`).join('; ');
    await s.exec(`${plant}; echo 'echo pwned' >> ~/.bashrc; git config --global user.name evil; python3 -c "from multiprocessing import shared_memory as m; m.SharedMemory(name='held', create=True, size=4096)"; true`);
    expect((await s.exec('ls -A /tmp | wc -l')).output.trim()).not.toBe('0');
    s = await next(s);
    for (const d of SCRATCH) expect((await s.exec(`ls -A ${d}`)).output.trim()).toBe('');
    expect((await s.exec('echo $HOME; stat -c %u:%a ~')).output.trim()).toBe('/home/agent\n1000:755');
    // What the agent is given in its next episode is whole and its own.
    await installWorkspace(s, new Map([['b.py', Buffer.from('y = 2\n')]]));
    expect([...(await readWorkspace(s)).keys()]).toEqual(['b.py']);
    expect((await s.exec('echo z >> b.py && cat b.py')).output).toBe('y = 2\nz\n');
    await s.close();
  });

  it('kills every process of the agent however it hid it', async () => {
    let s = (await provider().create()) as DockerSandbox;
    await s.exec([
      'sleep 1000 &',
      'nohup sleep 1001 > /dev/null 2>&1 &',
      'setsid sleep 1002 < /dev/null > /dev/null 2>&1 &',
      '(sleep 1003 &) ; disown -a',
      "bash -c \"trap '' HUP INT TERM; exec -a stubborn sleep 1004\" < /dev/null > /dev/null 2>&1 &",
      // One that keeps starting others, and one that forks as fast as it can (the freeze stops both).
      'setsid bash -c "while :; do sleep 1005 & sleep 0.01; done" < /dev/null > /dev/null 2>&1 &',
      'setsid bash -c "while :; do (:) ; done" < /dev/null > /dev/null 2>&1 &',
      'python3 -c "import os,time\nif os.fork(): os._exit(0)\nos.setsid()\nif os.fork(): os._exit(0)\ntime.sleep(1006)" &',
      'sleep 0.3; true',
    ].join('\n'));
    expect((await s.exec(planted)).output.trim().split('\n').length).toBeGreaterThanOrEqual(8);
    s = await next(s);
    expect((await s.exec(planted)).output.trim()).toBe('');
    // Nothing of root's but PID 1 and its own sleep.
    expect((await s.exec("ps -u 0 -o pid=,comm= | awk '{print $1 == 1 ? \"init\" : $2}' | sort | tr '\\n' ' '")).output.trim()).toBe('init sleep');
    await s.close();
  });

  it('cannot reach PID 1, the root file system or anything that would outlive the episode', async () => {
    const s = (await provider().create()) as DockerSandbox;
    const r = await s.exec([
      'id -u',
      'kill -9 1 2>/dev/null && echo killed-1',
      'prlimit --pid 1 --cpu=1 2>/dev/null && echo limited-1',
      '(echo 1000 > /proc/1/oom_score_adj) 2>/dev/null && echo oom-1',
      'cat /proc/1/environ > /dev/null 2>&1 && echo environ-1',
      'python3 -c "import ctypes; l = ctypes.CDLL(None); print(\'ptrace\', l.ptrace(16, 1, 0, 0))"',
      'python3 -c "import ctypes; l = ctypes.CDLL(None); print(\'ipc\', l.shmget(0, 4096, 0o1600), l.semget(0, 1, 0o1600), l.msgget(0, 0o1600))"',
      'for f in /etc/x /usr/lib/x /root/x /etc/hosts /var/lib/x; do (echo x >> $f) 2>/dev/null && echo wrote $f; done',
      'grep CapEff /proc/self/status',
    ].join('\n'));
    expect(r.output).toBe('1000\nptrace -1\nipc -1 -1 -1\nCapEff:\t0000000000000000\n');
    await s.close();
  });

  it('empties names that are not UTF-8 as any other', async () => {
    let s = (await provider().create()) as DockerSandbox;
    await s.exec("touch \"$(printf '/workspace/\\377name')\" \"$(printf '/tmp/\\376')\"; mkdir \"$(printf '/var/tmp/\\375d')\"");
    s = await next(s);
    expect((await s.exec('ls -A /workspace /tmp /var/tmp | grep -v : | grep -c .')).output.trim()).toBe('0');
    await s.close();
  });

  it('reads files outside the workdir as the agent would: nothing of root\'s, nothing the host sees that the agent does not', async () => {
    const s = (await provider().create()) as DockerSandbox;
    // The kernel shows its symbols' addresses to root only (the host reading it as root would leak them).
    const kallsyms = (await s.readFile('/proc/kallsyms')).toString().split('\n')[0]!;
    expect(kallsyms).toMatch(/^0{16} /);
    await expect(s.readFile('/etc/shadow')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(s.readFile('/tmp/none')).rejects.toMatchObject({ code: 'ENOENT' });
    await s.exec("python3 -c \"open('/tmp/big', 'w').write('z' * 100000)\"");
    expect((await s.readFile('/tmp/big')).toString()).toBe('z'.repeat(100_000));
    await s.close();
  });

  it('takes a reader of a file the agent stopped or killed for its doing, and waits for no exec the agent stopped', async () => {
    const s = (await provider().create()) as DockerSandbox;
    await s.exec("head -c 100000 /dev/zero > /tmp/big; nohup python3 -c \"import os, time\nwhile True:\n  for p in os.listdir('/proc'):\n    try:\n      if open('/proc/%s/cmdline' % p, 'rb').read().startswith(b'timeout\\0-s\\0KILL'): os.kill(int(p), 9)\n    except (OSError, ValueError): pass\n  time.sleep(0.005)\" > /dev/null 2>&1 &");
    await expect(s.readFile('/tmp/big')).rejects.toMatchObject({ code: 'EACCES' });
    await s.exec('pkill -f cmdline; true');
    // The exec's own `timeout` stopped by what runs in it: the host stops waiting at its own limit.
    const r = await dockerExec(s.container, ['sh', '-c', 'kill -STOP $PPID; sleep 100'], { timeoutMs: 1_000, user: '1000:1000' });
    expect(r.exitCode).toBe(137);
    await s.close();
  }, 30_000);

  it('follows no link the agent left: the reset and the editor\'s writes stay inside the container', async () => {
    const host = mkdtempSync(join(tmpdir(), 'hg-reuse-canary-'));
    writeFileSync(join(host, 'canary'), 'host\n');
    try {
      let s = (await provider().create()) as DockerSandbox;
      // The links resolve inside the container (to a folder of the same name in its /tmp).
      await s.exec(`mkdir -p ${host}; ln -s ${host} /workspace/dir-link; ln -s ${host}/canary /workspace/file-link; ln -s ${host} /tmp/t; mkdir -p /workspace/sub`);
      // A large write (not through the shell) to a path through a link: the container's view, as the agent's user.
      await s.writeFiles([{ path: '/workspace/dir-link/canary', content: 'x'.repeat(200_000) }]);
      await s.writeFiles([{ path: '/workspace/sub/big.py', content: 'y'.repeat(200_000) }]);
      expect((await s.exec('stat -c %u:%s /workspace/sub/big.py')).output.trim()).toBe('1000:200000');
      s = await next(s);
      expect(readFileSync(join(host, 'canary'), 'utf8')).toBe('host\n');
      expect(existsSync(host)).toBe(true);
      await s.close();
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });
});

describe.runIf(dockerReady())('a reused container is given up when in doubt', () => {
  it('needs its workdir a tmpfs: a ValidationError naming the option otherwise', async () => {
    await expect(DockerProvider.start({ reuse: true, workspaceTmpfsBytes: 0 })).rejects.toThrow(ValidationError);
    await expect(DockerProvider.start({ reuse: true, workspaceTmpfsBytes: 0 })).rejects.toThrow(/reuse: a reused container needs its workdir a tmpfs/);
  });

  it('is not lent again once its PID 1 is gone (lent or waiting), nor once its root file system layer changed', async () => {
    await withProvider({ reuse: true }, async (provider) => {
      const a = (await provider.create()) as DockerSandbox;
      await a.container.kill();
      await a.close();
      const b = (await provider.create()) as DockerSandbox;
      expect(b.id).not.toBe(a.id);
      const upper = ((await b.container.inspect()).GraphDriver.Data as unknown as { UpperDir: string }).UpperDir;
      // What no agent can do (the root is read-only to it): the check that it did not must still fail.
      writeFileSync(join(upper, 'changed'), 'x');
      await b.close();
      const c = (await provider.create()) as DockerSandbox;
      expect(c.id).not.toBe(b.id);
      await c.close();
      // One that stops while it waits for an episode is removed, and the episode gets another.
      await c.container.kill();
      const d = (await provider.create()) as DockerSandbox;
      expect(d.id).not.toBe(c.id);
      expect((await d.exec('echo ok')).output).toBe('ok\n');
      await d.close();
    });
  });

  it.each([
    ['more entries than the host empties quickly', "python3 -c \"import os\nfor i in range(25000): os.close(os.open('/tmp/f%d' % i, os.O_CREAT | os.O_WRONLY))\""],
    // A socket left in TIME_WAIT on a chosen address and port outlives its process by a minute.
    ['state in its network namespace', "python3 -c \"import socket\nl = socket.socket(); l.bind(('127.0.0.1', 4242)); l.listen()\nc = socket.create_connection(('127.0.0.1', 4242), source_address=('127.7.7.7', 4243)); a, _ = l.accept(); c.close(); a.close()\""],
    // A send that finds no route (network none) moves a protocol counter and no packet.
    ['a counter of its network namespace moved', "python3 -c \"import socket\nu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(123):\n  try: u.sendto(b'x', ('10.9.9.9', 9))\n  except OSError: pass\""],
  ])('is removed, not emptied, when it holds %s', async (_what, command) => {
    await withProvider({ reuse: true }, async (provider) => {
      const a = (await provider.create()) as DockerSandbox;
      expect((await a.exec(`${command} && echo done`)).output).toBe('done\n');
      await a.close();
      const b = await provider.create();
      expect(b.id).not.toBe(a.id);
      await b.close();
    });
  });

  it('serves at most reuseEpisodes episodes, and a code check gets a container of its own with root', async () => {
    await withProvider({ reuse: true, reuseEpisodes: 2 }, async (provider) => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const s = await provider.create();
        ids.push(s.id);
        await s.close();
      }
      expect(ids[1]).toBe(ids[0]);
      expect(ids[2]).not.toBe(ids[0]);
      const own = await provider.create({ reuse: false });
      expect((await own.exec('id -u; touch /etc/x && echo writable')).output).toBe('0\nwritable\n');
      await own.close();
    });
  });
});

describe.runIf(dockerReady())('episodes on reused containers score as on fresh ones', () => {
  it.each([
    ['func-localize', funcLocalizeTask, 'test/fixtures/func-localize/shop'],
    ['dep-search', depSearchTask, 'test/fixtures/dep-search/shop'],
  ] as const)('%s: the oracle scores 1 and an agent that does nothing 0, episode after episode in one container', async (_name, task, repo) => {
    const instances = await task.generate!({ repo, n: 4, seed: 0 });
    expect(instances.length).toBeGreaterThan(1);
    await withProvider({ reuse: true }, async (provider) => {
      const made: string[] = [];
      const create = provider.create.bind(provider);
      provider.create = async (o) => {
        const s = await create(o);
        made.push(s.id);
        return s;
      };
      const pool = new SandboxPool(provider, { warm: 0 });
      const env = await make(`hybrid-gym/${task.name}-v0`, { instances, pool });
      try {
        for (const instance of instances) {
          expect((await runEpisode(env, new OracleAgent(env), { options: { instanceId: instance.id } })).reward).toBe(1);
          const idle = await runEpisode(env, { name: 'idle', act: async () => ({ tool: 'finish', input: { message: 'done' } }) }, { options: { instanceId: instance.id } });
          expect(idle.reward).toBe(0);
          expect(idle.info.infraError).toBeUndefined();
        }
      } finally {
        await env.close();
      }
      // Every episode but those the env prepared ahead ran on a container an earlier one had used.
      expect(new Set(made).size).toBeLessThan(made.length / 2);
    });
  });
});

describe.runIf(dockerReady())('a reused container never serves one instance twice', () => {
  it('gives each episode of an instance a container that served no other of it, and still reuses across instances', async () => {
    const [x, y] = await funcLocalizeTask.generate!({ repo: 'test/fixtures/func-localize/shop', n: 2, seed: 0 });
    await withProvider({ reuse: true }, async (provider) => {
      const pool = new SandboxPool(provider, { warm: 0 });
      const env = await make('hybrid-gym/func-localize-v0', { instances: [x!, y!], pool });
      const hosts: Record<string, string[]> = { [x!.id]: [], [y!.id]: [] };
      try {
        for (const instance of [x!, y!, x!, y!, x!, y!]) {
          const e = await runEpisode(env, new OracleAgent(env), { options: { instanceId: instance.id } });
          expect(e.reward).toBe(1);
          hosts[instance.id]!.push((env.unwrapped as unknown as TaskEnv).sandbox!.id);
        }
      } finally {
        await env.close();
      }
      // (Counters that outlive a reset could carry what one episode found to the next of its instance.)
      for (const ids of Object.values(hosts)) expect(new Set(ids).size).toBe(3);
      expect(new Set([...hosts[x!.id]!, ...hosts[y!.id]!]).size).toBeLessThan(6);
    });
  });
});

describe.runIf(dockerReady())('hybrid-gym run --reuse', () => {
  it('runs every episode on reused containers, the oracle scoring 1', async () => {
    requireBuild();
    const dir = mkdtempSync(join(tmpdir(), 'hg-run-reuse-'));
    try {
      const instances = await funcLocalizeTask.generate!({ repo: 'test/fixtures/func-localize/shop', n: 2, seed: 0 });
      writeFileSync(join(dir, 'i.jsonl'), toJsonl(instances));
      const r = await runCli(['run', join(dir, 'i.jsonl'), '--agent', 'oracle', '--reuse', '--episodes-per-instance', '3'], { timeoutMs: 120_000, env: { DEBUG: 'hybrid-gym:sandbox' } });
      // A container served a second episode.
      expect(r.stderr).toMatch(/lent \(episode [2-9]\)/);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { reward?: number; successRate?: number });
      expect(lines.slice(0, -1).map((l) => l.reward)).toEqual([1, 1, 1, 1, 1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
