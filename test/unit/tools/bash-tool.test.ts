import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolOutcome } from '../../../src/tools/types.js';
import { openContext } from './sandbox-context.js';

let env: Awaited<ReturnType<typeof openContext>>;
const bash = (input: unknown): Promise<ToolOutcome> => env.run('bash', input);

beforeAll(async () => {
  env = await openContext();
});
afterAll(async () => {
  await env.close();
});

describe('bash tool', () => {
  it('runs a command and reports its exit code', async () => {
    const r = await bash({ command: 'echo hello; echo oops >&2' });
    expect(r.finished).toBe(false);
    expect(r.observation).toMatchObject({ isError: false, tool: 'bash', exitCode: 0 });
    expect(r.observation.text).toBe('hello\noops\n[The command completed with exit code 0.]');
  });

  it('reports a failing exit code without marking the observation as an error', async () => {
    const r = await bash({ command: 'false' });
    expect(r.observation.isError).toBe(false);
    expect(r.observation.exitCode).toBe(1);
    expect(r.observation.text).toBe('[The command completed with exit code 1.]');
  });

  it('keeps the working directory and variables between calls', async () => {
    await bash({ command: 'mkdir -p sub && cd sub && export HG_X=42' });
    const r = await bash({ command: 'basename "$PWD"; echo $HG_X; cd ..' });
    expect(r.observation.text).toContain('sub\n42');
  });

  it('accepts the execute_bash alias and is_input as a string', async () => {
    const r = await env.run('execute_bash', { command: 'echo alias', is_input: 'false' });
    expect(r.observation).toMatchObject({ isError: false, tool: 'bash', exitCode: 0 });
    expect(r.observation.text).toContain('alias');
  });

  it('returns a quiet command as still running, then shows more output on an empty command', async () => {
    const r = await bash({ command: 'echo start; sleep 1.5; echo done' });
    expect(r.observation.exitCode).toBe(-1);
    expect(r.observation.isError).toBe(false);
    expect(r.observation.text).toContain('start');
    expect(r.observation.text).toContain('[The command has no new output after 1 seconds and is still running (exit code -1).');
    expect(r.observation.text).toContain("sending an empty command ''");
    const more = await bash({ command: '', timeout: 10 });
    expect(more.observation.text).toMatch(/^\[Below is the output of the previous command\.\]\ndone\n\[The command completed with exit code 0\.\]$/);
    expect(more.observation.exitCode).toBe(0);
  });

  it('refuses a new command while one runs, without running it', async () => {
    const r = await bash({ command: 'sleep 30' });
    expect(r.observation.exitCode).toBe(-1);
    const busy = await bash({ command: 'touch should-not-exist' });
    expect(busy.observation.isError).toBe(true);
    expect(busy.observation.text).toContain('was NOT executed');
    expect(busy.observation.text).toContain('`sleep 30` is still running');
    const ctrlC = await bash({ command: 'C-c', is_input: true });
    expect(ctrlC.observation.isError).toBe(false);
    expect(ctrlC.observation.exitCode).toBe(130);
    const ls = await bash({ command: 'ls should-not-exist' });
    expect(ls.observation.exitCode).not.toBe(0);
  });

  it('sends a bare key to the running command even without is_input', async () => {
    expect((await bash({ command: 'sleep 30' })).observation.exitCode).toBe(-1);
    const r = await bash({ command: 'C-c' });
    expect(r.observation).toMatchObject({ isError: false, exitCode: 130 });
  });

  it('applies a timeout given while continuing a running command', async () => {
    expect((await bash({ command: 'echo begin; sleep 30' })).observation.exitCode).toBe(-1);
    const r = await bash({ command: '', timeout: 1 });
    expect(r.observation.text).toContain('[The command timed out after 1 seconds and was stopped');
    expect((await bash({ command: 'echo ok' })).observation.exitCode).toBe(0);
  });

  it('sends input to a running process', async () => {
    const r = await bash({ command: 'read -r name; echo "hi $name"' });
    expect(r.observation.exitCode).toBe(-1);
    const answer = await bash({ command: 'world', is_input: true });
    expect(answer.observation.text).toContain('hi world');
    expect(answer.observation.exitCode).toBe(0);
  });

  it('sends C-d to end input', async () => {
    const r = await bash({ command: 'cat > eof.txt' });
    expect(r.observation.exitCode).toBe(-1);
    await bash({ command: 'line one', is_input: 'true' });
    const eof = await bash({ command: 'C-d', is_input: true });
    expect(eof.observation.exitCode).toBe(0);
    const check = await bash({ command: 'cat eof.txt' });
    expect(check.observation.text).toContain('line one');
  });

  it('runs the next command when the previous one ended while nobody looked', async () => {
    const r = await bash({ command: 'sleep 1.2; echo late' });
    expect(r.observation.exitCode).toBe(-1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const next = await bash({ command: 'echo next' });
    expect(next.observation.isError).toBe(false);
    expect(next.observation.text).toContain('[The previous command ended before this one started. Its last output:]\nlate');
    expect(next.observation.text).toMatch(/next\n\[The command completed with exit code 0\.\]$/);
  });

  it('kills a command at its hard timeout', async () => {
    const started = Date.now();
    const r = await bash({ command: 'sleep 20', timeout: 1 });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.observation.isError).toBe(false);
    expect(r.observation.text).toContain('[The command timed out after 1 seconds and was stopped (exit code');
    expect(r.observation.text).toContain('[The command timed out and was interrupted with Ctrl-C.]');
    const after = await bash({ command: 'echo alive' });
    expect(after.observation.text).toContain('alive');
  });

  it('waits past the idle limit when a timeout is given', async () => {
    const r = await bash({ command: 'sleep 1.5; echo waited', timeout: '10' });
    expect(r.observation.exitCode).toBe(0);
    expect(r.observation.text).toContain('waited');
  });

  it('gives errors for input, keys and empty commands when nothing runs', async () => {
    const empty = await bash({ command: '' });
    expect(empty.observation).toMatchObject({ isError: true, tool: 'bash' });
    expect(empty.observation.text).toBe('ERROR: No command is running, so there is no further output to show.');
    const input = await bash({ command: 'yes', is_input: true });
    expect(input.observation.isError).toBe(true);
    expect(input.observation.text).toContain('No command is running, so there is no process to send input to');
    const key = await bash({ command: 'C-c', is_input: true });
    expect(key.observation.text).toContain('no process to send C-c to');
  });

  it('shows the shell layer notice and caps long output keeping head and tail', async () => {
    const r = await env.run('bash', { command: 'seq 1 20000' });
    expect(r.observation.text.length).toBeLessThanOrEqual(30_200);
    expect(r.observation.text).toContain('characters of output omitted');
    expect(r.observation.text.startsWith('1\n2\n3\n')).toBe(true);
    expect(r.observation.text).toMatch(/20000\n\[The command completed with exit code 0\.\]$/);
  });

  it('rejects mistyped arguments with an error observation', async () => {
    const r = await bash({ command: 12 });
    expect(r.observation.isError).toBe(true);
    expect(r.observation.text).toContain('`command` should be a string, but got number 12');
    const t = await bash({ command: 'ls', timeout: 'soon' });
    expect(t.observation.text).toContain('`timeout` should be a number, but got the string "soon"');
    const i = await bash({ command: 'ls', is_input: 'maybe' });
    expect(i.observation.text).toContain('`is_input` should be one of "true", "false"');
  });
});
