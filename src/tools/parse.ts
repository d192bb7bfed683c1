import { toolDefinition } from './export-schemas.js';
import { coerceIntList, coerceNumber } from './schemas.js';
import { resolveToolName } from './tool-names.js';
import type { Action } from './types.js';

/** A parsed tool call, or what was wrong with it (for an error observation; never thrown). */
export type ParsedAction = { ok: true; action: Action } | { ok: false; error: string };
/** Every tool call of a text reply, and the text before the first one (the model's reasoning). */
export type ParsedActions = { ok: true; actions: Action[]; thought: string } | { ok: false; error: string };

const TEXT_EXAMPLE = '<function=bash>\n<parameter=command>ls -la</parameter>\n</function>';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parseArguments(name: string, args: unknown): { ok: true; input: unknown } | { ok: false; error: string } {
  if (args === undefined || args === null) return { ok: true, input: {} };
  if (typeof args !== 'string') return isObject(args) ? { ok: true, input: args } : { ok: false, error: `The arguments of the call to \`${name}\` must be a JSON object.` };
  if (args.trim() === '') return { ok: true, input: {} };
  try {
    const input: unknown = JSON.parse(args);
    if (!isObject(input)) return { ok: false, error: `The arguments of the call to \`${name}\` must be a JSON object, not ${JSON.stringify(input).slice(0, 80)}.` };
    return { ok: true, input };
  } catch (err) {
    return { ok: false, error: `The arguments of the call to \`${name}\` are not valid JSON (${(err as Error).message}): ${args.slice(0, 200)}` };
  }
}

/** An OpenAI chat-completions tool call: `{ id, type: 'function', function: { name, arguments: '<json>' } }`. */
export function parseOpenAIToolCall(call: unknown): ParsedAction {
  if (!isObject(call) || !isObject(call.function)) {
    return { ok: false, error: 'A tool call must be an object like {"id": "...", "type": "function", "function": {"name": "...", "arguments": "{...}"}}.' };
  }
  const name = call.function.name;
  if (typeof name !== 'string' || name.trim() === '') return { ok: false, error: 'The tool call names no function.' };
  const args = parseArguments(name, call.function.arguments);
  if (!args.ok) return args;
  const action: Action = { tool: name, input: args.input };
  if (typeof call.id === 'string') action.callId = call.id;
  return { ok: true, action };
}

/** An Anthropic `tool_use` content block: `{ type: 'tool_use', id, name, input }`. */
export function parseAnthropicToolUse(block: unknown): ParsedAction {
  if (!isObject(block) || typeof block.name !== 'string' || block.name.trim() === '') {
    return { ok: false, error: 'A tool_use block must be an object like {"type": "tool_use", "id": "...", "name": "...", "input": {...}}.' };
  }
  const args = parseArguments(block.name, block.input);
  if (!args.ok) return args;
  const action: Action = { tool: block.name, input: args.input };
  if (typeof block.id === 'string') action.callId = block.id;
  return { ok: true, action };
}

const propertyTypes = new Map<string, Record<string, { type?: string }>>();

function typeOf(tool: string, param: string): string | undefined {
  const canonical = resolveToolName(tool);
  if (!canonical) return undefined;
  let props = propertyTypes.get(canonical);
  if (!props) {
    props = (toolDefinition(canonical).parameters.properties ?? {}) as Record<string, { type?: string }>;
    propertyTypes.set(canonical, props);
  }
  return props[param]?.type;
}

/** Turn a parameter's text into the type the tool's schema declares (numbers, integer lists, booleans). */
function coerce(tool: string, param: string, text: string): unknown {
  switch (typeOf(tool, param)) {
    case 'integer':
    case 'number':
      return coerceNumber(text);
    case 'array': {
      try {
        const v: unknown = JSON.parse(text);
        if (Array.isArray(v)) return v;
      } catch {
        // Not JSON: "1, 20" and "1 20" are handled below.
      }
      return coerceIntList(text);
    }
    case 'boolean':
      return text.trim() === 'true' ? true : text.trim() === 'false' ? false : text;
    default:
      return text;
  }
}

/** Drop the one line break that usually follows an opening tag and the one before a closing tag. */
function trimValue(raw: string): string {
  return raw.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
}

/**
 * Tool calls in OpenHands' text format (for models without function calling):
 * `<function=NAME>` then `<parameter=P>VALUE</parameter>` per parameter, then `</function>`.
 * Values may span lines and keep their inner whitespace; a final `</function>` cut off by a stop
 * sequence is tolerated.
 */
export function parseTextToolCalls(text: string): ParsedActions {
  const starts = [...text.matchAll(/<function=([^>\n]*)>/g)];
  if (starts.length === 0) return { ok: false, error: `No tool call found. Call a tool in this format:\n${TEXT_EXAMPLE}` };
  const actions: Action[] = [];
  for (let i = 0; i < starts.length; i++) {
    const m = starts[i]!;
    const name = m[1]!.trim();
    if (name === '') return { ok: false, error: `A <function=...> tag names no tool. Use this format:\n${TEXT_EXAMPLE}` };
    const bodyStart = m.index! + m[0].length;
    const nextStart = starts[i + 1]?.index ?? text.length;
    const close = text.indexOf('</function>', bodyStart);
    const body = text.slice(bodyStart, close !== -1 && close < nextStart ? close : nextStart);
    const input: Record<string, unknown> = {};
    const params = [...body.matchAll(/<parameter=([^>\n]*)>([\s\S]*?)(?:<\/parameter>|(?=<parameter=)|$)/g)];
    for (const p of params) {
      const param = p[1]!.trim();
      if (param === '') return { ok: false, error: `A <parameter=...> tag of the call to \`${name}\` names no parameter.` };
      input[param] = coerce(name, param, trimValue(p[2]!));
    }
    actions.push({ tool: name, input });
  }
  return { ok: true, actions, thought: text.slice(0, starts[0]!.index).trim() };
}

/** The first tool call of a text reply in OpenHands' format (see `parseTextToolCalls`). */
export function parseTextToolCall(text: string): ParsedAction {
  const r = parseTextToolCalls(text);
  if (!r.ok) return r;
  return { ok: true, action: r.actions[0]! };
}
