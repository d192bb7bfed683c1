import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError } from '../../../src/errors.js';
import { LocalProvider } from '../../../src/sandbox/local/local-provider.js';
import { runAction } from '../../../src/tools/run-action.js';
import { openContext } from './sandbox-context.js';

let env: Awaited<ReturnType<typeof openContext>>;

beforeAll(async () => {
  env = await openContext();
});
afterAll(async () => {
  await env.close();
});

describe('runAction: malformed actions become error observations', () => {
  it('rejects actions that are not objects', async () => {
    for (const bad of [null, 'bash ls', ['bash'], 42]) {
      const r = await runAction(bad, env.ctx);
      expect(r.finished).toBe(false);
      expect(r.observation.isError).toBe(true);
      expect(r.observation.text).toContain('An action must be an object with a tool name and its input, like {"tool": "bash"');
    }
  });

  it('asks for a tool name', async () => {
    const r = await runAction({ input: { command: 'ls' } }, env.ctx);
    expect(r.observation.text).toBe('The action names no tool. Set `tool` to one of: bash, str_replace_editor, think, finish.');
  });

  it('suggests the closest tool name for an unknown tool', async () => {
    const cases: Array<[string, string]> = [
      ['bsh', 'bash'],
      ['editor', 'str_replace_editor'],
      ['finsh', 'finish'],
      ['thinking', 'think'],
    ];
    for (const [name, suggestion] of cases) {
      const r = await runAction({ tool: name, input: {}, callId: 'c1' }, env.ctx);
      expect(r.observation).toMatchObject({ isError: true, callId: 'c1' });
      expect(r.observation.tool).toBeUndefined();
      expect(r.observation.text).toBe(
        `Unknown tool \`${name}\`. Did you mean \`${suggestion}\`? Available tools: bash, str_replace_editor, think, finish.`,
      );
    }
  });

  it('takes names of Object.prototype members (__proto__, constructor, toString) as unknown tools, never as a crash', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const r = await runAction({ tool: name, input: { command: 'ls' } }, env.ctx);
      expect(r.observation.isError, name).toBe(true);
      expect(r.observation.text).toMatch(new RegExp(`^Unknown tool \`${name}\``));
    }
  });

  it('accepts tool names that differ only in case', async () => {
    const r = await runAction({ tool: 'Think', input: { thought: 'x' } }, env.ctx);
    expect(r.observation).toMatchObject({ isError: false, tool: 'think' });
  });

  it('takes the input as a JSON string, and reports JSON that does not parse', async () => {
    const ok = await runAction({ tool: 'bash', input: '{"command": "echo from-json"}', callId: 'call_9' }, env.ctx);
    expect(ok.observation).toMatchObject({ isError: false, callId: 'call_9', tool: 'bash', exitCode: 0 });
    expect(ok.observation.text).toContain('from-json');
    const bad = await runAction({ tool: 'bash', input: '{"command": "ls"' }, env.ctx);
    expect(bad.observation.isError).toBe(true);
    expect(bad.observation.text).toMatch(/^The input of tool `bash` is not valid JSON \(.+\)\. Send the arguments as a JSON object, for example \{"command": "ls -la"\}\.$/);
    const arr = await runAction({ tool: 'bash', input: '["ls"]' }, env.ctx);
    expect(arr.observation.text).toBe('The input of tool `bash` must be an object of named parameters, but it is an array.');
  });

  it('names missing parameters, wrong types and unknown parameters', async () => {
    const r = await runAction({ tool: 'bash', input: { cmd: 'ls' } }, env.ctx);
    expect(r.observation.isError).toBe(true);
    expect(r.observation.text).toBe(
      'Invalid input for tool `bash`:\n  - missing required parameter `command` (string)\n  - unknown parameter: cmd\n' +
        'Parameters of `bash`: command (required), is_input, timeout.',
    );
    const think = await runAction({ tool: 'think', input: { thought: ['a'] } }, env.ctx);
    expect(think.observation.text).toContain('`thought` should be a string, but got an array');
  });

  it('turns a relative path into an error observation with a suggestion', async () => {
    const r = await runAction({ tool: 'str_replace_editor', input: { command: 'view', path: 'src' } }, env.ctx);
    expect(r.observation.isError).toBe(true);
    expect(r.observation.text).toContain(`The path src is not absolute; did you mean ${env.sandbox.workdir}/src?`);
  });
});

describe('think and finish', () => {
  it('think logs the thought', async () => {
    const r = await runAction({ tool: 'think', input: { thought: 'maybe the parser' } }, env.ctx);
    expect(r).toEqual({ observation: { text: 'Your thought has been logged.', isError: false, tool: 'think' }, finished: false });
  });

  it('finish ends the episode with its message', async () => {
    const r = await runAction({ tool: 'finish', input: { message: 'done' }, callId: 'f' }, env.ctx);
    expect(r).toEqual({ observation: { text: 'Finished: done', isError: false, tool: 'finish', callId: 'f' }, finished: true, message: 'done' });
    const bare = await runAction({ tool: 'finish' }, env.ctx);
    expect(bare.finished).toBe(true);
    expect(bare.message).toBe('');
    expect(bare.observation.text).toBe('Finished.');
  });
});

describe('observation cap', () => {
  it('cuts long observations to maxObservationChars, keeping head and tail', async () => {
    const ctx = { ...env.ctx, maxObservationChars: 200 };
    const r = await runAction({ tool: 'bash', input: { command: 'seq 1 1000' } }, ctx);
    expect(r.observation.text.length).toBeLessThan(260);
    expect(r.observation.text.startsWith('1\n2\n3\n')).toBe(true);
    expect(r.observation.text).toMatch(/characters of output omitted/);
    expect(r.observation.text).toMatch(/1000\n\[The command completed with exit code 0\.\]$/);
  });
});

describe('infrastructure errors', () => {
  it('propagates a closed sandbox instead of blaming the agent', async () => {
    const provider = await LocalProvider.start();
    const sandbox = await provider.create();
    await sandbox.close();
    const ctx = { sandbox, editHistory: new Map<string, string[]>() };
    await expect(runAction({ tool: 'bash', input: { command: 'ls' } }, ctx)).rejects.toBeInstanceOf(ClosedError);
    await expect(runAction({ tool: 'str_replace_editor', input: { command: 'view', path: '/x' } }, ctx)).rejects.toBeInstanceOf(ClosedError);
    await provider.close();
  });
});
