import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/errors.js';
import { parseOptions, suggestKey } from '../../src/options.js';
import { DockerProviderOptionsSchema } from '../../src/sandbox/docker/docker-provider.js';
import { LocalProviderOptionsSchema } from '../../src/sandbox/local/local-provider.js';
import { FuncLocalizeOptionsSchema } from '../../src/tasks/func-localize/generate.js';
import { MakeOptionsSchema } from '../../src/env/make-options.js';

const Schema = z.object({
  maxSteps: z.number().default(50),
  tools: z.object({ bashTimeoutSeconds: z.number().optional() }).default({}),
  list: z.array(z.object({ name: z.string() })).optional(),
  free: z.record(z.string(), z.unknown()).optional(),
  loose: z.object({ a: z.number().optional() }).loose().optional(),
});

function issuesOf(fn: () => unknown): ValidationError['issues'] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('parseOptions', () => {
  it('accepts known keys and applies defaults', () => {
    expect(parseOptions(Schema, { tools: { bashTimeoutSeconds: 3 } }, 'opts')).toEqual({ maxSteps: 50, tools: { bashTimeoutSeconds: 3 } });
    expect(parseOptions(Schema, undefined, 'opts')).toEqual({ maxSteps: 50, tools: {} });
  });

  it.each([
    [{ maxStep: 5 }, 'maxStep', 'maxSteps'],
    [{ MaxSteps: 5 }, 'MaxSteps', 'maxSteps'],
    [{ tools: { bashTimeout: 5 } }, 'tools.bashTimeout', 'bashTimeoutSeconds'],
    [{ list: [{ name: 'a' }, { nmae: 'b' }] }, 'list.1.nmae', 'name'],
  ])('rejects the unknown key in %j, naming the closest known key', (input, path, suggestion) => {
    const issues = issuesOf(() => parseOptions(Schema, input, 'opts'));
    expect(issues[0]).toEqual({ path, message: `unknown option; did you mean "${suggestion}"?`, suggestion });
  });

  it('lists the known keys when nothing is close', () => {
    const issues = issuesOf(() => parseOptions(Schema, { zzzzzzzz: 1 }, 'opts'));
    expect(issues[0]!.message).toBe('unknown option; known options: maxSteps, tools, list, free, loose');
  });

  it('leaves records and loose objects open', () => {
    expect(parseOptions(Schema, { free: { anything: 1 }, loose: { b: 2 } }, 'opts')).toMatchObject({ free: { anything: 1 }, loose: { b: 2 } });
  });

  it('reports unknown keys together with type errors, on one line', () => {
    const run = () => parseOptions(Schema, { maxSteps: 'x', maxStep: 1 }, 'my options');
    expect(issuesOf(run).map((i) => i.path)).toEqual(['maxStep', 'maxSteps']);
    expect(run).toThrow(/^Invalid my options: maxStep: unknown option; did you mean "maxSteps"\?; maxSteps: .*number/);
    expect(run).not.toThrow(/\n/);
  });

  it('makes the providers\' and generators\' schemas strict without changing them', () => {
    const docker = issuesOf(() => parseOptions(DockerProviderOptionsSchema, { memory: 1 }, 'docker sandbox options'));
    expect(docker[0]).toMatchObject({ path: 'memory', suggestion: 'memoryBytes' });
    const local = issuesOf(() => parseOptions(LocalProviderOptionsSchema, { basedir: '/tmp' }, 'local sandbox options'));
    expect(local[0]).toMatchObject({ path: 'basedir', suggestion: 'baseDir' });
    const gen = issuesOf(() => parseOptions(FuncLocalizeOptionsSchema, { repo: '.', showname: false }, 'generator options'));
    expect(gen[0]).toMatchObject({ path: 'showname', suggestion: 'showName' });
    const make = issuesOf(() => parseOptions(MakeOptionsSchema, { tools: { maxObservationChar: 10 } }, 'make options'));
    expect(make[0]).toMatchObject({ path: 'tools.maxObservationChar', suggestion: 'maxObservationChars' });
  });
});

describe('suggestKey', () => {
  it('prefers a close spelling, then a shared prefix', () => {
    expect(suggestKey('pidLimit', ['pidsLimit', 'cpus'])).toBe('pidsLimit');
    expect(suggestKey('memory', ['memoryBytes', 'image'])).toBe('memoryBytes');
    expect(suggestKey('qq', ['memoryBytes', 'image'])).toBeUndefined();
  });
});
