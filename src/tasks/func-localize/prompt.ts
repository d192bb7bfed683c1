import type { TaskContext } from '../define-task.js';
import type { FuncLocalizeInstance, FuncLocalizeTarget } from './schema.js';

const KIND = { function: 'function', method: 'method', class: 'class' } as const;

function known(t: FuncLocalizeTarget, showName: boolean): string[] {
  const lines: string[] = [];
  if (showName) lines.push(`- Name: \`${t.name}\` (a ${KIND[t.kind]})`);
  else lines.push(`- Kind: a ${KIND[t.kind]}`);
  const d = t.details;
  if (d) {
    if (t.kind !== 'class') lines.push(`- Parameters: ${d.parameters.length ? d.parameters.map((p) => `\`${p}\``).join(', ') : '(none)'}`);
    if (t.kind !== 'class') lines.push(`- Returns a value: ${d.returnsValue ? 'yes' : 'no'}`);
    if (d.calls.length) lines.push(`- Calls, in this repository: ${d.calls.map((c) => `\`${c}\``).join(', ')}`);
    if (d.decorators.length) lines.push(`- Decorators: ${d.decorators.map((c) => `\`@${c}\``).join(', ')}`);
  }
  return lines;
}

/** The task prompt: where the repo is, what to find, what is known, the steps, and the one rule. */
export function funcLocalizePrompt(instance: FuncLocalizeInstance, ctx: TaskContext): string {
  const many = instance.targets.length > 1;
  const what = many ? `${instance.targets.length} definitions (functions, methods or classes)` : `a ${KIND[instance.targets[0]!.kind]}`;
  const it = many ? 'each of them' : 'it';
  const sections = [
    `A Python repository is in ${ctx.workdir}. Somewhere in it is ${what} whose docstring has been removed. ` +
      `Find ${it} from the description below and write a new docstring for ${it}.`,
    `## Description\n\n${instance.description}`,
    `## What is known\n\n${instance.targets
      .map((t, i) => (many ? `Target ${i + 1}:\n${known(t, instance.showName).join('\n')}` : known(t, instance.showName).join('\n')))
      .join('\n\n')}`,
    [
      '## How to work',
      '',
      `1. Explore: look at the layout of ${ctx.workdir} and search the code for what the description mentions.`,
      `2. Understand: read the candidates and what they do, their parameters, what they return and what calls them.`,
      `3. Recheck: compare your choice with every point of the description${instance.showName ? ' and the name' : ''} before you commit to it; ` +
        'a definition that matches only part of it is the wrong one.',
      `4. Write the docstring: put a triple-quoted docstring as the first statement of ${many ? 'each definition' : 'the definition'}, ` +
        'indented like its body, describing what it does, its parameters and its return value.',
      '5. Review: view the file again and make sure it is still valid Python.',
    ].join('\n'),
    '## The rule\n\n' +
      'Change nothing but docstrings and comments: do not edit, add, move or delete code, do not add other files, ' +
      `and do not document definitions other than the one${many ? 's' : ''} described. When you are done, call \`finish\`.`,
  ];
  return sections.join('\n\n');
}
