import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import { taskByName } from '../../src/env/registry.js';
import { parseInstance } from '../../src/tasks/define-task.js';
import { requireBuild, ROOT } from '../support/run-cli.js';
import { docFiles, extractBlocks, type DocBlock } from './doc-blocks.js';

// Docs that cannot drift: every code block of README.md and docs/**/*.md is checked.
// - ```ts and ```js blocks are type-checked against the built package (imported by its name, as a
//   user would), each as its own module; free names a snippet leaves to the reader (`sandbox`,
//   `agent`, ...) are declared in GLOBALS below. Pseudo-code says so: ```ts nocheck (keep it rare).
// - ```json blocks parse; an instance (it has a registered `task`) passes its task's schema.
// - Command lines (`hybrid-gym ...` in any other block) name commands and options that exist;
//   `npm run X` names a script of package.json.
// The runnable examples (examples/*.mjs) are run by test/examples/.

const exec = promisify(execFile);
const OUT = join(ROOT, '.cache/doc-blocks');
const TYPED = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);

const GLOBALS = `import type { Action, AnalyzedRepo, Definition, Env, Observation, Sandbox, SandboxProvider, TaskDefinition } from 'hybrid-gym';
declare global {
  /** README: your own policy, for example an LLM client. */
  const agent: { act(observation: Observation): Promise<Action> };
  const sandbox: Sandbox;
  const provider: SandboxProvider;
  const task: TaskDefinition<any>;
  const instances: unknown[];
  const writeFile: TaskDefinition<any>;
  const myEnv: (options: unknown) => Promise<Env>;
  const index: AnalyzedRepo;
  const def: Definition;
  const file: string;
  const qualname: string;
  const id: string;
  const line: number;
  const source: string;
  const text: string;
}
export {};
`;

/**
 * Known drift in pages this test cannot fix itself, by page and error text. Remove an entry when
 * the page is fixed (the test then fails on an entry that matches nothing, so none outlives its fix).
 */
const KNOWN_DRIFT: Array<{ doc: string; error: string }> = [];

const blocks: DocBlock[] = docFiles(ROOT).flatMap((f) => extractBlocks(ROOT, f));
const fileOf = (b: DocBlock): string =>
  `${b.doc.replace(/[^A-Za-z0-9]+/g, '-')}-L${b.line}.${b.lang === 'ts' || b.lang === 'typescript' ? 'mts' : 'mjs'}`;

describe('the code blocks of the docs', () => {
  const typed = blocks.filter((b) => TYPED.has(b.lang) && !b.flags.includes('nocheck'));

  it('are mostly checked: pseudo-code blocks are rare', () => {
    const nocheck = blocks.filter((b) => b.flags.includes('nocheck'));
    expect(typed.length).toBeGreaterThanOrEqual(15);
    expect(nocheck.length).toBeLessThanOrEqual(3);
  });

  describe('type-check against the built package', () => {
    let errors: string[] = [];
    beforeAll(async () => {
      requireBuild();
      await rm(OUT, { recursive: true, force: true });
      await mkdir(OUT, { recursive: true });
      await writeFile(join(OUT, 'globals.d.ts'), GLOBALS);
      for (const b of typed) {
        // The block's lines keep their numbers; `export {}` makes each block its own module.
        const prelude = b.lang.startsWith('j') ? '// @ts-check\n' : '';
        await writeFile(join(OUT, fileOf(b)), `${prelude}${b.code}\nexport {};\n`);
      }
      await writeFile(
        join(OUT, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023', 'ESNext.Disposable'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            allowJs: true,
            checkJs: true,
            skipLibCheck: true,
            types: ['node'],
          },
          include: ['*.mts', '*.mjs', 'globals.d.ts'],
        }),
      );
      try {
        await exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', OUT, '--pretty', 'false'], { cwd: ROOT });
      } catch (err) {
        errors = ((err as { stdout?: string }).stdout ?? String(err)).split('\n').filter((l) => /error TS/.test(l));
      }
    }, 120_000);

    it.each(typed.map((b) => [`${b.doc}:${b.line}`, b] as const))('%s', (_, b) => {
      const prelude = b.lang.startsWith('j') ? 1 : 0;
      const mine = errors
        .filter((e) => e.includes(fileOf(b)))
        .map((e) => e.replace(/^.*?\((\d+),(\d+)\)/, (_m, l: string, c: string) => `${b.doc}:${b.line + Number(l) - prelude}:${c}`));
      const known = KNOWN_DRIFT.filter((k) => k.doc === b.doc);
      expect(mine.filter((e) => !known.some((k) => e.includes(k.error)))).toEqual([]);
    });

    it('has no stale entry in KNOWN_DRIFT', () => {
      for (const k of KNOWN_DRIFT) {
        const file = typed.filter((b) => b.doc === k.doc).map(fileOf);
        expect(errors.some((e) => e.includes(k.error) && file.some((f) => e.includes(f))), `${k.doc}: ${k.error}`).toBe(true);
      }
    });
  });

  const jsons = blocks.filter((b) => b.lang === 'json');
  it.each(jsons.map((b) => [`${b.doc}:${b.line}`, b] as const))('%s: JSON that parses, instances that validate', (_, b) => {
    const value = JSON.parse(b.code) as { task?: unknown };
    const task = typeof value.task === 'string' ? taskByName(value.task) : undefined;
    if (task) expect(() => parseInstance(task, value)).not.toThrow();
  });

  const program = createProgram();
  const shellLines = blocks
    .filter((b) => !TYPED.has(b.lang) && b.lang !== 'json')
    .flatMap((b) => b.code.split('\n').map((text, i) => ({ where: `${b.doc}:${b.line + 1 + i}`, text: text.trim().replace(/^\$ /, '') })))
    .filter((l) => /^(npx )?hybrid-gym \w/.test(l.text) || /^npm (run )?\w/.test(l.text));

  it.each(shellLines.map((l) => [l.where, l.text] as const))('%s: %s names what exists', async (_, text) => {
    const npm = /^npm (?:run )?([\w:-]+)/.exec(text);
    if (npm) {
      const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      expect(Object.keys(scripts).concat(['test', 'install', 'ci'])).toContain(npm[1]);
      return;
    }
    const words = text.replace(/#.*$/, '').replace(/^npx /, '').split(/\s+/).slice(1);
    let cmd: Command = program;
    for (const word of words) {
      // `cache [info]`: an optional subcommand, written in brackets, is still that subcommand.
      const w = word.replace(/^\[(\w+)\]$/, '$1');
      const sub = cmd.commands.find((c) => c.name() === w);
      if (!sub) break;
      cmd = sub;
    }
    expect(cmd, `no command in "${text}"`).not.toBe(program);
    const known = new Set([...cmd.options.flatMap((o) => [o.long, o.short]), '--help', '-h']);
    // `--no-install` is the negation of `--install`: commander stores the flag as written.
    for (const flag of text.replace(/#.*$/, '').match(/(?<![\w-])--?[a-zA-Z][\w-]*/g) ?? []) {
      expect(known, `${flag} is not an option of "${cmd.name()}"`).toContain(flag);
    }
  });
});
