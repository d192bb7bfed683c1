import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, chown } from 'node:fs/promises';
import { posix } from 'node:path';
import type Docker from 'dockerode';
import { SandboxError } from '../../errors.js';
import { holdMountedFolder, O_PATH } from '../host-fs.js';
import type { HostFolder, Owner } from '../types.js';
import { freezerOf, namesBelow, netState, resetContainer, startTimeOf, type ResetTarget } from './container-reset.js';

/**
 * A container that serves episode after episode (the provider's `reuse`), reset between them from
 * the host (see container-reset.ts). What makes that sound: the agent runs as an unprivileged user
 * (no capability, no way to become root: no-new-privileges, nothing set-uid can run), the root file
 * system is read-only, and the agent can write only to tmpfs folders that the reset empties.
 */

/** The agent's user in a reused container: not root, so that it cannot reach PID 1 or anything of root's. */
export const AGENT: Owner = { uid: 1000, gid: 1000 };
export const AGENT_HOME = '/home/agent';
/** The tmpfs folders besides the workdir where the agent can write (and that are emptied between episodes). */
const SCRATCH = ['/tmp', '/var/tmp', '/home'];
/** Made by the engine in every container and writable by anyone: emptied as well. */
const ENGINE_SCRATCH = ['/dev/shm', '/dev/mqueue'];

/** What a reused container's create adds: read-only root, tmpfs scratch folders, no System V IPC. */
export function reusedHostConfig(tmpfsBytes: number): Partial<Docker.HostConfig> {
  const opts = (mode: string): string => `rw,exec,nosuid,nodev,mode=${mode},size=${tmpfsBytes}`;
  return {
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': opts('1777'), '/var/tmp': opts('1777'), '/home': opts('755') },
    // System V objects outlive the processes that made them, in an IPC namespace the host cannot
    // empty from outside: none can be made (POSIX shared memory and queues are files, emptied).
    Sysctls: { 'kernel.shmmni': '0', 'kernel.msgmni': '0', 'kernel.sem': '0 0 0 0' },
  };
}

/** The environment of the agent's processes in a reused container. */
export const AGENT_ENV = { HOME: AGENT_HOME, USER: 'agent', LOGNAME: 'agent' };

export class ReusedContainer {
  /** Episodes served so far. */
  episodes = 0;
  /** The keys (instances) of the episodes it served (see Sandbox.servedBefore). */
  readonly served = new Set<string>();

  private constructor(
    readonly container: Docker.Container,
    readonly image: string,
    readonly workdirPath: string,
    /** The label of its workdir's volume. */
    readonly tag: string,
    private held: number | undefined,
    private heldRoot: number | undefined,
    private readonly target: ResetTarget,
  ) {}

  get id(): string {
    return this.container.id;
  }

  /**
   * The container's file system as its processes see it (PID 1's root, its tmpfs folders mounted),
   * held open: what the reset empties goes through it. Nothing is read there for the agent: the
   * host reads as root, so a lent sandbox reads outside its workdir as the agent (DockerSandbox).
   */
  get root(): string {
    return `/proc/self/fd/${this.heldRoot}`;
  }

  /** The workdir seen from the host (its tmpfs, held open). */
  get workdir(): HostFolder {
    return { root: `/proc/self/fd/${this.held}`, inner: '/', owner: AGENT };
  }

  /** Learn how to reach a started container from the host; a SandboxError when this host cannot reset it. */
  static async prepare(container: Docker.Container, image: string, workdir: string, tag: string): Promise<ReusedContainer> {
    const info = await container.inspect();
    const fail = (why: string): never => {
      throw new SandboxError(`Sandbox ${container.id.slice(0, 12)} cannot be reused: ${why}`, { sandboxId: container.id });
    };
    const pid = info.State.Pid;
    const startTime = pid > 0 ? startTimeOf(pid) : undefined;
    if (!info.State.Running || startTime === undefined) fail('it does not run');
    const freezer = freezerOf(pid) ?? fail(`this host cannot freeze its cgroup (no freezer for pid ${pid})`);
    const data = info.GraphDriver?.Data as { UpperDir?: string } | undefined;
    if (info.GraphDriver?.Name !== 'overlay2' || !data?.UpperDir) fail('its storage driver is not overlay2');
    const mount = info.Mounts?.find((m) => m.Destination === workdir);
    if (mount?.Type !== 'volume' || !posix.isAbsolute(mount.Source)) fail(`its workdir ${workdir} is not a tmpfs volume`);
    const held = holdMountedFolder(mount!.Source) ?? fail(`its workdir's volume ${mount!.Source} is not mounted`);
    const heldRoot = openSync(`/proc/${pid}/root`, O_PATH | constants.O_DIRECTORY);
    // Everything from here through the held root: a pid the host gave another process since would
    // otherwise name that process's root.
    const root = `/proc/self/fd/${heldRoot}`;
    await mkdir(root + AGENT_HOME, { mode: 0o755 });
    await chown(root + AGENT_HOME, AGENT.uid, AGENT.gid);
    const target: ResetTarget = {
      pid,
      root,
      net: netState(pid),
      startTime: startTime!,
      freezer,
      wipe: [...SCRATCH, ...ENGINE_SCRATCH],
      workdir: `/proc/self/fd/${held}`,
      home: AGENT_HOME,
      agent: AGENT,
      upper: { dir: data!.UpperDir!, names: namesBelow(data!.UpperDir!) },
    };
    return new ReusedContainer(container, image, workdir, tag, held, heldRoot, target);
  }

  /** Its PID 1 still runs (the same process): a cheap look at the host's /proc. */
  alive(): boolean {
    return this.held !== undefined && startTimeOf(this.target.pid) === this.target.startTime;
  }

  /** Reset it for the next episode: undefined when it is clean, else why it must go. */
  async reset(): Promise<string | undefined> {
    if (this.held === undefined) return 'it was released';
    try {
      return await resetContainer(this.target);
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Let go of the host's hold on its workdir (before the container is removed). */
  release(): void {
    if (this.held !== undefined) closeSync(this.held);
    if (this.heldRoot !== undefined) closeSync(this.heldRoot);
    this.held = undefined;
    this.heldRoot = undefined;
  }
}
