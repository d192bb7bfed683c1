import { isFailed, type EpisodeRecord } from '../rollout/rollout.js';

/** Episodes in a row that may end because the model server gave nothing before a run stops. */
export const MODEL_DOWN_STREAK = 3;

/**
 * Watches a run's episodes for a model server that cannot serve it: a key, model or URL that is
 * wrong (401, 403, 404) stops the run at the first episode; a server that gives nothing (no
 * connection, no reply in time, 429/5xx after the retries) after `limit` episodes in a row. Each
 * such episode stays in the trajectory as an agent error, and `--resume` runs it again.
 * Returns the reason to stop, once.
 */
export function modelBreaker(limit = MODEL_DOWN_STREAK): (record: EpisodeRecord) => string | undefined {
  let streak = 0;
  let tripped = false;
  return (record) => {
    if (tripped) return undefined;
    const error = isFailed(record) ? undefined : record.info.agentError;
    if (error?.code !== 'MODEL') {
      streak = 0;
      return undefined;
    }
    if (error.kind === 'misconfigured') {
      tripped = true;
      return `the model server refused the run (${error.message}): check --model, --base-url and the API key`;
    }
    if (error.kind === 'timeout' || error.kind === 'unreachable' || error.kind === 'overloaded') {
      if (++streak < limit) return undefined;
      tripped = true;
      return `${limit} episodes in a row ended because the model gave no reply (last: ${error.message})`;
    }
    streak = 0;
    return undefined;
  };
}
