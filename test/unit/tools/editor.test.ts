import { stat, writeFile, mkdir, chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolOutcome } from '../../../src/tools/types.js';
import { openContext } from './sandbox-context.js';

let env: Awaited<ReturnType<typeof openContext>>;
let root: string;
const edit = (input: Record<string, unknown>): Promise<ToolOutcome> => env.run('str_replace_editor', input);
const p = (name: string): string => join(root, name);
const text = (r: ToolOutcome): string => r.observation.text;

beforeAll(async () => {
  env = await openContext();
  root = env.sandbox.workdir;
  await mkdir(p('pkg/sub/deep'), { recursive: true });
  await mkdir(p('.git'), { recursive: true });
  await writeFile(p('pkg/mod.py'), 'def f():\n    return 1\n');
  await writeFile(p('pkg/sub/deep/hidden-by-depth.py'), '');
  await writeFile(p('pkg/.secret'), 'x');
  await writeFile(p('five.txt'), 'one\ntwo\nthree\nfour\nfive\n');
  await writeFile(p('empty.txt'), '');
  await writeFile(p('nul.bin'), Buffer.from([0x61, 0x00, 0x62]));
  await writeFile(p('latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
});
afterAll(async () => {
  await env.close();
});

describe('view', () => {
  it('numbers a file like cat -n', async () => {
    const r = await edit({ command: 'view', path: p('five.txt') });
    expect(r.observation).toMatchObject({ isError: false, tool: 'str_replace_editor' });
    expect(text(r)).toBe(`Here's the result of running \`cat -n\` on ${p('five.txt')}:\n     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour\n     5\tfive`);
  });

  it('shows a view_range, and [start, -1] to the end', async () => {
    expect(text(await edit({ command: 'view', path: p('five.txt'), view_range: [2, 3] }))).toMatch(/:\n     2\ttwo\n     3\tthree$/);
    expect(text(await edit({ command: 'view', path: p('five.txt'), view_range: [4, -1] }))).toMatch(/:\n     4\tfour\n     5\tfive$/);
    expect(text(await edit({ command: 'view', path: p('five.txt'), view_range: '[5, 5]' }))).toMatch(/:\n     5\tfive$/);
  });

  it('rejects view_range out of bounds', async () => {
    const cases: Array<[unknown, string]> = [
      [[1], 'It should be a list of two integers, [start, end].'],
      [[0, 2], 'Its first element `0` should be within the range of lines of the file: [1, 5].'],
      [[6, 7], 'Its first element `6` should be within the range of lines of the file: [1, 5].'],
      [[2, 9], 'Its second element `9` should not be larger than the number of lines in the file: `5`'],
      [[3, 2], 'Its second element `2` should be larger than or equal to its first `3`.'],
    ];
    for (const [range, message] of cases) {
      const r = await edit({ command: 'view', path: p('five.txt'), view_range: range });
      expect(r.observation.isError).toBe(true);
      expect(text(r)).toContain(message);
    }
  });

  it('shows an empty file, and refuses a view_range on it', async () => {
    expect(text(await edit({ command: 'view', path: p('empty.txt') }))).toContain('[The file is empty.]');
    const r = await edit({ command: 'view', path: p('empty.txt'), view_range: [1, 1] });
    expect(r.observation.isError).toBe(true);
    expect(text(r)).toBe(`The file ${p('empty.txt')} is empty; view it without \`view_range\`.`);
  });

  it('lists a directory two levels deep without hidden entries', async () => {
    const r = await edit({ command: 'view', path: `${root}/` });
    const t = text(r);
    expect(t).toContain(`Here's the files and directories up to 2 levels deep in ${root}, excluding hidden items:`);
    expect(t).toContain(`${p('pkg')}/\n`);
    expect(t).toContain(`${p('pkg/mod.py')}\n`);
    expect(t).toContain(`${p('pkg/sub')}/`);
    expect(t).not.toContain('sub/deep');
    expect(t).not.toContain('.git');
    expect(t).not.toContain('.secret');
    expect(t).toContain(`1 hidden files/directories in this directory are excluded. You can use 'ls -la ${root}' to see them.`);
  });

  it('refuses a view_range on a directory', async () => {
    const r = await edit({ command: 'view', path: p('pkg'), view_range: [1, 2] });
    expect(r.observation.isError).toBe(true);
    expect(text(r)).toContain('The `view_range` parameter is not allowed when `path` points to a directory.');
  });

  it('refuses binary files (NUL bytes or invalid UTF-8)', async () => {
    for (const name of ['nul.bin', 'latin1.txt']) {
      const r = await edit({ command: 'view', path: p(name) });
      expect(r.observation.isError).toBe(true);
      expect(text(r)).toContain(`The file ${p(name)} appears to be binary`);
    }
  });

  it('reports missing and relative paths', async () => {
    const missing = await edit({ command: 'view', path: p('nope.py') });
    expect(missing.observation.isError).toBe(true);
    expect(text(missing)).toBe(`Invalid \`path\` parameter: ${p('nope.py')}. The path ${p('nope.py')} does not exist. Please provide a valid path.`);
    const rel = await edit({ command: 'view', path: 'pkg/mod.py' });
    expect(rel.observation.isError).toBe(true);
    expect(text(rel)).toContain(`The path pkg/mod.py is not absolute; did you mean ${p('pkg/mod.py')}?`);
  });
});

describe('create', () => {
  it('creates a file and its parent directories', async () => {
    const r = await edit({ command: 'create', path: p('new/dir/a.py'), file_text: 'print(1)\n' });
    expect(r.observation.isError).toBe(false);
    expect(text(r)).toBe(`File created successfully at: ${p('new/dir/a.py')}`);
    expect(await readFile(p('new/dir/a.py'), 'utf8')).toBe('print(1)\n');
  });

  it('refuses to overwrite a file or a directory, and needs file_text', async () => {
    const exists = await edit({ command: 'create', path: p('five.txt'), file_text: 'x' });
    expect(exists.observation.isError).toBe(true);
    expect(text(exists)).toContain(`File already exists at: ${p('five.txt')}. Cannot overwrite files using command \`create\``);
    const dir = await edit({ command: 'create', path: p('pkg'), file_text: 'x' });
    expect(text(dir)).toContain(`The path ${p('pkg')} is a directory and only the \`view\` command can be used on directories.`);
    const missing = await edit({ command: 'create', path: p('other.py') });
    expect(missing.observation.isError).toBe(true);
    expect(text(missing)).toBe('Parameter `file_text` is required for command: create.');
  });

  it('refuses a path below a file', async () => {
    const r = await edit({ command: 'create', path: p('five.txt/inner.py'), file_text: 'x' });
    expect(r.observation.isError).toBe(true);
    expect(text(r)).toContain('one of its parent paths is a file');
  });
});

describe('str_replace', () => {
  it('replaces a unique string and shows the edited region', async () => {
    await writeFile(p('r.py'), 'a = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\ng = 7\nh = 8\ni = 9\nj = 10\n');
    const r = await edit({ command: 'str_replace', path: p('r.py'), old_str: 'f = 6', new_str: 'f = 60\nf2 = 61' });
    expect(r.observation.isError).toBe(false);
    expect(text(r)).toBe(
      `The file ${p('r.py')} has been edited. Here's the result of running \`cat -n\` on a snippet of ${p('r.py')}:\n` +
        '     2\tb = 2\n     3\tc = 3\n     4\td = 4\n     5\te = 5\n     6\tf = 60\n     7\tf2 = 61\n     8\tg = 7\n     9\th = 8\n    10\ti = 9\n    11\tj = 10\n' +
        'Review the changes and make sure they are as expected. Edit the file again if necessary.',
    );
    expect(await readFile(p('r.py'), 'utf8')).toContain('e = 5\nf = 60\nf2 = 61\ng = 7\n');
  });

  it('deletes old_str when new_str is omitted', async () => {
    await writeFile(p('del.py'), 'keep\ndrop me\nkeep too\n');
    await edit({ command: 'str_replace', path: p('del.py'), old_str: 'drop me\n' });
    expect(await readFile(p('del.py'), 'utf8')).toBe('keep\nkeep too\n');
  });

  it('names the lines when old_str occurs more than once', async () => {
    await writeFile(p('dup.py'), 'x = 1\ny = 2\nx = 1\n');
    const r = await edit({ command: 'str_replace', path: p('dup.py'), old_str: 'x = 1', new_str: 'x = 2' });
    expect(r.observation.isError).toBe(true);
    expect(text(r)).toContain('No replacement was performed. Multiple occurrences of old_str `x = 1` in lines 1, 3. Please ensure it is unique');
    expect(await readFile(p('dup.py'), 'utf8')).toBe('x = 1\ny = 2\nx = 1\n');
  });

  it('says when old_str does not occur, with a hint about whitespace', async () => {
    const r = await edit({ command: 'str_replace', path: p('pkg/mod.py'), old_str: 'return 2', new_str: 'return 3' });
    expect(r.observation.isError).toBe(true);
    expect(text(r)).toBe(`No replacement was performed, old_str \`return 2\` did not appear verbatim in ${p('pkg/mod.py')}.`);
    const ws = await edit({ command: 'str_replace', path: p('pkg/mod.py'), old_str: '  return 1  ', new_str: 'return 3' });
    expect(text(ws)).toContain('It does occur when its leading and trailing whitespace is left out');
  });

  it('rejects equal, empty and missing old_str', async () => {
    const same = await edit({ command: 'str_replace', path: p('pkg/mod.py'), old_str: 'return 1', new_str: 'return 1' });
    expect(text(same)).toBe('No replacement was performed. `new_str` and `old_str` must be different.');
    const empty = await edit({ command: 'str_replace', path: p('pkg/mod.py'), old_str: '', new_str: 'x' });
    expect(text(empty)).toContain('`old_str` must not be empty');
    const missing = await edit({ command: 'str_replace', path: p('pkg/mod.py'), new_str: 'x' });
    expect(missing.observation.isError).toBe(true);
    expect(text(missing)).toBe('Parameter `old_str` is required for command: str_replace.');
  });

  it('refuses directories and binary files', async () => {
    const dir = await edit({ command: 'str_replace', path: p('pkg'), old_str: 'a', new_str: 'b' });
    expect(text(dir)).toContain('is a directory and only the `view` command can be used on directories');
    const bin = await edit({ command: 'str_replace', path: p('nul.bin'), old_str: 'a', new_str: 'b' });
    expect(text(bin)).toContain('appears to be binary');
  });

  it('keeps CRLF line endings and the file mode', async () => {
    await writeFile(p('win.bat'), 'echo one\r\necho two\r\n');
    await chmod(p('win.bat'), 0o755);
    const r = await edit({ command: 'str_replace', path: p('win.bat'), old_str: 'echo one\necho two', new_str: 'echo 1\necho 2' });
    expect(r.observation.isError).toBe(false);
    expect(await readFile(p('win.bat'), 'utf8')).toBe('echo 1\r\necho 2\r\n');
    expect((await stat(p('win.bat'))).mode & 0o777).toBe(0o755);
  });
});

describe('insert', () => {
  it('inserts after a line, at the start and at the end', async () => {
    await writeFile(p('ins.txt'), 'a\nb\n');
    const mid = await edit({ command: 'insert', path: p('ins.txt'), insert_line: 1, new_str: 'after a' });
    expect(mid.observation.isError).toBe(false);
    expect(text(mid)).toBe(
      `The file ${p('ins.txt')} has been edited. Here's the result of running \`cat -n\` on a snippet of the edited file:\n` +
        '     1\ta\n     2\tafter a\n     3\tb\n' +
        'Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary.',
    );
    await edit({ command: 'insert', path: p('ins.txt'), insert_line: 0, new_str: 'top\n' });
    await edit({ command: 'insert', path: p('ins.txt'), insert_line: '4', new_str: 'end' });
    expect(await readFile(p('ins.txt'), 'utf8')).toBe('top\na\nafter a\nb\nend\n');
  });

  it('inserts into an empty file', async () => {
    await writeFile(p('empty2.txt'), '');
    await edit({ command: 'insert', path: p('empty2.txt'), insert_line: 0, new_str: 'first' });
    expect(await readFile(p('empty2.txt'), 'utf8')).toBe('first\n');
  });

  it('validates insert_line and needs new_str', async () => {
    const out = await edit({ command: 'insert', path: p('five.txt'), insert_line: 6, new_str: 'x' });
    expect(out.observation.isError).toBe(true);
    expect(text(out)).toBe('Invalid `insert_line` parameter: 6. It should be within the range of lines of the file: [0, 5].');
    const neg = await edit({ command: 'insert', path: p('five.txt'), insert_line: -1, new_str: 'x' });
    expect(text(neg)).toContain('[0, 5]');
    expect(text(await edit({ command: 'insert', path: p('five.txt'), new_str: 'x' }))).toBe('Parameter `insert_line` is required for command: insert.');
    expect(text(await edit({ command: 'insert', path: p('five.txt'), insert_line: 1 }))).toBe('Parameter `new_str` is required for command: insert.');
    const bad = await edit({ command: 'insert', path: p('five.txt'), insert_line: 'two', new_str: 'x' });
    expect(text(bad)).toContain('`insert_line` should be a number, but got the string "two"');
  });
});

describe('undo_edit', () => {
  it('reverts edits one at a time, then reports no history', async () => {
    await writeFile(p('u.txt'), 'v1\n');
    await edit({ command: 'str_replace', path: p('u.txt'), old_str: 'v1', new_str: 'v2' });
    await edit({ command: 'insert', path: p('u.txt'), insert_line: 1, new_str: 'more' });
    expect(await readFile(p('u.txt'), 'utf8')).toBe('v2\nmore\n');
    const first = await edit({ command: 'undo_edit', path: p('u.txt') });
    expect(text(first)).toBe(`Last edit to ${p('u.txt')} undone successfully. Here's the result of running \`cat -n\` on ${p('u.txt')}:\n     1\tv2`);
    await edit({ command: 'undo_edit', path: p('u.txt') });
    expect(await readFile(p('u.txt'), 'utf8')).toBe('v1\n');
    const none = await edit({ command: 'undo_edit', path: p('u.txt') });
    expect(none.observation.isError).toBe(true);
    expect(text(none)).toBe(`No edit history found for ${p('u.txt')}.`);
  });

  it('restores CRLF files byte for byte', async () => {
    await writeFile(p('crlf.txt'), 'a\r\nb\r\n');
    await edit({ command: 'insert', path: p('crlf.txt'), insert_line: 1, new_str: 'x' });
    expect(await readFile(p('crlf.txt'), 'utf8')).toBe('a\r\nx\r\nb\r\n');
    await edit({ command: 'undo_edit', path: p('crlf.txt') });
    expect(await readFile(p('crlf.txt'), 'utf8')).toBe('a\r\nb\r\n');
  });
});

describe('editor argument errors', () => {
  it('names a missing path and an unknown command', async () => {
    const noPath = await edit({ command: 'view' });
    expect(noPath.observation.isError).toBe(true);
    expect(text(noPath)).toContain('missing required parameter `path` (string)');
    expect(text(noPath)).toContain('Parameters of `str_replace_editor`: command (required), path (required), file_text');
    const bad = await edit({ command: 'delete', path: p('five.txt') });
    expect(text(bad)).toContain('`command` should be one of "view", "create", "str_replace", "insert", "undo_edit", but got the string "delete"');
  });
});
