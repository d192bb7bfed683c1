import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxCodeRunner } from '../../src/env/code-runner.js';
import { CheckSandboxError } from '../../src/errors.js';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import { LocalProvider } from '../../src/sandbox/local/local-provider.js';
import type { CodeCheck } from '../../src/tasks/code-check.js';
import type { WorkspaceFiles } from '../../src/workspace/files.js';
import { dockerReady } from './helpers.js';

const files = (entries: Record<string, string>): WorkspaceFiles => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

const sh = (name: string, script: string, extra: Partial<CodeCheck> = {}): CodeCheck => ({
  name,
  argv: (d) => ['bash', '-c', script, 'check', d.workdir, d.support, d.out],
  ...extra,
});

describe.runIf(dockerReady())('verification sandbox (docker)', () => {
  let provider: DockerProvider;
  let runner: SandboxCodeRunner;
  // Checked code as root, with a writable workspace: what the sandbox itself must contain.
  let rootRunner: SandboxCodeRunner;

  beforeAll(async () => {
    provider = await DockerProvider.start({ env: { AGENT_SECRET: 'from-the-provider' } });
    runner = new SandboxCodeRunner(provider, { outputChars: 2000 });
    rootRunner = new SandboxCodeRunner(provider, { outputChars: 2000, asRoot: true });
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('runs from the workspace root with the given files, support files outside it, results read back', async () => {
    const r = await runner.run(
      files({ 'pkg/a.py': 'X = 1\n', 'README': 'hi' }),
      sh('py', 'cd "$1" && pwd && python3 -c "import pkg.a; print(pkg.a.X)" && cat "$2/tool.txt" && echo verdict > "$3/result.txt" && ls -A "$1" | tr "\\n" " "', {
        support: { 'tool.txt': 'support-file\n' },
        collect: ['result.txt', 'never-written.txt'],
      }),
    );
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain('/workspace\n1\nsupport-file\n');
    // Nothing but the given files in the workspace: no .git, no results, no support files.
    expect(r.output).toContain('README pkg ');
    expect(r.output).not.toContain('.git');
    expect(r.collected['result.txt']?.toString()).toBe('verdict\n');
    expect(r.collected['never-written.txt']).toBeUndefined();
  });

  it('starts the command with a clean environment: neither the provider nor the image env reaches it', async () => {
    const r = await runner.run(files({}), sh('env', 'env | sort', { env: { CHECK_VAR: 'yes' } }));
    expect(r.output).toContain('CHECK_VAR=yes');
    expect(r.output).toContain('PYTHONDONTWRITEBYTECODE=1');
    expect(r.output).not.toContain('AGENT_SECRET');
  });

  it('each check gets a fresh sandbox: what one check wrote anywhere is gone for the next', async () => {
    const planted = await rootRunner.run(files({}), sh('plant', 'echo planted > /usr/lib/python3/dist-packages/evil.pth && echo x > /tmp/left-behind && echo done'));
    expect(planted.output).toContain('done');
    const r = await rootRunner.run(files({}), sh('look', 'ls /usr/lib/python3/dist-packages/evil.pth /tmp/left-behind 2>&1; true'));
    expect(r.output).toContain('No such file');
    expect(r.output).not.toMatch(/^\/tmp\/left-behind$/m);
  });

  it('a command that fails, hangs or kills its own shell is a result, not an infrastructure error', async () => {
    const failed = await runner.run(files({}), sh('fail', 'echo no; exit 3'));
    expect(failed).toMatchObject({ exitCode: 3, timedOut: false });
    const hung = await runner.run(files({}), sh('hang', 'sleep 600', { timeoutMs: 1500 }));
    expect(hung.timedOut).toBe(true);
    expect(hung.exitCode).not.toBe(0);
    // Kills the persistent shell of the verification sandbox (the parent of the check's process): as root it can.
    const killer = await rootRunner.run(files({}), sh('kill-shell', 'kill -9 $(ps -o ppid= -p $PPID); sleep 1'), );
    expect(killer.exitCode).not.toBe(0);
  });

  it('checked code runs as nobody: it cannot change the workspace, the support files or the system, nor signal the sandbox’s shell', async () => {
    const attempts = [
      'id -u',
      'echo "HOME=$HOME"',
      'echo x >> "$1/tests/test_a.py" && echo wrote-test',
      'rm -f "$1/conftest.py" && echo removed-conftest',
      'echo x > "$1/new.py" && echo created-file',
      'mkdir "$1/pkg/sub" && echo created-dir',
      'echo x > "$2/tool.txt" && echo wrote-support',
      'echo x > /usr/lib/python3/dist-packages/evil.pth && echo wrote-site',
      'kill -9 $(ps -o ppid= -p $PPID) && echo killed-shell',
      'ls "$2/private" && echo listed-private',
      'echo ok > /tmp/scratch && echo wrote-tmp',
      'echo verdict > "$3/result.txt" && echo wrote-out',
    ];
    const r = await runner.run(
      files({ 'tests/test_a.py': 'def test_a(): pass\n', 'conftest.py': '', 'pkg/__init__.py': '' }),
      sh('escape', attempts.map((a) => `{ ${a}; } 2>/dev/null`).join('; '), {
        support: { 'tool.txt': 'support', 'private/secret.txt': 'nonce' },
        collect: ['result.txt'],
      }),
    );
    expect(r.output.split('\n').slice(0, 2)).toEqual(['65534', 'HOME=/tmp']);
    for (const refused of ['wrote-test', 'removed-conftest', 'created-file', 'created-dir', 'wrote-support', 'wrote-site', 'killed-shell']) {
      expect(r.output).not.toContain(refused);
    }
    // Its own scratch space and the results directory stay writable; private support files are its own.
    expect(r.output).toContain('listed-private');
    expect(r.output).toContain('wrote-tmp');
    expect(r.collected['result.txt']?.toString()).toBe('verdict\n');
  });

  it('checked code has no controlling terminal: it cannot type into the sandbox’s shell (TIOCSTI)', async () => {
    const py = [
      'import os, fcntl, termios',
      'try:\n    os.open("/dev/tty", os.O_RDWR)\n    print("opened-tty")\nexcept OSError as e:\n    print("no-tty", e.errno)',
      'for fd in (0, 1, 2):\n    try:\n        fcntl.ioctl(fd, termios.TIOCSTI, b"x")\n        print("typed", fd)\n    except OSError as e:\n        print("refused", fd)',
    ].join('\n');
    const r = await runner.run(files({}), { name: 'tty', argv: () => ['python3', '-c', py] });
    expect(r.output).toContain('no-tty');
    expect(r.output).not.toContain('opened-tty');
    expect(r.output).not.toContain('typed');
  });

  it('outputFds: the command writes them through descriptors and cannot open, remove or replace them by path', async () => {
    const script = [
      'echo "fds=$HYBRID_GYM_FDS"',
      'echo through-fd >&3',
      '{ echo forged >> "$3/results.jsonl" && echo opened-by-path; } 2>/dev/null',
      '{ rm -f "$3/results.jsonl" && [ ! -e "$3/results.jsonl" ] && echo removed; } 2>/dev/null',
      '{ mv "$3/results.jsonl" "$3/gone" && echo moved; } 2>/dev/null',
      '{ echo mine > "$3/extra.txt" && echo added-file; } 2>/dev/null',
    ].join('; ');
    const r = await runner.run(files({}), sh('fds', script, { outputFds: ['results.jsonl'], collect: ['results.jsonl', 'extra.txt'] }));
    expect(r.output).toContain('fds=results.jsonl=3');
    for (const refused of ['opened-by-path', 'removed', 'moved']) expect(r.output).not.toContain(refused);
    expect(r.output).toContain('added-file');
    expect(r.collected['results.jsonl']?.toString()).toBe('through-fd\n');
    expect(r.collected['extra.txt']?.toString()).toBe('mine\n');
  });

  it('a command that removes or replaces its own out directory gets nothing collected, not an infrastructure error', async () => {
    const removed = await runner.run(files({}), sh('rm-out', 'echo x > "$3/r.txt"; rm -rf "$3"', { collect: ['r.txt'] }));
    expect(removed.collected).toEqual({ 'r.txt': undefined });
    const replaced = await runner.run(files({}), sh('swap-out', 'rm -rf "$3" && ln -s /proc "$3"', { collect: ['r.txt'] }));
    expect(replaced.collected).toEqual({ 'r.txt': undefined });
  });

  it('caps the output, keeping head and tail', async () => {
    const r = await runner.run(files({}), sh('flood', 'echo HEAD; head -c 200000 /dev/zero | tr "\\0" a; echo; echo TAIL'));
    expect(r.truncated).toBe(true);
    expect(r.output.length).toBeLessThan(2200);
    expect(r.output.startsWith('HEAD')).toBe(true);
    expect(r.output.trimEnd().endsWith('TAIL')).toBe(true);
  });

  it('has no network', async () => {
    const r = await runner.run(
      files({}),
      sh('net', `python3 -c "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)" 2>&1 | tail -1`),
    );
    expect(r.output).toMatch(/Network is unreachable|OSError|timed out/);
  });

  it('an image that cannot start is a CheckSandboxError naming the check', async () => {
    await expect(runner.run(files({}), sh('needs-image', 'true'), { image: 'hybrid-gym/no-such-image:0' })).rejects.toSatisfy(
      (e: unknown) => e instanceof CheckSandboxError && e.check === 'needs-image' && /no-such-image/.test(e.message),
    );
  });
});

describe('verification sandbox (local)', () => {
  it('runs the same way on the host, in a directory of its own', async () => {
    const provider = new LocalProvider();
    try {
      const runner = new SandboxCodeRunner(provider);
      const r = await runner.run(
        files({ 'a.txt': 'A' }),
        sh('local', 'cd "$1" && cat a.txt && cp a.txt "$3/copy.txt"', { collect: ['copy.txt'] }),
      );
      expect(r.exitCode).toBe(0);
      expect(r.output).toContain('A');
      expect(r.collected['copy.txt']?.toString()).toBe('A');
      // On the host, checks find what the user's PATH finds (a pyenv python with pytest, say).
      const env = await runner.run(files({}), sh('path', 'echo "$PATH"'));
      expect(env.output.trim()).toBe(process.env.PATH);
      expect(runner.image).toBe('host');
    } finally {
      await provider.close();
    }
  });
});
