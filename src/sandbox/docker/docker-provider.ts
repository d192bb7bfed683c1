import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type Docker from 'dockerode';
import createDebug from 'debug';
import { z } from 'zod';
import { SandboxError } from '../../errors.js';
import { buildHint, DEFAULT_IMAGE, IMAGE_WORKDIR } from '../../image/default-image.js';
import { parseOptions } from '../../options.js';
import { LABEL, ownerLabels } from '../owner.js';
import { BaseProvider } from '../base-provider.js';
import { connectDocker } from './docker-client.js';
import { DockerSandbox } from './docker-sandbox.js';
import { reapOnce } from './reaper.js';
import { StopWatch } from './stop-watch.js';
import { withTimeout } from '../../util/with-timeout.js';

const log = createDebug('hybrid-gym:sandbox');

// PID 1 of every sandbox: it reaps orphaned processes, and nothing inside can stop it (`kill -9 -1`
// spares PID 1; every catchable signal is ignored, so `kill 1` does nothing). Only the engine ends it.
const KEEPER = ['bash', '-c', "trap '' HUP INT QUIT TERM USR1 USR2 PIPE ALRM; while :; do sleep 2147483647 & wait $!; done"];
// Longest a container create, start or first shell may take.
const START_MS = 60_000;

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
  /** A dockerode client to use instead of one made from DOCKER_HOST. */
  docker: z.custom<Docker>((v) => typeof v === 'object' && v !== null).optional(),
});

export type DockerProviderOptions = z.input<typeof DockerProviderOptionsSchema>;

/**
 * The workdir as a tmpfs of its own: an anonymous volume of the `local` driver, so the engine's
 * archive calls and this process (at the volume's host folder) see it as the shell does; nothing of
 * the image is copied in, and devices and set-uid files do not work there.
 */
function workdirTmpfs(workdir: string, bytes: number, sandbox: string): Docker.MountSettings {
  return {
    Type: 'volume',
    Source: '',
    Target: workdir,
    VolumeOptions: {
      NoCopy: true,
      Labels: { ...ownerLabels(), [LABEL.sandbox]: sandbox },
      DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: `size=${bytes},mode=0755,nosuid,nodev` } },
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

  /** Connect to the engine, check the image, and remove containers left by dead processes. */
  static async start(options: DockerProviderOptions = {}): Promise<DockerProvider> {
    const opts = parseOptions(DockerProviderOptionsSchema, options, 'docker sandbox options');
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
    this.stops.close();
  }

  /** The image sandboxes get when `create` names none. */
  get image(): string {
    return this.options.image;
  }

  async create(options: { workdir?: string; image?: string } = {}): Promise<DockerSandbox> {
    this.assertOpen();
    const o = this.options;
    // The engine names a mount's destination normalized ('/workspace/' is '/workspace'): so does the sandbox.
    const workdir = posix.normalize(options.workdir ?? o.workdir).replace(/(.)\/$/, '$1');
    const image = options.image ?? o.image;
    // Names the workdir's volume before there is a container: one removed from outside leaves it behind.
    const tag = randomUUID();
    let container: Docker.Container | undefined;
    try {
      container = await withTimeout(this.docker.createContainer({
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
          ...(o.workspaceTmpfsBytes > 0 && { Mounts: [workdirTmpfs(workdir, o.workspaceTmpfsBytes, tag)] }),
        },
      }), START_MS, 'container create');
      const id = container.id;
      this.stops.watch(id);
      await withTimeout(container.start(), START_MS, 'container start', id);
      const sandbox = new DockerSandbox(
        container,
        { workdir, env: o.env, commandTimeoutMs: o.commandTimeoutMs, keepChars: o.keepChars, workdirTmpfs: o.workspaceTmpfsBytes > 0,
          removeVolumes: () => withTimeout(this.removeVolumesOf(tag), 30_000, 'volume remove', id),
          askedToStop: () => this.stops.askedToStop(id),
        },
        (s) => {
          this.stops.forget(id);
          this.untrack(s);
        },
      );
      await withTimeout(sandbox.openShell(), START_MS, 'the first shell', id);
      this.track(sandbox);
      log('sandbox %s ready', id.slice(0, 12));
      return sandbox;
    } catch (err) {
      await container?.remove({ force: true, v: true }).catch(() => {});
      if (container) this.stops.forget(container.id);
      if (err instanceof SandboxError) throw err;
      throw new SandboxError(`Could not start a sandbox from ${image}: ${(err as Error).message}`, { cause: err });
    }
  }
}
