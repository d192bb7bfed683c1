import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { TOOL_INPUT_SCHEMAS, TOOL_NAMES, type ToolName } from './schemas.js';

/** A JSON Schema (the subset tool definitions use). */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a tool's input: always an object of named parameters. Its shape is what the
 * official SDKs declare (`@anthropic-ai/sdk`'s `Tool.InputSchema`, `openai`'s `FunctionParameters`),
 * so the tool lists below pass to them without casts. Mutable arrays on purpose: the SDKs' types are.
 */
export interface ToolInputSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  [key: string]: unknown;
}

/** One tool for OpenAI-compatible chat completions (`tools` of `chat.completions.create`). */
export interface OpenAITool {
  type: 'function';
  function: { name: string; description: string; parameters: ToolInputSchema };
}

/** One tool for Anthropic's Messages API (`tools` of `messages.create`). */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: ToolInputSchema;
}

export interface ToolSchemaOptions {
  /**
   * The name the shell tool is offered under: OpenHands' trajectories call it `execute_bash`.
   * Either name is accepted back in actions. @default 'bash'
   */
  bashName?: 'bash' | 'execute_bash';
  /** Offer only these tools (canonical names). @default all four */
  tools?: readonly ToolName[];
}

// zod writes the safe-integer bounds of .int() into the schema; they only add noise for a model.
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema') continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
    out[k] = clean(v);
  }
  return out;
}

/** A tool's name, description and input JSON Schema, independent of any LLM API. */
export function toolDefinition(tool: ToolName, options: ToolSchemaOptions = {}): { name: string; description: string; parameters: ToolInputSchema } {
  const schema = TOOL_INPUT_SCHEMAS[tool];
  const json = clean(z.toJSONSchema(schema)) as JsonSchema;
  const description = String(json.description ?? '');
  delete json.description;
  // Every tool input is a z.object, so zod writes `type: 'object'` and `properties`; checked here all the same.
  if (json.type !== 'object' || typeof json.properties !== 'object' || json.properties === null) {
    throw new Error(`The input schema of tool ${tool} is not a JSON Schema object`);
  }
  const name = tool === 'bash' ? (options.bashName ?? 'bash') : tool;
  return { name, description, parameters: json as ToolInputSchema };
}

/** The tool definitions in the format an LLM API takes. */
export function toolSchemas(format: 'openai', options?: ToolSchemaOptions): OpenAITool[];
export function toolSchemas(format: 'anthropic', options?: ToolSchemaOptions): AnthropicTool[];
export function toolSchemas(format: 'openai' | 'anthropic', options?: ToolSchemaOptions): OpenAITool[] | AnthropicTool[];
export function toolSchemas(format: 'openai' | 'anthropic', options: ToolSchemaOptions = {}): OpenAITool[] | AnthropicTool[] {
  if (format !== 'openai' && format !== 'anthropic') {
    throw new ValidationError('toolSchemas format', [{ path: 'format', message: `expected 'openai' or 'anthropic', received ${JSON.stringify(format)}` }]);
  }
  const defs = (options.tools ?? TOOL_NAMES).map((t) => toolDefinition(t, options));
  if (format === 'anthropic') return defs.map((d) => ({ name: d.name, description: d.description, input_schema: d.parameters }));
  return defs.map((d) => ({ type: 'function' as const, function: { name: d.name, description: d.description, parameters: d.parameters } }));
}
