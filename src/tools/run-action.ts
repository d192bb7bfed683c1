import { FileTooLargeError, HybridGymError, ShellBusyError } from '../errors.js';
import { runBash } from './bash-tool.js';
import { capObservation } from './cap-observation.js';
import { runEditor } from './editor/run-editor.js';
import { runFinish } from './finish-tool.js';
import { errorOutcome, ToolInputError } from './observation.js';
import type { BashInput, EditorInput, FinishInput, ThinkInput, ToolName } from './schemas.js';
import { TOOL_NAMES } from './schemas.js';
import { runThink } from './think-tool.js';
import { closestToolName, resolveToolName } from './tool-names.js';
import type { ToolContext, ToolOutcome } from './types.js';
import { validateInput } from './validate-input.js';

const EXAMPLE = `{"tool": "bash", "input": {"command": "ls"}}`;
const INPUT_EXAMPLES: Record<ToolName, string> = {
  bash: '{"command": "ls -la"}',
  str_replace_editor: '{"command": "view", "path": "/workspace/README.md"}',
  think: '{"thought": "..."}',
  finish: '{"message": "..."}',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The action's input as an object: LLM APIs give arguments as a JSON string. */
function inputObject(tool: ToolName, input: unknown): { ok: true; value: object } | { ok: false; error: string } {
  let value = input;
  if (value === undefined || value === null) value = {};
  if (typeof value === 'string') {
    if (value.trim() === '') value = {};
    else {
      try {
        value = JSON.parse(value);
      } catch (err) {
        return {
          ok: false,
          error: `The input of tool \`${tool}\` is not valid JSON (${(err as Error).message}). Send the arguments as a JSON object, for example ${INPUT_EXAMPLES[tool]}.`,
        };
      }
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: `The input of tool \`${tool}\` must be an object of named parameters, but it is ${kindOf(value)}.` };
  }
  return { ok: true, value };
}

async function dispatch(tool: ToolName, input: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  switch (tool) {
    case 'bash':
      return runBash(input as BashInput, ctx);
    case 'str_replace_editor':
      return runEditor(input as EditorInput, ctx);
    case 'think':
      return runThink(input as ThinkInput);
    case 'finish':
      return runFinish(input as FinishInput);
  }
}

/** A file-system error from a sandbox read or write caused by the path the agent gave. */
function isPathError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return !(err instanceof HybridGymError) && typeof code === 'string' && /^E(NOENT|ISDIR|NOTDIR|ACCES|PERM|ROFS|NAMETOOLONG|LOOP)$/.test(code);
}

/**
 * Run one action. Every agent mistake becomes an error observation that says what to fix; only
 * infrastructure failures (SandboxError, ClosedError and other library errors) are thrown.
 */
export async function runAction(action: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  const result = await runUncapped(action, ctx);
  result.observation = capObservation(result.observation, ctx.maxObservationChars);
  return result;
}

async function runUncapped(action: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  if (action === null || typeof action !== 'object' || Array.isArray(action)) {
    return errorOutcome(`An action must be an object with a tool name and its input, like ${EXAMPLE}; got ${kindOf(action)}.`);
  }
  const { tool: rawTool, input: rawInput, callId } = action as { tool?: unknown; input?: unknown; callId?: unknown };
  const fields = typeof callId === 'string' ? { callId } : {};
  if (typeof rawTool !== 'string' || rawTool.trim() === '') {
    return errorOutcome(`The action names no tool. Set \`tool\` to one of: ${TOOL_NAMES.join(', ')}.`, fields);
  }
  const tool = resolveToolName(rawTool);
  if (!tool) {
    return errorOutcome(
      `Unknown tool \`${rawTool}\`. Did you mean \`${closestToolName(rawTool)}\`? Available tools: ${TOOL_NAMES.join(', ')}.`,
      fields,
    );
  }
  const withTool = { ...fields, tool };
  const obj = inputObject(tool, rawInput);
  if (!obj.ok) return errorOutcome(obj.error, withTool);
  const valid = validateInput(tool, obj.value);
  if (!valid.ok) return errorOutcome(valid.error, withTool);
  try {
    const out = await dispatch(tool, valid.input, ctx);
    out.observation = { ...out.observation, ...withTool };
    return out;
  } catch (err) {
    if (err instanceof ToolInputError) return errorOutcome(err.message, withTool);
    if (err instanceof ShellBusyError || err instanceof FileTooLargeError) return errorOutcome(`ERROR: ${err.message}`, withTool);
    if (isPathError(err)) return errorOutcome(`ERROR: ${err.message}`, withTool);
    throw err;
  }
}
