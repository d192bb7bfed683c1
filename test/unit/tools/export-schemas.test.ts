import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { toolSchemas } from '../../../src/tools/export-schemas.js';

describe('toolSchemas', () => {
  it('exports OpenAI function tools', () => {
    const tools = toolSchemas('openai');
    expect(tools.map((t) => t.function.name)).toEqual(['bash', 'str_replace_editor', 'think', 'finish']);
    const bash = tools[0]!;
    expect(bash.type).toBe('function');
    expect(bash.function.description).toContain('The session persists');
    expect(bash.function.parameters).toMatchObject({
      type: 'object',
      required: ['command'],
      properties: { command: { type: 'string' }, is_input: { type: 'string', enum: ['true', 'false'] }, timeout: { type: 'number' } },
    });
    expect(JSON.stringify(tools)).not.toContain('$schema');
    expect(JSON.stringify(tools)).not.toContain('9007199254740991');
  });

  it('exports Anthropic tools with input_schema', () => {
    const tools = toolSchemas('anthropic', { bashName: 'execute_bash' });
    expect(tools.map((t) => t.name)).toEqual(['execute_bash', 'str_replace_editor', 'think', 'finish']);
    const editor = tools[1]!;
    expect(editor.input_schema).toMatchObject({
      type: 'object',
      required: ['command', 'path'],
      properties: {
        command: { enum: ['view', 'create', 'str_replace', 'insert', 'undo_edit'] },
        insert_line: { type: 'integer' },
        view_range: { type: 'array', items: { type: 'integer' } },
      },
    });
    expect(tools[3]!.input_schema).toMatchObject({ properties: { message: { type: 'string' } } });
  });

  it('offers a subset of the tools and rejects unknown formats', () => {
    expect(toolSchemas('openai', { tools: ['think'] })).toHaveLength(1);
    expect(() => toolSchemas('gemini' as 'openai')).toThrow(ValidationError);
  });
});
