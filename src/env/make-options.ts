import { z } from 'zod';
import { SandboxPool } from '../sandbox/pool.js';
import type { CodeRunner } from '../tasks/code-check.js';

export const MakeOptionsSchema = z.object({
  /** Generate instances from this repository (when `instances` is not given). */
  repo: z.string().min(1).optional(),
  /** Instances: an array, or the path of a .jsonl file written by `hybrid-gym generate`. */
  instances: z.union([z.string().min(1), z.array(z.unknown()).min(1)]).optional(),
  /** Generator options (seed, n, and the task's own) used with `repo`. @default {} */
  generate: z.record(z.string(), z.unknown()).default({}),
  /** Where episodes run. @default 'docker' */
  sandbox: z.enum(['docker', 'local']).default('docker'),
  /** Options of the sandbox provider (image, memoryBytes, cpus, pidsLimit, ...). @default {} */
  sandboxOptions: z.record(z.string(), z.unknown()).default({}),
  /** A pool to share between envs; the env then does not close it. */
  pool: z.instanceof(SandboxPool).optional(),
  /**
   * Runs the task's code checks (each in a fresh verification sandbox). @default a SandboxCodeRunner
   * on the env's sandbox provider
   */
  checkRunner: z.custom<CodeRunner>((v) => typeof (v as CodeRunner | null)?.run === 'function', 'expected an object with a run() method').optional(),
  /** Blank sandboxes the pool keeps started beyond what `prepareNext` prepares (for envs sharing a pool). @default 0 */
  warm: z.number().int().min(0).default(0),
  /**
   * Prepare the next episode's sandbox (container started, workspace installed when the next
   * instance is known) while an episode runs, so that a reset is a hand-over. One more container
   * per env; with `false` each reset starts its container. @default true
   */
  prepareNext: z.boolean().default(true),
  /** Limits on reading the agent's final workspace (bytes per file, bytes in all, entries, path length, growth of a file). @default {} */
  readLimits: z
    .strictObject({
      maxFileBytes: z.number().int().positive().optional(),
      maxTotalBytes: z.number().int().positive().optional(),
      maxFiles: z.number().int().positive().optional(),
      maxPathBytes: z.number().int().positive().optional(),
      maxGrowthBytes: z.number().int().positive().optional(),
    })
    .default({}),
  /** Steps per episode before it is truncated. @default 50 */
  maxSteps: z.number().int().positive().default(50),
  /** Wall-clock seconds per episode before it is truncated. @default 1800 */
  maxSeconds: z.number().positive().default(1800),
  /** Tool settings: observation cap, bash idle return, default bash timeout. @default {} */
  tools: z
    .object({
      maxObservationChars: z.number().int().positive().optional(),
      bashIdleSeconds: z.number().positive().optional(),
      bashTimeoutSeconds: z.number().positive().optional(),
    })
    .default({}),
});

export type MakeOptions = z.input<typeof MakeOptionsSchema>;
export type ParsedMakeOptions = z.output<typeof MakeOptionsSchema>;
