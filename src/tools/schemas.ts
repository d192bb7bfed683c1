import { z } from 'zod';
import { BASH_DESCRIPTION, EDITOR_DESCRIPTION, FINISH_DESCRIPTION, THINK_DESCRIPTION } from './tool-descriptions.js';

// LLMs often send numbers, booleans and arrays as text; accept those forms, export the clean types.

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/** "12" -> 12; anything else unchanged (the schema then reports the mistake). */
export function coerceNumber(value: unknown): unknown {
  return typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value;
}

/** true -> "true"; " True " -> "true"; anything else unchanged. */
export function coerceBoolString(value: unknown): unknown {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value.trim().toLowerCase();
  return value;
}

/** "[1, 20]", "1,20", "1 20" or ["1", "20"] -> [1, 20]; anything else unchanged. */
export function coerceIntList(value: unknown): unknown {
  let v = value;
  if (typeof v === 'string') {
    const inner = v.trim().replace(/^\[|\]$/g, '').trim();
    const parts = inner === '' ? [] : inner.split(/[\s,]+/);
    if (!parts.every((p) => NUMERIC.test(p))) return value;
    v = parts;
  }
  return Array.isArray(v) ? v.map(coerceNumber) : value;
}

export const BashInputSchema = z
  .object({
    command: z
      .string()
      .describe(
        'The bash command to run. May be empty to show more output of a command that returned exit code -1. ' +
          'With `is_input` set to `true` it is text for the running process, or one of the keys `C-c`, `C-d`, `C-z`. ' +
          'Give one command per call; chain several with `&&` or `;`.',
      ),
    is_input: z
      .preprocess(coerceBoolString, z.enum(['true', 'false']))
      .optional()
      .describe(
        'If `true`, `command` is input for the process that is still running (text, an empty string, or a key such as `C-c`) instead of a new command. Default: `false`.',
      ),
    timeout: z
      .preprocess(coerceNumber, z.number().positive())
      .optional()
      .describe(
        'Optional hard limit in seconds. The call waits up to this long for the command to finish, without returning early, and stops the command if it is still running then. Without it, a command that prints nothing new for a while returns early as still running.',
      ),
  })
  .describe(BASH_DESCRIPTION);

export const EDITOR_COMMANDS = ['view', 'create', 'str_replace', 'insert', 'undo_edit'] as const;

export const EditorInputSchema = z
  .object({
    command: z
      .enum(EDITOR_COMMANDS)
      .describe('The operation to perform: `view`, `create`, `str_replace`, `insert` or `undo_edit`.'),
    path: z.string().describe('Absolute path of a file or directory, e.g. `/workspace/file.py` or `/workspace`.'),
    file_text: z.string().optional().describe('Required for `create`: the full content of the new file.'),
    old_str: z
      .string()
      .optional()
      .describe('Required for `str_replace`: the exact text in `path` to replace; it must occur exactly once.'),
    new_str: z
      .string()
      .optional()
      .describe(
        'For `str_replace`: the replacement text (omit it to delete `old_str`). Required for `insert`: the text to insert.',
      ),
    insert_line: z
      .preprocess(coerceNumber, z.number().int())
      .optional()
      .describe('Required for `insert`: `new_str` goes AFTER this line of `path`; 0 inserts at the beginning of the file.'),
    view_range: z
      .preprocess(coerceIntList, z.array(z.number().int()))
      .optional()
      .describe(
        'Optional for `view` of a file: show only lines [start, end], counted from 1 and inclusive, e.g. [11, 12] shows lines 11 and 12; [start, -1] shows from `start` to the end. Without it the whole file is shown.',
      ),
  })
  .describe(EDITOR_DESCRIPTION);

export const ThinkInputSchema = z
  .object({ thought: z.string().describe('The thought to record.') })
  .describe(THINK_DESCRIPTION);

export const FinishInputSchema = z
  .object({
    message: z.string().optional().describe('A short summary of what was done, and of what is left if anything.'),
  })
  .describe(FINISH_DESCRIPTION);

export type BashInput = z.output<typeof BashInputSchema>;
export type EditorInput = z.output<typeof EditorInputSchema>;
export type ThinkInput = z.output<typeof ThinkInputSchema>;
export type FinishInput = z.output<typeof FinishInputSchema>;

/** The canonical tool names, in the order they are offered to a model. */
export const TOOL_NAMES = ['bash', 'str_replace_editor', 'think', 'finish'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Each tool's input schema, by canonical name. */
export const TOOL_INPUT_SCHEMAS = {
  bash: BashInputSchema,
  str_replace_editor: EditorInputSchema,
  think: ThinkInputSchema,
  finish: FinishInputSchema,
} as const satisfies Record<ToolName, z.ZodType>;

/** Other names models use for the same tools (OpenHands calls bash `execute_bash`). */
export const TOOL_ALIASES: Readonly<Record<string, ToolName>> = {
  execute_bash: 'bash',
};
