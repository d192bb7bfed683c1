export type { Action, Observation, ToolContext, ToolOutcome } from './types.js';
export { runAction } from './run-action.js';
export { toolSchemas, toolDefinition } from './export-schemas.js';
export type { AnthropicTool, JsonSchema, OpenAITool, ToolInputSchema, ToolSchemaOptions } from './export-schemas.js';
export { parseAnthropicToolUse, parseOpenAIToolCall, parseTextToolCall, parseTextToolCalls } from './parse.js';
export type { ParsedAction, ParsedActions } from './parse.js';
export {
  BashInputSchema,
  EditorInputSchema,
  FinishInputSchema,
  ThinkInputSchema,
  EDITOR_COMMANDS,
  TOOL_ALIASES,
  TOOL_INPUT_SCHEMAS,
  TOOL_NAMES,
} from './schemas.js';
export type { BashInput, EditorInput, FinishInput, ThinkInput, ToolName } from './schemas.js';
export { resolveToolName } from './tool-names.js';
export { capObservation, DEFAULT_MAX_OBSERVATION_CHARS } from './cap-observation.js';
export { DEFAULT_BASH_IDLE_SECONDS, DEFAULT_BASH_TIMEOUT_SECONDS } from './bash-tool.js';
export { MAX_EDITOR_FILE_BYTES } from './editor/run-editor.js';
