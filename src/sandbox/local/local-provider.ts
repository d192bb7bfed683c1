import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../../options.js';
import { BaseProvider } from '../base-provider.js';
import { LocalSandbox } from './local-sandbox.js';

export const LocalProviderOptionsSchema = z.object({
  /** Parent of the temporary sandbox directories. @default os.tmpdir() */
  baseDir: z.string().optional(),
  /** Extra environment variables for commands. @default {} */
  env: z.record(z.string(), z.string()).default({}),
  /** Default hard timeout of a shell command, ms. @default 120000 */
  commandTimeoutMs: z.number().int().positive().default(120_000),
  /** Characters of output kept from the head and from the tail of each command. @default 50000 */
  keepChars: z.number().int().positive().default(50_000),
});

export type LocalProviderOptions = z.input<typeof LocalProviderOptionsSchema>;

/**
 * Sandboxes as temporary directories on the host. Not a security boundary: commands run with your
 * user, your network and your files. Use it for development and where no container engine exists.
 */
export class LocalProvider extends BaseProvider<LocalSandbox> {
  readonly name = 'local';
  private readonly options: z.output<typeof LocalProviderOptionsSchema>;

  constructor(options: LocalProviderOptions = {}) {
    super();
    this.options = parseOptions(LocalProviderOptionsSchema, options, 'local sandbox options');
  }

  static async start(options: LocalProviderOptions = {}): Promise<LocalProvider> {
    return new LocalProvider(options);
  }

  async create(): Promise<LocalSandbox> {
    this.assertOpen();
    const root = await mkdtemp(join(this.options.baseDir ?? tmpdir(), 'hybrid-gym-'));
    const workdir = join(root, 'workspace');
    await mkdir(workdir);
    const o = this.options;
    const sandbox = new LocalSandbox(workdir, { env: o.env, commandTimeoutMs: o.commandTimeoutMs, keepChars: o.keepChars }, this.untrack);
    this.track(sandbox);
    try {
      await sandbox.openShell();
    } catch (err) {
      await sandbox.close();
      throw err;
    }
    return sandbox;
  }
}
