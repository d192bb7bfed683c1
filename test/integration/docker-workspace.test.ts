import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types.js';
import { installWorkspace, readWorkspace } from '../../src/workspace/sandbox-workspace.js';
import type { WorkspaceFiles } from '../../src/workspace/files.js';
import { blockProvider, dockerReady } from './helpers.js';

const SECRET_B = 'The answer of episode B, which episode A was allowed to see.';

// Episode A sees the secret of B in plain text (in B it is masked), and the other way round.
const repoFor = (episode: 'A' | 'B'): WorkspaceFiles =>
  new Map([
    ['README.md', Buffer.from('# repo\n')],
    ['pkg/a.py', Buffer.from(episode === 'A' ? `def a():\n    """${SECRET_B}"""\n` : 'def a():\n    pass\n')],
    ['pkg/b.py', Buffer.from(episode === 'A' ? 'def b():\n    pass\n' : 'def b():\n    """Not secret in B."""\n')],
    ...(episode === 'A' ? ([['only-in-a.txt', Buffer.from('a')]] as const) : []),
  ]);

async function allObjects(s: Sandbox): Promise<string> {
  return (await s.exec('git cat-file --batch-all-objects --batch --unordered 2>&1; ls -A .git; git log --all --oneline | wc -l')).output;
}

// Episodes never share a sandbox; installWorkspace still refuses to trust a workdir it did not leave
// as it was, so a sandbox reused by a caller of its own cannot leak through the install either.
describe.runIf(dockerReady())('workspaces installed in Docker sandboxes', () => {
  const provider = blockProvider();

  describe('installing a workspace twice into one sandbox', () => {

    for (const agentMess of [
      'echo x >> pkg/b.py; rm README.md; echo new > new.py; mkdir -p build __pycache__; echo c > build/out; echo c > __pycache__/x.pyc; echo build/ > .gitignore; git add new.py',
      'git checkout -q -b other; git -c user.name=x -c user.email=y commit -qam mine --allow-empty',
      'git stash -q || true; git gc -q',
      'rm -rf .git',
    ]) {
      it(`after an agent ran \`${agentMess.slice(0, 60)}\`, the next workspace holds exactly its files and no old object`, async () => {
        const again = await provider().create();
        await installWorkspace(again, repoFor('A'));
        await again.exec(`cd ${again.workdir} && ${agentMess}`);
        await installWorkspace(again, repoFor('B'));
        const final = await readWorkspace(again);
        expect([...final.keys()].sort()).toEqual([...repoFor('B').keys()].sort());
        for (const [path, content] of repoFor('B')) expect(final.get(path)!.toString()).toBe(content.toString());
        const objects = await allObjects(again);
        expect(objects).not.toContain(SECRET_B);
        expect(objects).not.toContain('only-in-a');
        expect(objects.trim().split('\n').pop()).toBe('1');
        expect((await again.exec('git status --porcelain; git remote; git stash list')).output).toBe('');
        await again.close();
      });
    }

    it('reads hard-linked files with their content, whichever name the archive gives first', async () => {
      const s = await provider().create();
      await installWorkspace(s, repoFor('B'));
      // .git sorts before pkg: the archive names the file first inside .git, which is not read.
      await s.exec(`cd ${s.workdir} && ln pkg/b.py .git/zz-link && ln pkg/b.py pkg/c.py`);
      const final = await readWorkspace(s);
      expect(final.get('pkg/b.py')?.toString()).toBe(repoFor('B').get('pkg/b.py')!.toString());
      expect(final.get('pkg/c.py')?.toString()).toBe(repoFor('B').get('pkg/b.py')!.toString());
      expect([...final.keys()].some((k) => k.startsWith('.git'))).toBe(false);
      await s.close();
    });

    it('replaces a workspace whole: no file or object is born later than the others by what changed', async () => {
      const s = await provider().create();
      expect((await installWorkspace(s, repoFor('A'))).replaced).toBe(false);
      expect((await installWorkspace(s, repoFor('B'))).replaced).toBe(true);
      expect((await installWorkspace(s, repoFor('A'))).replaced).toBe(true);
      // A birth time (statx btime) cannot be set back: were only the changed files written, they and
      // their git objects would be the ones born a second later, naming the file that holds the answer.
      await new Promise((r) => setTimeout(r, 1100));
      expect((await installWorkspace(s, repoFor('B'))).replaced).toBe(true);
      const born = (await s.exec(`cd ${s.workdir} && find . -type f -exec stat --printf '%.9W\\n' {} +`)).output.trim().split('\n').map(Number);
      expect(born.length).toBeGreaterThan(4);
      expect(Math.max(...born) - Math.min(...born)).toBeLessThan(1);
      expect([...(await readWorkspace(s)).keys()].sort()).toEqual([...repoFor('B').keys()].sort());
      await s.close();
    });
  });

  describe('installing into a sandbox no one has used', () => {

    /** The sandbox, with every command it is asked to run recorded. */
    function recorded(s: Sandbox): { sandbox: Sandbox; commands: string[] } {
      const commands: string[] = [];
      const sandbox = new Proxy(s, {
        get(target, key) {
          const value = Reflect.get(target, key, target) as unknown;
          if (key === 'execDetached') {
            return (argv: string[], options?: unknown) => {
              commands.push(argv.join(' '));
              return (target.execDetached as (a: string[], o?: unknown) => unknown).call(target, argv, options);
            };
          }
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { sandbox, commands };
    }

    it('runs nothing in the sandbox to empty a workdir the host sees empty', async () => {
      const s = await provider().create();
      const root = await s.hostWorkdir?.();
      const { sandbox, commands } = recorded(s);
      await installWorkspace(sandbox, repoFor('B'));
      // Without a host view (a remote engine, another storage driver) the workdir is emptied in the sandbox, as ever.
      if (root) expect(commands.filter((c) => c.includes('rm -rf'))).toEqual([]);
      expect([...(await readWorkspace(sandbox)).keys()].sort()).toEqual([...repoFor('B').keys()].sort());
      await s.close();
    });

    it('still empties a first install whose workdir holds anything, hidden files and folders included', async () => {
      const s = await provider().create();
      await s.exec(`mkdir -p ${s.workdir}/.hidden && echo planted > ${s.workdir}/.hidden/answer.txt && echo planted > ${s.workdir}/.env`);
      const { sandbox, commands } = recorded(s);
      await installWorkspace(sandbox, repoFor('B'));
      expect(commands.some((c) => c.includes('rm -rf'))).toBe(true);
      expect((await s.exec(`ls -A ${s.workdir}`)).output.split(/\s+/).filter(Boolean).sort()).toEqual(['.git', 'README.md', 'pkg']);
      await s.close();
    });
  });
});
