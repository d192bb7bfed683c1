import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../../src/serve/protocol.js';
import { isLoopback } from '../../../src/serve/access.js';
import { ActionSchema, serverSchemas, stepData } from '../../../src/serve/wire.js';

const code = (raw: string) => {
  const r = parseClientMessage(raw);
  return r.ok ? 'ok' : r.reply.type === 'error' ? r.reply.data.code : r.reply.type;
};

describe('client messages', () => {
  it('accepts the four message types as OpenEnv clients send them', () => {
    expect(parseClientMessage('{"type":"reset","data":{"seed":3,"episode_id":"e1","options":{"instanceId":"i"}}}')).toEqual({
      ok: true,
      message: { type: 'reset', data: { seed: 3, episode_id: 'e1', options: { instanceId: 'i' } } },
    });
    expect(parseClientMessage('{"type":"reset"}')).toEqual({ ok: true, message: { type: 'reset', data: {} } });
    expect(parseClientMessage('{"type":"step","data":{"tool":"bash","input":{"command":"ls"},"metadata":{}}}').ok).toBe(true);
    expect(code('{"type":"state"}')).toBe('ok');
    expect(code('{"type":"close"}')).toBe('ok');
  });

  it('names what is wrong, with OpenEnv\'s codes', () => {
    expect(code('{"type":')).toBe('INVALID_JSON');
    expect(code('[1]')).toBe('VALIDATION_ERROR');
    expect(code('"step"')).toBe('VALIDATION_ERROR');
    expect(code('{"type":"stpe"}')).toBe('UNKNOWN_TYPE');
    expect(code('{"data":{}}')).toBe('UNKNOWN_TYPE');
    expect(code('{"type":"step"}')).toBe('VALIDATION_ERROR');
    expect(code('{"type":"step","data":"ls"}')).toBe('VALIDATION_ERROR');
    expect(code('{"type":"step","data":{"command":"ls"}}')).toBe('VALIDATION_ERROR');
    expect(code('{"type":"reset","data":{"seed":-1}}')).toBe('VALIDATION_ERROR');
    expect(code('{"type":"reset","data":{"seed":1.5}}')).toBe('VALIDATION_ERROR');
  });

  it('refuses a misspelt key instead of ignoring it (the reset would silently draw another instance)', () => {
    const r = parseClientMessage('{"type":"reset","data":{"instance_id":"x"}}');
    expect(r.ok).toBe(false);
    if (!r.ok && r.reply.type === 'error') {
      expect(r.reply.data.message).toContain('"instance_id"');
      expect(r.reply.data.errors).toEqual([{ path: 'data', message: 'unknown key "instance_id"' }]);
    }
    expect(code('{"type":"reset","data":{"options":{"instance_id":"x"}}}')).toBe('VALIDATION_ERROR');
    expect(code('{"type":"step","data":{"tool":"bash"},"extra":1}')).toBe('VALIDATION_ERROR');
  });

  it('leaves the agent\'s mistakes to the env: an unknown tool or bad input is a valid message', () => {
    expect(code('{"type":"step","data":{"tool":"bsh","input":42}}')).toBe('ok');
  });
});

describe('wire forms', () => {
  it('gives done for terminated or truncated and keeps the distinction in metadata', () => {
    const base = { observation: { text: 't', isError: false }, reward: 1, info: { instanceId: 'i', step: 2, elapsedMs: 5 } };
    const finished = stepData('e', { ...base, terminated: true, truncated: false });
    expect(finished).toMatchObject({ reward: 1, done: true, metadata: { episode_id: 'e', terminated: true, truncated: false } });
    const cut = stepData('e', { ...base, reward: 0, terminated: false, truncated: true, info: { ...base.info, truncation: 'infra', infraError: { code: 'SANDBOX', message: 'gone' } } });
    expect(cut).toMatchObject({ done: true, metadata: { terminated: false, truncated: true, info: { infraError: { code: 'SANDBOX' } } } });
    expect(stepData('e', { ...base, reward: 0, terminated: false, truncated: false }).done).toBe(false);
  });

  it('publishes JSON Schemas that the actions the tools take satisfy', () => {
    const s = serverSchemas();
    expect(Object.keys(s)).toEqual(['action', 'observation', 'state']);
    expect(JSON.stringify(s.action)).toContain('str_replace_editor');
    expect(ActionSchema.safeParse({ tool: 'execute_bash', input: { command: 'ls' } }).success).toBe(true);
    expect(ActionSchema.safeParse({ tool: 'finish', input: { message: 'done' } }).success).toBe(true);
    expect(ActionSchema.safeParse({ tool: 'rm', input: {} }).success).toBe(false);
  });

  it('admits only actions the server takes: what the schema says is valid is never refused', () => {
    const admitted = [
      { tool: 'bash', input: { command: 'ls' } },
      { tool: 'bash', input: '{"command": "ls"}' },
      { tool: 'str_replace_editor', input: { command: 'view', path: '/workspace' }, callId: 'c1' },
      { tool: 'think', input: { thought: 'x' }, metadata: {} },
      { tool: 'finish' },
    ];
    for (const data of admitted) {
      expect(ActionSchema.safeParse(data).success, JSON.stringify(data)).toBe(true);
      expect(parseClientMessage(JSON.stringify({ type: 'step', data })).ok, JSON.stringify(data)).toBe(true);
    }
    // The schema refuses what the server refuses: an unknown key beside the action's own.
    const extra = { tool: 'bash', input: { command: 'ls' }, foo: 1 };
    expect(ActionSchema.safeParse(extra).success).toBe(false);
    expect(parseClientMessage(JSON.stringify({ type: 'step', data: extra })).ok).toBe(false);
  });
});

describe('isLoopback', () => {
  it('knows which hosts only this machine reaches', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.org', '128.0.0.1']) expect(isLoopback(h)).toBe(false);
  });
});
