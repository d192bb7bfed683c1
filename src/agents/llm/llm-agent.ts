import type { Action, Observation } from '../../tools/types.js';
import type { Agent, AgentContext } from '../agent.js';
import type { AgentSetup, ModelTurn, ToolCall } from '../model-turn.js';
import { NUDGE } from '../prompts.js';

/** What one model call gave: the turn to record and the actions its tool calls are. */
export interface ModelReply {
  turn: ModelTurn;
  /** One per tool call, in order; empty when the reply had none (`nudge` then says what to answer). */
  actions: Action[];
  /** The answer to a reply without a usable tool call: a nudge, or what was wrong with the call. */
  nudge?: string;
}

/** A tool call waiting for its result, and the result once the env gave it. */
export interface ToolResult {
  call: ToolCall;
  observation: Observation;
}

/**
 * The conversation loop every LLM agent shares: a new conversation on each episode's first step;
 * the tool calls of a reply queued and given one per step (parallel calls run in order); their
 * results sent together with the next request; a reply without a tool call answered with a nudge
 * (and taken as one `think` step, so that it counts toward the episode's step budget).
 */
export abstract class LlmAgent implements Agent {
  abstract readonly name: string;
  abstract readonly setup: AgentSetup;
  private queue: Array<{ action: Action; call: ToolCall }> = [];
  private waiting: ToolCall | undefined;
  private results: ToolResult[] = [];
  private recorded: ModelTurn[] = [];
  /** Requests made in this episode, the one being sent included (names the text format's call ids). */
  protected requestNo = 0;

  /** Start the conversation of a new episode with the task prompt. */
  protected abstract begin(prompt: string): void;
  /** Add the results of the last reply's tool calls to the conversation (in call order). */
  protected abstract addResults(results: ToolResult[]): void;
  /** Add the nudge that answers a reply without a tool call. */
  protected abstract addNudge(text: string): void;
  /** Send the conversation; add the reply to it; return the turn and its actions. */
  protected abstract request(): Promise<ModelReply>;

  async act(observation: Observation, context: AgentContext): Promise<Action> {
    if (context.step === 0) {
      this.queue = [];
      this.results = [];
      this.waiting = undefined;
      this.requestNo = 0;
      this.begin(context.prompt);
    } else if (this.waiting) {
      this.results.push({ call: this.waiting, observation });
      this.waiting = undefined;
    }
    if (this.queue.length === 0) await this.ask();
    const next = this.queue.shift();
    if (next) {
      this.waiting = next.call;
      return next.action;
    }
    // No tool call: the step is a thought (its text), and the model is told to go on.
    const turn = this.recorded[this.recorded.length - 1]!;
    return { tool: 'think', input: { thought: turn.content.trim() || turn.reasoning?.trim() || '(no reply)' } };
  }

  takeTurns(): ModelTurn[] {
    const turns = this.recorded;
    this.recorded = [];
    return turns;
  }

  private async ask(): Promise<void> {
    if (this.results.length > 0) {
      this.addResults(this.results);
      this.results = [];
    }
    this.requestNo++;
    const reply = await this.request();
    if (reply.actions.length === 0) {
      const nudge = reply.nudge ?? NUDGE;
      reply.turn.nudge = nudge;
      this.addNudge(nudge);
    }
    this.recorded.push(reply.turn);
    this.queue = reply.actions.map((action, i) => ({ action, call: reply.turn.toolCalls[i]! }));
  }
}
