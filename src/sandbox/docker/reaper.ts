import type Docker from 'dockerode';
import createDebug from 'debug';
import { LABEL, ownerAlive } from '../owner.js';

const log = createDebug('hybrid-gym:reaper');

export interface ReapResult {
  /** Containers removed. */
  removed: string[];
  /** Containers kept (their owner runs). */
  kept: number;
  /** Workdir volumes removed: left unused by a container removed from outside without them (no `-v`), their owner gone. */
  removedVolumes: string[];
}

/**
 * Remove containers whose owning process is gone (killed, crashed, SIGKILLed), or every container
 * of ours with `all`, each with its workdir volume; then our volumes no container uses whose owner
 * is gone (every one with `all`). Like testcontainers' Ryuk, but without a sidecar: owners are
 * checked by pid.
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
  return { removed: removed.sort(), kept, removedVolumes: await reapVolumes(docker, options.all ?? false) };
}

async function reapVolumes(docker: Docker, all: boolean): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL.managed}=true`], dangling: ['true'] } });
  const removed: string[] = [];
  await Promise.all(
    (Volumes ?? []).map(async (v) => {
      if (!all && ownerAlive(v.Labels ?? {})) return;
      try {
        await docker.getVolume(v.Name).remove();
        removed.push(v.Name);
        log('removed volume %s (owner pid %s)', v.Name.slice(0, 12), v.Labels?.[LABEL.pid]);
      } catch (err) {
        // 409: a container took it up meanwhile (never one of ours: our volumes are anonymous).
        if (![404, 409].includes((err as { statusCode?: number }).statusCode ?? 0)) log('could not remove volume %s: %O', v.Name, err);
      }
    }),
  );
  return removed.sort();
}

const reaped = new WeakMap<Docker, Promise<ReapResult>>();

/** Reap once per engine client and process: the first provider to start pays for it. */
export function reapOnce(docker: Docker): Promise<ReapResult> {
  let p = reaped.get(docker);
  if (!p) {
    p = reapContainers(docker).catch((err) => {
      log('reaper failed: %O', err);
      return { removed: [], kept: 0, removedVolumes: [] };
    });
    reaped.set(docker, p);
  }
  return p;
}
