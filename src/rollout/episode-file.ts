import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { z } from 'zod';
import { AgentSetupSchema, ModelTurnSchema } from '../agents/model-turn.js';
import { ValidationError } from '../errors.js';
import type { EpisodeRecord } from './rollout.js';

/**
 * One episode as `run --out` writes it (a line of JSON): `runEpisode`'s Episode. A trajectory:
 * every step, and for LLM agents every model turn the steps point back to (`step.turn`).
 */
export const EpisodeSchema = z
  .object({
    envId: z.string(),
    instanceId: z.string(),
    agent: z.string(),
    model: z.string().optional(),
    setup: AgentSetupSchema.optional(),
    prompt: z.string(),
    steps: z.array(
      z.object({
        action: z.object({ tool: z.string(), input: z.unknown().optional(), callId: z.string().optional() }).loose(),
        observation: z.object({ text: z.string(), isError: z.boolean() }).loose(),
        reward: z.number(),
        ms: z.number().nonnegative().optional(),
        turn: z.number().int().nonnegative().optional(),
      }),
    ),
    turns: z.array(ModelTurnSchema).optional(),
    reward: z.number(),
    success: z.boolean(),
    terminated: z.boolean(),
    truncated: z.boolean(),
    info: z.object({ instanceId: z.string(), step: z.number(), elapsedMs: z.number() }).loose(),
    durationMs: z.number(),
  })
  .loose()
  .superRefine((e, ctx) => {
    const n = e.turns?.length ?? 0;
    e.steps.forEach((step, i) => {
      if (step.turn !== undefined && step.turn >= n) ctx.addIssue({ code: 'custom', path: ['steps', i, 'turn'], message: `turn ${step.turn} is not one of the episode's ${n} turns` });
    });
  });

/** An episode that could not run (its reset failed): the reason. */
export const FailedEpisodeSchema = z.strictObject({ instanceId: z.string(), error: z.object({ code: z.string(), message: z.string() }) });

export const EpisodeRecordSchema = z.union([FailedEpisodeSchema, EpisodeSchema]);

/** Whether a record is a verdict on the agent (not an infrastructure failure or an episode that could not start). */
export function isScored(record: EpisodeRecord): boolean {
  return !('error' in record) && record.info.infraError === undefined;
}

/**
 * Whether a record is an episode that ended by the agent's own decisions: scored, and not cut
 * short because the agent could not give an action (`info.agentError`: its model did not answer).
 * `run --resume` runs again what is not complete; exports take only complete episodes.
 */
export function isComplete(record: EpisodeRecord): boolean {
  return isScored(record) && (record as { info: { agentError?: unknown } }).info.agentError === undefined;
}

/**
 * The episodes of a file `run --out` wrote, each line validated; a bad line is named by number and
 * field. A last line without its newline is what a process killed mid-write leaves: it is dropped
 * (and, with `repair`, cut from the file so that appends stay valid lines).
 */
export function readEpisodeFile(path: string, options: { repair?: boolean } = {}): { episodes: EpisodeRecord[]; droppedPartial: boolean } {
  if (!existsSync(path)) return { episodes: [], droppedPartial: false };
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const droppedPartial = end < text.length;
  if (droppedPartial && options.repair) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
  const issues: Array<{ path: string; message: string }> = [];
  const episodes: EpisodeRecord[] = [];
  let instances = false;
  text
    .slice(0, end)
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '' || instances) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        issues.push({ path: `line ${i + 1}`, message: `not JSON (${(err as Error).message})` });
        return;
      }
      // A task instance (generate's output) is not an episode: one line says so, not every missing field.
      if (value !== null && typeof value === 'object' && 'task' in value && 'id' in value && !('steps' in value) && !('instanceId' in value)) {
        instances = true;
        issues.push({ path: `line ${i + 1}`, message: `an instance of task ${JSON.stringify((value as { task: unknown }).task)}, not an episode: this looks like an instances file (what generate writes); this reads what run --out writes` });
        return;
      }
      // Checked against the form it claims (an `error` key: an episode that could not run), so the message names the field.
      const schema = value !== null && typeof value === 'object' && 'error' in value ? FailedEpisodeSchema : EpisodeSchema;
      const parsed = schema.safeParse(value);
      if (parsed.success) episodes.push(parsed.data as EpisodeRecord);
      else issues.push({ path: `line ${i + 1}`, message: parsed.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ') });
    });
  if (issues.length > 0) throw new ValidationError(`episodes file ${path}`, issues);
  return { episodes, droppedPartial };
}

/**
 * Append one episode as a line, in one write: a crash loses only the episodes still running. The
 * record is checked first, so that every line written reads back (`readEpisodeFile`).
 */
export function appendEpisode(path: string, record: EpisodeRecord): void {
  const schema = 'error' in record ? FailedEpisodeSchema : EpisodeSchema;
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    throw new ValidationError(`episode ${record.instanceId} (not written to ${path})`, parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })));
  }
  appendFileSync(path, `${JSON.stringify(record)}\n`);
}
