// Trajectories as training data: one episode as one conversation in a trainer's format.
import { isFailed, type EpisodeRecord } from '../rollout.js';
import { assistantTurns, toConversation, type ExportableEpisode } from './conversation.js';
import { toHf, type HfChatRecord } from './hf.js';
import { toOpenAI, type OpenAIChatRecord } from './openai.js';
import { toOpenHands, type OpenHandsRecord } from './openhands.js';
import type { FormatOptions } from './options.js';
import { toShareGpt, type ShareGptRecord } from './sharegpt.js';

export const EXPORT_FORMATS = ['openai', 'hf', 'openhands', 'sharegpt'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportRecord = OpenAIChatRecord | HfChatRecord | OpenHandsRecord | ShareGptRecord;
export type ExportOptions = FormatOptions;

/** One episode in `format`. The same episode gives the same record, key for key. */
export function exportEpisode(episode: ExportableEpisode, format: 'openai', options?: ExportOptions): OpenAIChatRecord;
export function exportEpisode(episode: ExportableEpisode, format: 'hf', options?: ExportOptions): HfChatRecord;
export function exportEpisode(episode: ExportableEpisode, format: 'openhands', options?: ExportOptions): OpenHandsRecord;
export function exportEpisode(episode: ExportableEpisode, format: 'sharegpt', options?: ExportOptions): ShareGptRecord;
export function exportEpisode(episode: ExportableEpisode, format: ExportFormat, options?: ExportOptions): ExportRecord;
export function exportEpisode(episode: ExportableEpisode, format: ExportFormat, options: ExportOptions = {}): ExportRecord {
  switch (format) {
    case 'openai':
      return toOpenAI(episode, options);
    case 'hf':
      return toHf(episode, options);
    case 'openhands':
      return toOpenHands(episode, options);
    case 'sharegpt':
      return toShareGpt(episode, options);
    default:
      throw new Error(`unknown export format ${JSON.stringify(format as string)}; expected one of: ${EXPORT_FORMATS.join(', ')}`);
  }
}

export interface ExportEpisodesOptions extends ExportOptions {
  format: ExportFormat;
  /** Leave out episodes whose reward is below this. */
  minReward?: number;
  /** Leave out episodes with more assistant turns (model calls; a step each for agents without turns) than this. */
  maxTurns?: number;
}

/** Why records were left out, counted. */
export interface LeftOut {
  /** Episodes that could not start (`{instanceId, error}`). */
  failedStart: number;
  /** Episodes that ended on an infrastructure failure (`info.infraError`): no verdict on the agent. */
  infraError: number;
  /** Episodes cut short because the agent could not give an action (`info.agentError`: its model did not answer). */
  agentError: number;
  /** Episodes with no step: nothing the model did to learn from. */
  noSteps: number;
  /** Reward below `minReward`. */
  belowMinReward: number;
  /** More than `maxTurns` assistant turns. */
  tooManyTurns: number;
}

export interface ExportResult {
  /** One JSON text per exported episode, in the records' order (no newline). */
  lines: string[];
  exported: number;
  leftOut: LeftOut;
}

/**
 * The records of a trajectories file as lines of `format`. Failed starts, infrastructure
 * failures and agent errors (a model that did not answer) are never exported; `minReward` and `maxTurns` leave out more. Deterministic: the same
 * records give byte-identical lines.
 */
export function exportEpisodes(records: readonly EpisodeRecord[], options: ExportEpisodesOptions): ExportResult {
  const leftOut: LeftOut = { failedStart: 0, infraError: 0, agentError: 0, noSteps: 0, belowMinReward: 0, tooManyTurns: 0 };
  const { format, minReward, maxTurns, ...formatOptions } = options;
  const lines: string[] = [];
  for (const record of records) {
    if (isFailed(record)) leftOut.failedStart++;
    else if (record.info.infraError !== undefined) leftOut.infraError++;
    // The episode did not end by the model's decisions: its last turn is missing, whatever the reward.
    else if (record.info.agentError !== undefined) leftOut.agentError++;
    else if (record.steps.length === 0) leftOut.noSteps++;
    else if (minReward !== undefined && !(record.reward >= minReward)) leftOut.belowMinReward++;
    else if (maxTurns !== undefined && assistantTurns(toConversation(record)) > maxTurns) leftOut.tooManyTurns++;
    else lines.push(JSON.stringify(exportEpisode(record, format, formatOptions)));
  }
  return { lines, exported: lines.length, leftOut };
}

/** The counts as one line: `exported 3 of 7 episodes; left out: 2 below --min-reward, 1 failed start, ...`. */
export function describeExport(result: ExportResult, total: number): string {
  const { failedStart, infraError, agentError, noSteps, belowMinReward, tooManyTurns } = result.leftOut;
  const reasons = [
    [failedStart, 'could not start'],
    [infraError, 'infrastructure failure'],
    [agentError, 'agent error'],
    [noSteps, 'no steps'],
    [belowMinReward, 'below min reward'],
    [tooManyTurns, 'over max turns'],
  ] as const;
  const parts = reasons.filter(([n]) => n > 0).map(([n, why]) => `${n} ${why}`);
  return `exported ${result.exported} of ${total} episodes${parts.length > 0 ? `; left out: ${parts.join(', ')}` : ''}`;
}

export { toConversation, assistantTurns, offeredName, type Conversation, type ConversationCall, type ConversationMessage, type ConversationOptions, type ExportableEpisode } from './conversation.js';
export { toOpenAI, type OpenAIChatMessage, type OpenAIChatRecord, type OpenAIToolCall } from './openai.js';
export { toHf, type HfChatMessage, type HfChatRecord, type HfToolCall } from './hf.js';
export { toOpenHands, renderTextCall, type OpenHandsMessage, type OpenHandsRecord } from './openhands.js';
export { toShareGpt, shareGptTools, type ShareGptMessage, type ShareGptRecord, type ShareGptRole } from './sharegpt.js';
export type { FormatOptions } from './options.js';
