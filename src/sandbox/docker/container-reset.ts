import { existsSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdir, chown, readdir, rm } from 'node:fs/promises';
import type { Owner } from '../types.js';

/**
 * Bringing a container that served an episode back to the state it started in, from the host, with
 * no process of the container taking part: every process of the agent killed while the container's
 * cgroup is frozen (none can fork or act in between), every folder the agent could write emptied,
 * and proof of both (no process of the agent's user left, every such folder empty, the root file
 * system's upper layer as it was). The agent is not root there: it cannot touch PID 1 (another
 * user's process, with no capability in its set), the root file system is read-only, and the only
 * places it can write are the folders emptied here.
 */

/** How the host freezes the processes of one container's cgroup (v1 freezer or v2 cgroup.freeze). */
export interface Freezer {
  /** The cgroup folder whose `cgroup.procs` lists the container's processes. */
  dir: string;
  freeze(): void;
  thaw(): void;
  frozen(): boolean;
}

/** Where the container's cgroup is, from its PID 1's host pid; undefined when this host cannot freeze it. */
export function freezerOf(pid: number): Freezer | undefined {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.map((l) => /^\d+:([^:]*):(.*)$/.exec(l)).find((m) => m && m[1]!.split(',').includes('freezer'));
  if (v1) {
    const dir = `/sys/fs/cgroup/freezer${v1[2]}`;
    if (!existsSync(`${dir}/freezer.state`)) return undefined;
    const state = (): string => readFileSync(`${dir}/freezer.state`, 'utf8').trim();
    return { dir, freeze: () => writeFileSync(`${dir}/freezer.state`, 'FROZEN'), thaw: () => writeFileSync(`${dir}/freezer.state`, 'THAWED'), frozen: () => state() === 'FROZEN' };
  }
  const v2 = lines.map((l) => /^0::(.*)$/.exec(l)).find(Boolean);
  if (!v2) return undefined;
  const dir = `/sys/fs/cgroup${v2[1]}`;
  if (!existsSync(`${dir}/cgroup.freeze`)) return undefined;
  return {
    dir,
    freeze: () => writeFileSync(`${dir}/cgroup.freeze`, '1'),
    thaw: () => writeFileSync(`${dir}/cgroup.freeze`, '0'),
    frozen: () => /^frozen 1$/m.test(readFileSync(`${dir}/cgroup.events`, 'utf8')),
  };
}

export interface ResetTarget {
  /** PID 1's pid on the host (its processes and its network namespace). */
  pid: number;
  /** The container's root as its processes see it, held open (`/proc/self/fd/N`): what the wipe goes through. */
  root: string;
  /** PID 1's network namespace as it started (see netState). */
  net: string;
  /** PID 1's start time (field 22 of its stat): tells it from a later process given the same pid. */
  startTime: string;
  freezer: Freezer;
  /** Folders inside the container the agent can write (tmpfs mounts), emptied through `root`. */
  wipe: string[];
  /** The workdir's tmpfs, held open on the host: `/proc/self/fd/N`. */
  workdir: string;
  /** The agent's home, made anew (empty, the agent's) after the wipe. */
  home: string;
  agent: Owner;
  /** The root file system's writable layer on the host, and what it held when the container started. */
  upper?: { dir: string; names: string[] };
}

const FREEZE_MS = 2_000;
const REAP_MS = 3_000;
/**
 * Most entries all emptied folders together may hold, the workspace included: more, and the
 * container is removed instead (the engine frees a tmpfs at once, in less time than emptying
 * 10,000 files from here; a million had taken this process 53 s and gigabytes).
 */
export const MAX_WIPE_ENTRIES = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The start time of a host pid (undefined once it is gone). */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Inodes in use on the file system of `dir` (a tmpfs: its files, folders and links). */
function usedInodes(dir: string): number {
  const st = statfsSync(dir);
  return st.files - st.ffree;
}

/**
 * What of a network namespace outlives its processes and an agent could set: the interfaces' and
 * the protocols' counters and every socket table (TIME_WAIT entries stay a minute). Equal before and after an
 * episode only when the episode left nothing there.
 */
export function netState(pid: number): string {
  const read = (f: string): string => readFileSync(`/proc/${pid}/net/${f}`, 'utf8');
  const tables = ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6', 'unix', 'packet', 'netlink'].map((f) => `${f}:${read(f).split('\n').filter(Boolean).length}`);
  // The protocols' counters too: a send that finds no route moves one (Ip OutNoRoutes) and no packet.
  return [read('dev'), read('snmp'), read('snmp6'), read('netstat'), ...tables].join(' ');
}

