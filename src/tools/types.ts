import type { Sandbox } from '../sandbox/types.js';

/** What an agent does in one step: a tool name and its input, as an LLM's tool call gives them. */
export interface Action {
  tool: string;
  input?: unknown;
  /** The id of the LLM tool call this action came from, echoed in the observation. */
  callId?: string;
}

/** What the agent sees after an action. */
export interface Observation {
  /** The text for the model (capped, head and tail kept). */
  text: string;
  /** The action was malformed or failed; `text` says what to fix. */
  isError: boolean;
  /** The tool that ran (canonical name), when the action named a known tool. */
  tool?: string;
  callId?: string;
  /** For bash: the command's exit code (-1 while it still runs). */
  exitCode?: number;
}

/** The result of running one action. */
export interface ToolOutcome {
  observation: Observation;
  /** The agent called `finish`. */
  finished: boolean;
  /** The `finish` message. */
  message?: string;
}

/** Per-episode state the tools need: the sandbox, and the editor's undo history. */
export interface ToolContext {
  sandbox: Sandbox;
  /** Characters an observation may hold before it is cut (head and tail kept). @default 30000 */
  maxObservationChars?: number;
  /** Seconds of silence after which a bash command returns as still running. @default 10 */
  bashIdleSeconds?: number;
  /** Hard limit of one bash command in seconds when the agent gives none. @default 120 */
  bashTimeoutSeconds?: number;
  /** Undo history of str_replace_editor, keyed by absolute path; owned by the episode. */
  editHistory: Map<string, string[]>;
}
