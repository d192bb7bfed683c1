// What LLM agents tell their model besides the task: our own words, in the shapes OpenHands' CodeAct
// agent uses (so trajectories train models in the format they are used in).
import { toolDefinition, type JsonSchema, type ToolSchemaOptions } from '../tools/export-schemas.js';
import { TOOL_NAMES } from '../tools/schemas.js';

/** The system prompt of an LLM agent (before the text format's tool descriptions). */
export const SYSTEM_PROMPT = `You are a software engineering agent working in a sandboxed Linux machine. You act only through the tools you are given: run shell commands, view and edit files, think, and finish.

* Work step by step: explore the repository, make the change the task asks for, check it, then call \`finish\`.
* Keep changes minimal and focused on the task; do not edit tests unless the task says so.
* The machine has no network.`;

/** What a turn without a tool call is answered with. */
export const NUDGE = `Continue with the task using the approach you find best. Act through a tool call: if the task is done, call \`finish\`. Do not ask for help; no human will answer.`;

/** The first line of a tool result in the text format (OpenHands' "EXECUTION RESULT of [NAME]:"). */
export function executionResult(toolName: string, text: string): string {
  return `EXECUTION RESULT of [${toolName}]:\n${text}`;
}

function parameterLines(parameters: { properties: Record<string, JsonSchema>; required?: string[] }): string[] {
  const required = new Set(parameters.required ?? []);
  return Object.entries(parameters.properties).map(([name, schema], i) => {
    const type = schema.type === 'array' ? `array of ${String((schema.items as JsonSchema | undefined)?.type ?? 'values')}` : String(schema.type ?? (schema.enum ? 'string' : 'value'));
    const allowed = Array.isArray(schema.enum) ? ` Allowed values: [${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}]` : '';
    return `  (${i + 1}) ${name} (${type}, ${required.has(name) ? 'required' : 'optional'}): ${String(schema.description ?? '')}${allowed}`;
  });
}

/**
 * The tool descriptions of OpenHands' text format, for models without function calling: each
 * function with its parameters, then the call syntax `<function=NAME><parameter=K>V</parameter></function>`.
 */
export function textToolsPrompt(options: ToolSchemaOptions = {}): string {
  const blocks = (options.tools ?? TOOL_NAMES).map((tool, i) => {
    const d = toolDefinition(tool, options);
    return [`---- BEGIN FUNCTION #${i + 1}: ${d.name} ----`, `Description: ${d.description}`, 'Parameters:', ...parameterLines(d.parameters), `---- END FUNCTION #${i + 1} ----`].join('\n');
  });
  return `You have access to the following functions:

${blocks.join('\n\n')}

To call a function, reply in exactly this format, with nothing after it:

<function=example_function_name>
<parameter=example_parameter_1>value_1</parameter>
<parameter=example_parameter_2>
A value can span
several lines
</parameter>
</function>

<IMPORTANT>
Reminder:
- A call starts with <function= and ends with </function>
- Give every required parameter
- Call one function at a time
- You may explain your reasoning in plain text BEFORE the call, never after it
</IMPORTANT>`;
}

/** The system prompt as sent: with the text format, the tool descriptions follow the base prompt. */
export function systemPromptFor(toolFormat: 'function-calling' | 'text', base = SYSTEM_PROMPT, options: ToolSchemaOptions = {}): string {
  return toolFormat === 'text' ? `${base}\n\n${textToolsPrompt(options)}` : base;
}
