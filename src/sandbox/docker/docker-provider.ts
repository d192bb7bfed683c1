import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type Docker from 'dockerode';
import createDebug from 'debug';
import { z } from 'zod';
import { SandboxError, ValidationError } from '../../errors.js';
import { buildHint, DEFAULT_IMAGE, IMAGE_WORKDIR } from '../../image/default-image.js';
import { parseOptions } from '../../options.js';
import { LABEL, ownerLabels } from '../owner.js';
import { BaseProvider } from '../base-provider.js';
import { connectDocker } from './docker-client.js';
import { DockerSandbox, type DockerSandboxSettings } from './docker-sandbox.js';
import { AGENT, AGENT_ENV, ReusedContainer, reusedHostConfig } from './reused-container.js';
import { reapOnce } from './reaper.js';
import { StopWatch } from './stop-watch.js';
import { withTimeout } from '../../util/with-timeout.js';

const log = createDebug('hybrid-gym:sandbox');

// PID 1 of every sandbox: it reaps orphaned processes, and nothing inside can stop it (`kill -9 -1`
// spares PID 1; every catchable signal is ignored, so `kill 1` does nothing). Only the engine ends it.
const KEEPER = ['bash', '-c', "trap '' HUP INT QUIT TERM USR1 USR2 PIPE ALRM; while :; do sleep 2147483647 & wait $!; done"];
// Longest a container create, start or first shell may take.
const START_MS = 60_000;
// Reset containers kept beyond those lent out; more are removed as they come back.
const MAX_SPARE = 16;

export const DockerProviderOptionsSchema = z.object({
  /** Image of the sandboxes. @default DEFAULT_IMAGE (build it with `hybrid-gym image build`) */
  image: z.string().min(1).default(DEFAULT_IMAGE),
  /** Docker network mode. @default 'none' (no network at all) */
  network: z.string().min(1).default('none'),
  /** Memory limit in bytes (swap included). @default 2 GiB */
  memoryBytes: z.number().int().min(8 * 1024 * 1024).default(2 * 1024 ** 3),
  /** CPU limit in cores. @default 1 */
  cpus: z.number().positive().default(1),
  /** Maximum number of processes. @default 512 */
  pidsLimit: z.number().int().positive().default(512),
  /** Working directory inside the container. @default '/workspace' */
  workdir: z.string().startsWith('/').default(IMAGE_WORKDIR),
  /**
   * Size of the tmpfs the workdir is (a volume of the engine's `local` driver, made with the
   * container and removed with it), in bytes; 0 keeps the workdir in the container's own layer.
   * Files are created there several times faster than in an overlay on disk, and nothing of the
   * workspace is written to or deleted from the disk. What the agent writes there counts against
   * `memoryBytes`. @default 4 GiB
   */
  workspaceTmpfsBytes: z.number().int().min(0).default(4 * 1024 ** 3),
  /** Extra environment variables for commands. @default {} */
  env: z.record(z.string(), z.string()).default({}),
  /** Extra container labels. @default {} */
  labels: z.record(z.string(), z.string()).default({}),
  /** Default hard timeout of a shell command, ms. @default 120000 */
  commandTimeoutMs: z.number().int().positive().default(120_000),
  /** Characters of output kept from the head and from the tail of each command. @default 50000 */
  keepChars: z.number().int().positive().default(50_000),
  /**
   * Serve episode after episode from one container, reset from the host between them (every
   * process killed, every writable folder emptied, both shown to hold), instead of starting one per
   * episode: an episode then costs no container start or removal. The agent runs as an unprivileged
   * user (uid 1000, HOME /home/agent) on a read-only root file system, and can write only in the
   * workdir, /tmp, /var/tmp, /home/agent, /dev/shm and /dev/mqueue; System V IPC is off. Needs a
   * local engine on Linux (the host freezes the container's cgroup and empties its folders).
   * @default false
   */
  reuse: z.boolean().default(false),
  /** Episodes one reused container serves before it is replaced by a fresh one. @default 100 */
  reuseEpisodes: z.number().int().positive().default(100),
  /** A dockerode client to use instead of one made from DOCKER_HOST. */
  docker: z.custom<Docker>((v) => typeof v === 'object' && v !== null).optional(),
});

export type DockerProviderOptions = z.input<typeof DockerProviderOptionsSchema>;

/**
 * The workdir as a tmpfs of its own: an anonymous volume of the `local` driver, so the engine's
 * archive calls and this process (at the volume's host folder) see it as the shell does; nothing of
 * the image is copied in, and devices and set-uid files do not work there.
 */
