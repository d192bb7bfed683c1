import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerProvider } from '../../../src/sandbox/docker/docker-provider.js';
import type { Sandbox } from '../../../src/sandbox/types.js';
import { dockerReady } from '../helpers.js';

// Output is only output: nothing a command prints can end it early, jam the shell, or forge an end.
describe.runIf(dockerReady())('adversarial: the shell protocol', () => {
  let provider: DockerProvider;
  let sandbox: Sandbox;

  beforeAll(async () => {
    provider = await DockerProvider.start();
    sandbox = await provider.create();
  });
  afterAll(async () => {
    await provider?.close();
  });

  const dumps = ['env', 'printenv', 'set', 'cat /proc/self/environ', 'echo "$PROMPT_COMMAND"', 'declare -f', 'cat /proc/$$/environ'];
  for (const command of dumps) {
    it(`\`${command}\` returns promptly with its output and the next command runs`, async () => {
      await sandbox.exec('cd /tmp && export KEPT=yes');
      const r = await sandbox.exec(command, { timeoutMs: 10_000 });
      expect(r).toMatchObject({ exitCode: 0, timedOut: false, running: false });
      expect(r.durationMs).toBeLessThan(9_000);
      const next = await sandbox.exec('echo "$PWD $KEPT"');
      expect(next.output).toBe('/tmp yes\n');
    });
  }

  it('`yes | head -c 50M` returns capped output and the shell goes on', async () => {
    const r = await sandbox.exec('yes | head -c 50M', { timeoutMs: 60_000 });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, truncated: true });
    expect(r.output.length).toBeLessThan(200_000);
    expect((await sandbox.exec('echo next')).output).toBe('next\n');
  });

  it('binary bytes and text that looks like any end mark are plain output', async () => {
    const fakes = [
      "printf '\\036HG0\\036'",
      "printf '\\036HG12345678901234567890\\036 after'",
      "printf '\\n__HGM_abc_0__\\n'",
      "head -c 20000 /dev/urandom",
      "printf '\\036HG'",
    ];
    for (const f of fakes) {
      const r = await sandbox.exec(`${f}; sleep 0.3; echo TAIL`, { timeoutMs: 10_000 });
      expect(r.exitCode).toBe(0);
      expect(r.output.endsWith('TAIL\n')).toBe(true);
    }
  });

  it('cannot write the control channel, replace the prompt hook, or fake an end through it', async () => {
    const r = await sandbox.exec('echo "1 0" >&63; echo "rc=$?"; sleep 0.3; echo TAIL', { timeoutMs: 10_000 });
    expect(r.output).toMatch(/rc=1\n/);
    expect(r.output.endsWith('TAIL\n')).toBe(true);
    for (const attack of ['PROMPT_COMMAND=', 'unset PROMPT_COMMAND', '__hg_prompt() { :; }', 'unset -f __hg_prompt', 'trap "" DEBUG; PS1=x']) {
      const r2 = await sandbox.exec(attack, { timeoutMs: 10_000 });
      expect(r2.timedOut).toBe(false);
      expect((await sandbox.exec('echo after')).output).toBe('after\n');
    }
  });

  it('a prompt the agent sets is never taken for the output of the next command', async () => {
    for (let i = 0; i < 20; i++) {
      await sandbox.exec(`PS1='PROMPT${i}> '; PS2='more> '; PROMPT_DIRTRIM=1`);
      expect((await sandbox.exec('echo next')).output).toBe('next\n');
    }
  });

  it('a command that closes or steals descriptor 63 for itself does not break the next command', async () => {
    await sandbox.exec('exec 63>/tmp/mine', { timeoutMs: 10_000 });
    expect((await sandbox.exec('echo fine')).output).toBe('fine\n');
  });

  it('a killed shell is the agent’s doing: a notice, a new shell, the sandbox goes on', async () => {
    const r = await sandbox.exec('kill -9 $$', { timeoutMs: 15_000 });
    expect(r.notice).toMatch(/shell exited/);
    expect((await sandbox.exec('echo alive')).output).toBe('alive\n');
    const all = await sandbox.exec('kill -9 -1', { timeoutMs: 15_000 });
    expect(all.notice).toMatch(/shell exited/);
    expect((await sandbox.exec('echo alive')).output).toBe('alive\n');
    expect((await sandbox.exec('kill 1; kill -TERM 1; kill -INT 1; sleep 0.5; echo alive')).output).toContain('alive');
    expect(await sandbox.isAlive()).toBe(true);
  });
});
