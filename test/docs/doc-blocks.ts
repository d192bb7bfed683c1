import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One fenced code block of a Markdown file. */
export interface DocBlock {
  /** The file, relative to the repository root. */
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`ts`, `js`, `json`, `bash`, or '' for none). */
  lang: string;
  /** The other words of the info string (`nocheck`). */
  flags: string[];
  code: string;
}

/** README.md and every Markdown file under docs/. */
export function docFiles(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return [join(root, 'README.md'), ...walk(join(root, 'docs')).sort()];
}

/** The fenced blocks of a Markdown file (``` fences; nested fences are not used in our docs). */
export function extractBlocks(root: string, path: string): DocBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [lang = '', ...flags] = open[1]!.trim().split(/\s+/).filter(Boolean);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ doc: relative(root, path), line: start + 1, lang, flags, code: body.join('\n') });
  }
  return blocks;
}