function workdirTmpfs(workdir: string, bytes: number, sandbox: string, mode: string): Docker.MountSettings {
  return {
    Type: 'volume',
    Source: '',
    Target: workdir,
    VolumeOptions: {
      NoCopy: true,
      Labels: { ...ownerLabels(), [LABEL.sandbox]: sandbox },
      DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: `size=${bytes},mode=${mode},nosuid,nodev` } },
    },
  };
}

/** Makes sandboxes as containers of the local (or DOCKER_HOST) engine. */
export class DockerProvider extends BaseProvider<DockerSandbox> {
  readonly name = 'docker';

  private constructor(
    readonly docker: Docker,
    readonly options: z.output<typeof DockerProviderOptionsSchema>,
    private readonly stops: StopWatch,
  ) {
    super();
  }

  /** Reused containers reset and waiting for an episode. */
  private readonly spare: ReusedContainer[] = [];
  private readonly resetting = new Set<Promise<void>>();

  /** Connect to the engine, check the image, and remove containers left by dead processes. */
  static async start(options: DockerProviderOptions = {}): Promise<DockerProvider> {
    const opts = parseOptions(DockerProviderOptionsSchema, options, 'docker sandbox options');
    if (opts.reuse && opts.workspaceTmpfsBytes === 0) {
      throw new ValidationError('docker sandbox options', [{ path: 'reuse', message: 'a reused container needs its workdir a tmpfs: workspaceTmpfsBytes > 0, not 0' }]);
    }
    const docker = await connectDocker(opts.docker);
    await reapOnce(docker);
    try {
      await docker.getImage(opts.image).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        throw new SandboxError(
          `The image ${opts.image} is not on this engine. ${buildHint(opts.image)}`,
        );
      }
      throw err;
    }
    return new DockerProvider(docker, opts, await StopWatch.start(docker));
  }

  /** Remove the volumes labelled for one sandbox (its container was removed from outside without them). */
  private async removeVolumesOf(tag: string): Promise<void> {
    const { Volumes } = await this.docker.listVolumes({ filters: { label: [`${LABEL.sandbox}=${tag}`] } });
    await Promise.all((Volumes ?? []).map((v) => this.docker.getVolume(v.Name).remove()));
  }

  override async close(): Promise<void> {
    await super.close();
    await Promise.all(this.resetting);
    await Promise.all(this.spare.splice(0).map((c) => this.discard(c, 'the provider closes')));
    this.stops.close();
  }

  /** The image sandboxes get when `create` names none. */
  get image(): string {
    return this.options.image;
  }

  async create(options: { workdir?: string; image?: string; reuse?: boolean; unserved?: string } = {}): Promise<DockerSandbox> {
    this.assertOpen();
    const o = this.options;
    // The engine names a mount's destination normalized ('/workspace/' is '/workspace'): so does the sandbox.
    const workdir = posix.normalize(options.workdir ?? o.workdir).replace(/(.)\/$/, '$1');
    const image = options.image ?? o.image;
    if (o.reuse && options.reuse !== false) return this.lend(image, workdir, options.unserved);
    // Names the workdir's volume before there is a container: one removed from outside leaves it behind.
    const tag = randomUUID();
    let container: Docker.Container | undefined;
    try {
      container = await this.startContainer(image, workdir, tag, {});
      const id = container.id;
      const sandbox = new DockerSandbox(container, { ...this.sandboxSettings(workdir, tag, id), env: o.env }, (s) => {
        this.stops.forget(id);
        this.untrack(s);
      });
      await withTimeout(sandbox.openShell(), START_MS, 'the first shell', id);
      this.track(sandbox);
      log('sandbox %s ready', id.slice(0, 12));
      return sandbox;
    } catch (err) {
      if (container) await this.removeContainer(container);
      throw this.startError(image, err);
    }
  }

  private sandboxSettings(workdir: string, tag: string, id: string): Omit<DockerSandboxSettings, 'env'> {
    const o = this.options;
    return {
      workdir,
      commandTimeoutMs: o.commandTimeoutMs,
      keepChars: o.keepChars,
      workdirTmpfs: o.workspaceTmpfsBytes > 0,
      removeVolumes: () => withTimeout(this.removeVolumesOf(tag), 30_000, 'volume remove', id),
      askedToStop: () => this.stops.askedToStop(id),
    };
  }

  private startError(image: string, err: unknown): SandboxError {
    if (err instanceof SandboxError) return err;
    return new SandboxError(`Could not start a sandbox from ${image}: ${(err as Error).message}`, { cause: err });
  }

  private async removeContainer(container: Docker.Container): Promise<void> {
    await withTimeout(container.remove({ force: true, v: true }), 60_000, 'remove', container.id).catch((err: unknown) => log('remove %s failed: %O', container.id, err));
    this.stops.forget(container.id);
  }

  /** Create and start a container (watched for stops from its start), the workdir a tmpfs volume labelled `tag`. */
  private async startContainer(image: string, workdir: string, tag: string, extra: Partial<Docker.HostConfig>): Promise<Docker.Container> {
    const o = this.options;
    const container = await withTimeout(this.docker.createContainer({
      Image: image,
      Cmd: KEEPER,
      WorkingDir: workdir,
      Labels: { ...o.labels, ...ownerLabels() },
      Env: Object.entries(o.env).map(([k, v]) => `${k}=${v}`),
      NetworkDisabled: o.network === 'none',
      StopTimeout: 1,
      HostConfig: {
        NetworkMode: o.network,
        Memory: o.memoryBytes,
        MemorySwap: o.memoryBytes,
        NanoCpus: Math.round(o.cpus * 1e9),
        PidsLimit: o.pidsLimit,
        SecurityOpt: ['no-new-privileges'],
        // Nothing reads a sandbox's log (the shell is an exec), and root inside can write to PID 1's
        // output (/proc/1/fd/1): with a log, that would fill the host's disk without bound.
        LogConfig: { Type: 'none', Config: {} },
        ...(o.workspaceTmpfsBytes > 0 && { Mounts: [workdirTmpfs(workdir, o.workspaceTmpfsBytes, tag, extra.ReadonlyRootfs ? '1777' : '0755')] }),
        ...extra,
      },
    }), START_MS, 'container create');
    this.stops.watch(container.id);
    try {
      await withTimeout(container.start(), START_MS, 'container start', container.id);
    } catch (err) {
      await this.removeContainer(container);
      throw err;
    }
    return container;
  }

  /** A sandbox on a reused container: a clean spare one when there is one (one gone bad meanwhile is removed), else a new one. */
  private async lend(image: string, workdir: string, unserved?: string): Promise<DockerSandbox> {
    for (;;) {
      const at = this.spare.findIndex((c) => c.image === image && c.workdirPath === workdir && (unserved === undefined || !c.served.has(unserved)));
      const spare = at >= 0 ? this.spare.splice(at, 1)[0] : undefined;
      let c: ReusedContainer;
      try {
        c = spare ?? (await this.newReused(image, workdir));
        return await this.lendOne(c);
      } catch (err) {
        if (!spare) throw this.startError(image, err);
      }
    }
  }

  private async newReused(image: string, workdir: string): Promise<ReusedContainer> {
    const tag = randomUUID();
    const container = await this.startContainer(image, workdir, tag, reusedHostConfig(this.options.workspaceTmpfsBytes));
    try {
      return await withTimeout(ReusedContainer.prepare(container, image, workdir, tag), START_MS, 'reuse preparation', container.id);
    } catch (err) {
      await this.removeContainer(container);
      throw err;
    }
  }

  private async lendOne(c: ReusedContainer): Promise<DockerSandbox> {
    const sandbox = new DockerSandbox(
      c.container,
      {
        ...this.sandboxSettings(c.workdirPath, c.tag, c.id),
        env: { ...AGENT_ENV, ...this.options.env },
        user: `${AGENT.uid}:${AGENT.gid}`,
        owner: AGENT,
        lease: { view: { merged: c.root, workdir: c.workdir }, giveBack: () => this.giveBack(c), served: c.served },
      },
      (s) => this.untrack(s),
    );
    try {
      if (!c.alive()) throw new SandboxError(`Sandbox ${c.id.slice(0, 12)} stopped while it waited for an episode`, { sandboxId: c.id });
      c.episodes++;
      await withTimeout(sandbox.openShell(), START_MS, 'the first shell', c.id);
    } catch (err) {
      await this.discard(c, `it could not be lent: ${(err as Error).message}`);
      throw err;
    }
    this.track(sandbox);
    log('sandbox %s lent (episode %d)', c.id.slice(0, 12), c.episodes);
    return sandbox;
  }

  /** A lent container back: reset for the next episode, or removed when it cannot be shown clean. */
  private giveBack(c: ReusedContainer): Promise<void> {
    const p = (async () => {
      const t = performance.now();
      const why = this.isClosed ? 'the provider closes' : c.episodes >= this.options.reuseEpisodes ? `it served ${c.episodes} episodes` : await c.reset();
      log('sandbox %s %s in %d ms', c.id.slice(0, 12), why === undefined ? 'reset' : 'not reset', Math.round(performance.now() - t));
      if (why === undefined && !this.isClosed && this.spare.length < MAX_SPARE) this.spare.push(c);
      else await this.discard(c, why ?? 'enough spare containers');
    })();
    this.resetting.add(p);
    void p.finally(() => this.resetting.delete(p));
    return p;
  }

  private async discard(c: ReusedContainer, why: string): Promise<void> {
    log('sandbox %s not reused: %s', c.id.slice(0, 12), why);
    c.release();
    await this.removeContainer(c.container);
  }
}
