import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { SandboxCodeRunner } from '../../src/env/code-runner.js';
import { verifyFiles } from '../../src/env/verify-files.js';
import { DockerProvider } from '../../src/sandbox/docker/docker-provider.js';
import type { VerifyResult } from '../../src/tasks/define-task.js';
import { FUNC_GEN_PLACEHOLDER } from '../../src/tasks/func-gen/body.js';
import { funcGenTask, generateFuncGen, type FuncGenInstance } from '../../src/tasks/func-gen/index.js';
import type { WorkspaceFiles } from '../../src/workspace/files.js';

/** The func-gen fixture repository: a tiny shop with prices, discounts and carts, and its tests. */
export const SHOP_REPO = fileURLToPath(new URL('../fixtures/func-gen/shop', import.meta.url));

const PLACEHOLDER_LINE = new RegExp(`^([ \\t]*)${FUNC_GEN_PLACEHOLDER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');

/** The placeholder line replaced by these body lines, indented like it. */
export const body =
  (...lines: string[]) =>
  (masked: string): string =>
    masked.replace(PLACEHOLDER_LINE, (_m, indent: string) => lines.map((l) => indent + l).join('\n'));

/** The verifier's violations and policy findings, as problems (a policy finding by its rule). */
export const problems = (r: VerifyResult): string[] => [
  ...(r.details.violations as Array<{ problem: string }>).map((v) => v.problem),
  ...(r.details.policy as Array<{ problem: string }>).map((v) => v.problem.split(':')[0]!),
];

/** Reward 0 under `fraction` too: no test of a non-implementation may count as passed. */
export const fraction = (i: FuncGenInstance): FuncGenInstance => ({ ...i, reward: 'fraction' });

/** What a describe block gets from {@link useShopInstances}: filled in by its beforeAll. */
export interface ShopInstances {
  provider: DockerProvider;
  runner: SandboxCodeRunner;
  instances: FuncGenInstance[];
  cacheDir: string;
  /** `reason: count` of every drop generation reported. */
  dropped: string[];
  byName(qualname: string): FuncGenInstance;
  /** The masked workspace with the target file changed by `edit`, other files set (null deletes one). */
  agentFiles(instance: FuncGenInstance, edit: (masked: string) => string, others?: Record<string, string | null>): Promise<WorkspaceFiles>;
  verify(instance: FuncGenInstance, files: WorkspaceFiles): Promise<VerifyResult>;
  /** The safe outcome: a zero verdict (a CheckSandboxError rejects and fails the test too). */
  expectZero(instance: FuncGenInstance, files: WorkspaceFiles): Promise<VerifyResult>;
  /** A correct body scores 1. */
  expectOne(instance: FuncGenInstance, files: WorkspaceFiles): Promise<VerifyResult>;
}

/**
 * Registers beforeAll/afterAll in the calling describe block: a Docker provider, a code runner and
 * the fixture's instances, generated once with a cache of their own.
 */
export function useShopInstances(prefix: string): ShopInstances {
  const ctx = { cacheDir: mkdtempSync(join(tmpdir(), prefix)), dropped: [] as string[] } as ShopInstances;
  beforeAll(async () => {
    ctx.provider = await DockerProvider.start();
    ctx.runner = new SandboxCodeRunner(ctx.provider);
    ctx.instances = await generateFuncGen({ repo: SHOP_REPO, runner: ctx.runner, cacheDir: ctx.cacheDir, onDropped: (d) => ctx.dropped.push(`${d.reason}: ${d.count}`) });
  }, 300_000);
  afterAll(async () => {
    await ctx.provider?.close();
  });
  ctx.byName = (qualname) => {
    const found = ctx.instances.find((i) => i.target.qualname === qualname);
    if (!found) throw new Error(`no instance for ${qualname}: ${ctx.instances.map((i) => i.target.qualname).join(', ')}`);
    return found;
  };
  ctx.agentFiles = async (instance, edit, others = {}) => {
    const files = new Map(await funcGenTask.workspace(instance));
    files.set(instance.target.file, Buffer.from(edit(files.get(instance.target.file)!.toString('utf8')), 'utf8'));
    for (const [path, text] of Object.entries(others)) {
      if (text === null) files.delete(path);
      else files.set(path, Buffer.from(text));
    }
    return files;
  };
  ctx.verify = (instance, files) => verifyFiles(funcGenTask, instance, files, { runner: ctx.runner });
  const expectReward = async (instance: FuncGenInstance, files: WorkspaceFiles, reward: 0 | 1): Promise<VerifyResult> => {
    const r = await ctx.verify(instance, files).catch((err: Error) => {
      if (process.env.HG_ATTACK_LOG) console.log(`verify threw ${err.name}: ${err.message}`);
      throw err;
    });
    // HG_ATTACK_LOG=1 shows each verdict (what an attack got).
    if (process.env.HG_ATTACK_LOG) {
      const d = r.details;
      console.log(JSON.stringify({ reward: r.reward, violations: d.violations, policy: d.policy, compileError: d.compileError, run: d.run, tests: d.tests }).slice(0, 1500));
    }
    expect({ reward: r.reward, success: r.success }, JSON.stringify(r.details).slice(0, 3000)).toEqual({ reward, success: reward === 1 });
    return r;
  };
  ctx.expectZero = (instance, files) => expectReward(instance, files, 0);
  ctx.expectOne = (instance, files) => expectReward(instance, files, 1);
  return ctx;
}
