import type { z } from 'zod';
import { TOOL_INPUT_SCHEMAS, type ToolName } from './schemas.js';

export type Validated = { ok: true; input: unknown } | { ok: false; error: string };

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${JSON.stringify(value).slice(0, 80)})`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const name = issue.path.map(String).join('.') || '(input)';
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `missing required parameter \`${name}\` (${issue.expected})`;
      return `\`${name}\` should be ${issue.expected === 'array' ? 'an array' : `a ${issue.expected}`}, but got ${describeValue(value)}`;
    case 'invalid_value':
      return `\`${name}\` should be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, but got ${describeValue(value)}`;
    default:
      return `\`${name}\`: ${issue.message}`;
  }
}

/** A line naming every parameter of the tool, required ones marked. */
export function parameterSummary(tool: ToolName): string {
  const shape = TOOL_INPUT_SCHEMAS[tool].shape as Record<string, z.ZodType>;
  const params = Object.entries(shape).map(([k, s]) => (s.safeParse(undefined).success ? k : `${k} (required)`));
  return `Parameters of \`${tool}\`: ${params.join(', ')}.`;
}

/** Check an action's input against its tool's schema; the error says what to fix. */
export function validateInput(tool: ToolName, input: unknown): Validated {
  const schema = TOOL_INPUT_SCHEMAS[tool];
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, input: result.data };
  const lines = result.error.issues.map((i) => `  - ${describeIssue(i, input)}`);
  const known = Object.keys(schema.shape);
  const unknown = Object.keys(input as object).filter((k) => !known.includes(k));
  if (unknown.length > 0) lines.push(`  - unknown parameter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  return { ok: false, error: `Invalid input for tool \`${tool}\`:\n${lines.join('\n')}\n${parameterSummary(tool)}` };
}