/** Every name below `dir`, recursively, sorted (the upper layer holds a few mount points). */
export function namesBelow(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

/**
 * Make the container as it was before its first episode. Undefined when it is; else why it could
 * not be shown to be, and the container must not serve again.
 */
export async function resetContainer(t: ResetTarget): Promise<string | undefined> {
  if (startTimeOf(t.pid) !== t.startTime) return 'its PID 1 is gone';
  const killed = await killAllButInit(t);
  if (killed) return killed;
  // Sockets left in TIME_WAIT (chosen addresses and ports), loopback counters set to a value: state
  // of the network namespace that outlives every process and could carry data to the next episode.
  // (A socket of a killed process can take a moment to go: passed in a message, it is collected later.)
  for (let k = 0; netState(t.pid) !== t.net; k++) {
    if (k === 10) return 'its network namespace holds state of the episode (sockets, or counters moved)';
    await sleep(20);
  }
  const { root } = t;
  const dirs = [...t.wipe.map((d) => root + d), t.workdir];
  const used = dirs.reduce((n, dir) => n + usedInodes(dir), 0);
  if (used > MAX_WIPE_ENTRIES) return `its folders hold ${used} entries, more than the ${MAX_WIPE_ENTRIES} worth emptying from the host`;
  for (const dir of dirs) {
    // As bytes: a name that is not UTF-8 is removed as any other.
    const at = Buffer.from(`${dir}/`);
    const names = await readdir(dir, { encoding: 'buffer' });
    // Nothing of the agent's runs any more: nothing can swap a folder for a link meanwhile, and rm
    // follows no link. A few at a time: the thread pool is shared with every other episode.
    for (let k = 0; k < names.length; k += 16) {
      await Promise.all(names.slice(k, k + 16).map((n) => rm(Buffer.concat([at, n]), { recursive: true, force: true })));
    }
    const left = await readdir(dir);
    if (left.length > 0) return `${dir} is not empty after the wipe (${left.slice(0, 3).join(', ')})`;
  }
  await mkdir(root + t.home, { mode: 0o755 });
  await chown(root + t.home, t.agent.uid, t.agent.gid);
  if (t.upper) {
    const now = namesBelow(t.upper.dir);
    if (now.join('\0') !== t.upper.names.join('\0')) return `its root file system's layer changed (${now.filter((n) => !t.upper!.names.includes(n)).slice(0, 3).join(', ')})`;
  }
  if (startTimeOf(t.pid) !== t.startTime) return 'its PID 1 is gone';
  return undefined;
}

/**
 * SIGKILL every process of the container but PID 1 with the cgroup frozen (a frozen process cannot
 * fork, and dies of the signal as it thaws, before running again), then wait until none of the
 * agent's user is left (zombies reaped by PID 1). What may stay: PID 1's own `sleep`, a process of
 * root's whose parent is PID 1 (the agent can start no process of root's).
 */
async function killAllButInit(t: ResetTarget): Promise<string | undefined> {
  const { freezer } = t;
  freezer.freeze();
  try {
    for (const started = Date.now(); !freezer.frozen(); await sleep(1)) {
      if (Date.now() - started > FREEZE_MS) return `its processes did not freeze within ${FREEZE_MS} ms`;
    }
    for (const pid of procsOf(freezer)) {
      if (pid !== t.pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  } finally {
    freezer.thaw();
  }
  for (const started = Date.now(); ; await sleep(2)) {
    const left = procsOf(freezer).filter((pid) => pid !== t.pid && !isKeepers(pid, t.pid));
    if (left.length === 0) return undefined;
    if (Date.now() - started > REAP_MS) return `${left.length} of its processes outlived SIGKILL by ${REAP_MS} ms (pid ${left[0]})`;
  }
}

function procsOf(freezer: Freezer): number[] {
  return readFileSync(`${freezer.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
}

/** PID 1's own child: root's, alive, its parent PID 1. Anything else (a zombie, the agent's) is not. */
function isKeepers(pid: number, init: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];
    return field('PPid') === String(init) && field('Uid') === '0' && field('State') !== 'Z';
  } catch {
    return true; // gone meanwhile
  }
}
