import type { TaskContext } from '../define-task.js';
import type { PyNode } from '../../analysis/python/parser.js';
import { STATEMENT_CONTAINERS } from '../../analysis/python/definitions.js';
import { functionBodies, lineStart } from './body.js';
import type { FuncGenInstance } from './schema.js';
import { maskedTargetFile } from './workspace.js';

const MAX_IMPORT_LINES = 40;

/**
 * The task prompt, after the paper's structure: the file and the function, its signature and
 * docstring as they stand in the masked file, the imports of that file, the tests that judge it,
 * then the steps (navigate, read the context, implement, verify) and the one rule.
 */
export async function funcGenPrompt(instance: FuncGenInstance, ctx: TaskContext): Promise<string> {
  const t = instance.target;
  const masked = await maskedTargetFile(instance);
  const text = masked.masked;
  const start = lineStart(text, masked.definition.startIndex);
  const lineEnd = text.indexOf('\n', masked.placeholder.end);
  const stub = text.slice(start, lineEnd < 0 ? text.length : lineEnd).replace(/\r\n?/g, '\n');
  const imports = fileImports(text);
  const what = t.kind === 'method' ? `the method \`${t.qualname}\`` : `the function \`${t.qualname}\``;
  const path = `${ctx.workdir}/${t.file}`;
  const tests = instance.tests.map((id) => `- \`${id}\``).join('\n');
  const sections = [
    `A Python repository is in ${ctx.workdir}. In \`${t.file}\`, the body of ${what} (line ${masked.placeholder.line}) ` +
      'has been replaced by `pass  # TODO: Implement this function`. Implement it.',
    `## The function\n\nIts decorators, signature and docstring, as they stand in ${path}:\n\n\`\`\`python\n${stub}\n\`\`\``,
    imports.length > 0
      ? `## Imports of \`${t.file}\`\n\n\`\`\`python\n${imports.join('\n')}\n\`\`\``
      : `## Imports of \`${t.file}\`\n\nThe file imports nothing at its top level.`,
    `## The tests that check it\n\n${tests}\n\nRun them from ${ctx.workdir}, for example \`python3 -m pytest -q ${shellWord(instance.tests[0]!)}\`.`,
    [
      '## How to work',
      '',
      `1. Navigate: open ${path} and find the function; look at the layout of the repository around it.`,
      '2. Read the context: the rest of its class or module, the functions it should call, the callers and the tests above, ' +
        'to learn what it must return and which cases it must handle.',
      '3. Implement: replace the placeholder statement with the body, indented like the placeholder, using the code the repository already has.',
      '4. Verify: run the tests; when one fails, read the assertion, fix the body and run them again.',
    ].join('\n'),
    '## The rule\n\n' +
      `Change only the body of ${what}: not its signature, decorators or docstring, no other code in the file, no other file ` +
      '(tests included), and leave no new files behind (remove scratch scripts before you finish). ' +
      'Tests and their configuration are restored before your work is judged. When you are done, call `finish`.',
  ];
  return sections.join('\n\n');
}

/** The file's top-level import statements (inside top-level `if`/`try` blocks too), as written. */
function fileImports(text: string): string[] {
  const { root } = functionBodies(text);
  const out: string[] = [];
  const visit = (n: PyNode): void => {
    for (const c of n.children) {
      if (c.type === 'import_statement' || c.type === 'import_from_statement' || c.type === 'future_import_statement') {
        out.push(...text.slice(c.start, c.end).replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimStart()));
      } else if (STATEMENT_CONTAINERS.has(c.type) && c.type !== 'function_definition' && c.type !== 'class_definition') visit(c);
      else if (c.type === 'block' || c.type.endsWith('_clause')) visit(c);
    }
  };
  visit(root);
  return out.length > MAX_IMPORT_LINES ? [...out.slice(0, MAX_IMPORT_LINES), `# ... and ${out.length - MAX_IMPORT_LINES} more lines`] : out;
}

function shellWord(s: string): string {
  return /^[\w./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
