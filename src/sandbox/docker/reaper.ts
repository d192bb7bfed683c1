import type Docker from 'dockerode';
import createDebug from 'debug';
import { LABEL, ownerAlive } from '../owner.js';

const log = createDebug('hybrid-gym:reaper');

export interface ReapResult {
  removed: string[];
  kept: number;
}

/**
 * Remove containers whose owning process is gone (killed, crashed, SIGKILLed), or every container
 * of ours with `all`. Like testcontainers' Ryuk, but without a sidecar: owners are checked by pid.
 */
export async function reapContainers(docker: Docker, options: { all?: boolean } = {}): Promise<ReapResult> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`] } });
  const removed: string[] = [];
  let kept = 0;
  await Promise.all(
    list.map(async (c) => {
      if (!options.all && ownerAlive(c.Labels)) {
        kept++;
        return;
      }
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
        removed.push(c.Id);
        log('removed %s (owner pid %s)', c.Id.slice(0, 12), c.Labels[LABEL.pid]);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) log('could not remove %s: %O', c.Id, err);
      }
    }),
  );
  return { removed: removed.sort(), kept };
}

const reaped = new WeakMap<Docker, Promise<ReapResult>>();

/** Reap once per engine client and process: the first provider to start pays for it. */
export function reapOnce(docker: Docker): Promise<ReapResult> {
  let p = reaped.get(docker);
  if (!p) {
    p = reapContainers(docker).catch((err) => {
      log('reaper failed: %O', err);
      return { removed: [], kept: 0 };
    });
    reaped.set(docker, p);
  }
  return p;
}
