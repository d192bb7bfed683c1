import { describe, expect, it } from 'vitest';
import { parseAnthropicToolUse, parseOpenAIToolCall, parseTextToolCall, parseTextToolCalls } from '../../../src/tools/parse.js';

describe('parseOpenAIToolCall', () => {
  it('turns a tool call into an action', () => {
    const r = parseOpenAIToolCall({ id: 'call_1', type: 'function', function: { name: 'execute_bash', arguments: '{"command":"ls"}' } });
    expect(r).toEqual({ ok: true, action: { tool: 'execute_bash', input: { command: 'ls' }, callId: 'call_1' } });
  });

  it('accepts empty arguments and already parsed objects', () => {
    expect(parseOpenAIToolCall({ id: 'a', function: { name: 'finish', arguments: '' } })).toEqual({ ok: true, action: { tool: 'finish', input: {}, callId: 'a' } });
    expect(parseOpenAIToolCall({ function: { name: 'think', arguments: { thought: 't' } } })).toEqual({ ok: true, action: { tool: 'think', input: { thought: 't' } } });
  });

  it('gives error values for malformed calls', () => {
    const bad = parseOpenAIToolCall({ id: 'x', function: { name: 'bash', arguments: '{"command": ' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^The arguments of the call to `bash` are not valid JSON/);
    const notObject = parseOpenAIToolCall({ function: { name: 'bash', arguments: '"ls"' } });
    expect(notObject).toEqual({ ok: false, error: 'The arguments of the call to `bash` must be a JSON object, not "ls".' });
    expect(parseOpenAIToolCall('bash').ok).toBe(false);
    expect(parseOpenAIToolCall({ function: { arguments: '{}' } })).toEqual({ ok: false, error: 'The tool call names no function.' });
  });
});

describe('parseAnthropicToolUse', () => {
  it('turns a tool_use block into an action', () => {
    const r = parseAnthropicToolUse({ type: 'tool_use', id: 'toolu_1', name: 'str_replace_editor', input: { command: 'view', path: '/w' } });
    expect(r).toEqual({ ok: true, action: { tool: 'str_replace_editor', input: { command: 'view', path: '/w' }, callId: 'toolu_1' } });
    expect(parseAnthropicToolUse({ type: 'text' }).ok).toBe(false);
  });
});

describe('parseTextToolCalls (OpenHands text format)', () => {
  it('parses calls of tools named like Object.prototype members without throwing (the env then says the tool is unknown)', () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      const r = parseTextToolCalls(`<function=${name}>\n<parameter=command>ls</parameter>\n</function>`);
      expect(r).toEqual({ ok: true, thought: '', actions: [{ tool: name, input: { command: 'ls' } }] });
    }
  });

  it('parses multi-line values and keeps their indentation', () => {
    const text = [
      'I will fix the return value.',
      '<function=str_replace_editor>',
      '<parameter=command>str_replace</parameter>',
      '<parameter=path>/workspace/a.py</parameter>',
      '<parameter=old_str>',
      '    return 1',
      '</parameter>',
      '<parameter=new_str>',
      '    return 2',
      '    # done',
      '</parameter>',
      '</function>',
    ].join('\n');
    const r = parseTextToolCalls(text);
    expect(r).toEqual({
      ok: true,
      thought: 'I will fix the return value.',
      actions: [
        {
          tool: 'str_replace_editor',
          input: { command: 'str_replace', path: '/workspace/a.py', old_str: '    return 1', new_str: '    return 2\n    # done' },
        },
      ],
    });
  });

  it('coerces numbers and arrays given as text', () => {
    const r = parseTextToolCall(
      '<function=str_replace_editor>\n<parameter=command>view</parameter>\n<parameter=path>/w/a.py</parameter>\n<parameter=view_range>[10, 20]</parameter>\n</function>',
    );
    expect(r).toEqual({ ok: true, action: { tool: 'str_replace_editor', input: { command: 'view', path: '/w/a.py', view_range: [10, 20] } } });
    const ins = parseTextToolCall('<function=str_replace_editor><parameter=insert_line>7</parameter><parameter=view_range>1 5</parameter></function>');
    expect(ins.ok && ins.action.input).toEqual({ insert_line: 7, view_range: [1, 5] });
    const bash = parseTextToolCall('<function=execute_bash><parameter=command>sleep 5</parameter><parameter=timeout>30</parameter><parameter=is_input>false</parameter></function>');
    expect(bash.ok && bash.action.input).toEqual({ command: 'sleep 5', timeout: 30, is_input: 'false' });
  });

  it('tolerates a missing closing tag and reads several calls', () => {
    const r = parseTextToolCalls('<function=think>\n<parameter=thought>a</parameter>\n</function>\n<function=bash>\n<parameter=command>ls\n');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.actions).toEqual([
      { tool: 'think', input: { thought: 'a' } },
      { tool: 'bash', input: { command: 'ls' } },
    ]);
  });

  it('gives error values when no call can be read', () => {
    const none = parseTextToolCall('I am done thinking.');
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.error).toContain('No tool call found. Call a tool in this format:\n<function=bash>');
    expect(parseTextToolCall('<function=>\n</function>')).toEqual({ ok: false, error: expect.stringContaining('names no tool') });
    expect(parseTextToolCall('<function=bash><parameter=>x</parameter></function>')).toEqual({
      ok: false,
      error: 'A <parameter=...> tag of the call to `bash` names no parameter.',
    });
  });
});
