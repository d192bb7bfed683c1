import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { dockerReady } from './helpers.js';

describe.runIf(dockerReady())('docker sandbox: the persistent shell', () => {
  let provider: DockerProvider;
  let sandbox: Sandbox;

  beforeAll(async () => {
    provider = await DockerProvider.start();
    sandbox = await provider.create();
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('keeps the working directory and exported variables between commands', async () => {
    await sandbox.exec('mkdir -p /tmp/place && cd /tmp/place && export COLOUR=green');
    const r = await sandbox.exec('pwd; echo "$COLOUR"');
    expect(r.output).toBe('/tmp/place\ngreen\n');
    expect(r.exitCode).toBe(0);
  });

  it('reports exit codes and keeps output without a trailing newline intact', async () => {
    expect((await sandbox.exec('exit_with() { return $1; }; exit_with 7')).exitCode).toBe(7);
    expect((await sandbox.exec('false')).exitCode).toBe(1);
    const r = await sandbox.exec('printf "no newline"');
    expect(r).toMatchObject({ exitCode: 0, output: 'no newline', timedOut: false, running: false });
  });

  it('runs multi-line commands, heredocs and quotes as one command', async () => {
    const r = await sandbox.exec("cat <<'EOF'\nit's $HOME\nEOF\necho \"two\"");
    expect(r.output).toBe("it's $HOME\ntwo\n");
  });

  it('runs a command far longer than a terminal line (a 100 KB heredoc)', async () => {
    const body = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'é'.repeat(20)} 'quote' "dq" \\ $x`).join('\n');
    const r = await sandbox.exec(`cat > /tmp/long.txt <<'EOF'\n${body}\nEOF\nwc -l < /tmp/long.txt`, { timeoutMs: 20_000 });
    expect(r).toMatchObject({ exitCode: 0, output: '2000\n', timedOut: false });
    expect((await sandbox.readFile('/tmp/long.txt')).toString()).toBe(`${body}\n`);
  });

  it('interrupts `sleep 600` at the timeout and the next command works', async () => {
    const started = Date.now();
    const r = await sandbox.exec('sleep 600', { timeoutMs: 2_000 });
    const took = Date.now() - started;
    expect(r.timedOut).toBe(true);
    expect(took).toBeLessThan(3_000);
    expect(r.notice).toMatch(/timed out/);
    expect((await sandbox.exec('echo ok')).output).toBe('ok\n');
  });

  it('kills a command that ignores Ctrl-C and keeps the shell', async () => {
    const started = Date.now();
    const r = await sandbox.exec("trap '' INT; sleep 600", { timeoutMs: 1_000 });
    expect(r.timedOut).toBe(true);
    // Bounded, not fast: the 600 s sleep must not run out its time (a loaded CI machine takes ~7 s).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await sandbox.exec('echo $((1+1))')).output).toBe('2\n');
  });

  it('caps an output flood with a notice, in bounded memory', async () => {
    const before = process.memoryUsage().rss;
    const r = await sandbox.exec('yes', { timeoutMs: 5_000 });
    const grown = process.memoryUsage().rss - before;
    expect(r.truncated).toBe(true);
    expect(r.output).toMatch(/\[\.\.\. \d+ characters of output omitted \.\.\.\]/);
    expect(r.output.length).toBeLessThan(110_000);
    expect(grown).toBeLessThan(200 * 1024 * 1024);
    expect((await sandbox.exec('echo done')).output).toBe('done\n');
  });

  it('returns early from a silent command and continues it with input and keys', async () => {
    const first = await sandbox.exec('read -r name; echo "hi $name"', { idleMs: 300 });
    expect(first).toMatchObject({ running: true, exitCode: -1 });
    expect(sandbox.shellBusy).toBe(true);
    const second = await sandbox.sendInput('ada\n', { idleMs: 2_000 });
    expect(second).toMatchObject({ running: false, exitCode: 0, output: 'hi ada\n' });
    await sandbox.exec('sleep 100', { idleMs: 200 });
    const stopped = await sandbox.sendKey('C-c');
    expect(stopped).toMatchObject({ running: false, exitCode: 130 });
  });

  it('streams output as it arrives', async () => {
    const chunks: string[] = [];
    await sandbox.exec('for i in 1 2 3; do echo $i; sleep 0.1; done', { onOutput: (c) => chunks.push(c) });
    expect(chunks.join('')).toBe('1\n2\n3\n');
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('survives the shell exiting', async () => {
    const r = await sandbox.exec('exit 3');
    expect(r.notice).toMatch(/shell exited/);
    expect((await sandbox.exec('echo back')).output).toBe('back\n');
  });

  it('has no network: a TCP connect fails', async () => {
    const r = await sandbox.exec(
      `python3 -c "import socket; socket.create_connection(('1.1.1.1', 80), timeout=3); print('CONNECTED')"`,
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.output).not.toContain('CONNECTED');
    expect(r.output).toMatch(/unreachable|OSError/i);
  });
});
