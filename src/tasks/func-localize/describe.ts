import type { FuncLocalizeTarget } from './schema.js';

/** Ask an LLM (or anything) to describe a target; the default derives the text from the docstring. */
export type DescribeHook = (input: {
  target: FuncLocalizeTarget;
  /** The docstring's text, cleaned like `inspect.cleandoc`. */
  docstring: string;
  /** Whether the description must avoid naming the target. */
  showName: boolean;
}) => Promise<string>;

const MAX_CHARS = 800;

/**
 * The offline description: the docstring's leading paragraphs (up to about 800 characters), with
 * the target's own name, qualified name and class name masked out when the name is hidden.
 */
export function describeFromDocstring(target: FuncLocalizeTarget, docstring: string, showName: boolean): string {
  const paragraphs = docstring.split(/\n\s*\n/);
  let text = '';
  for (const p of paragraphs) {
    if (text && text.length + p.length > MAX_CHARS) break;
    text = text ? `${text}\n\n${p}` : p;
  }
  if (text.length > MAX_CHARS) text = `${text.slice(0, MAX_CHARS).replace(/\s+\S*$/, '')} ...`;
  return showName ? text : maskNames(text, target);
}

/** Replace the target's names with neutral words, longest first, as whole words. */
export function maskNames(text: string, target: Pick<FuncLocalizeTarget, 'name' | 'qualname' | 'kind'>): string {
  const self = target.kind === 'class' ? 'this class' : target.kind === 'method' ? 'this method' : 'this function';
  const parts = target.qualname.split('.').filter((p) => p !== '<locals>');
  const replacements: Array<[string, string]> = [[target.qualname, self]];
  if (parts.length > 1) replacements.push([parts.slice(-2).join('.'), self]);
  replacements.push([target.name, self]);
  for (const owner of parts.slice(0, -1)) replacements.push([owner, target.kind === 'method' ? 'its class' : 'the enclosing definition']);
  let out = text;
  for (const [name, word] of replacements) {
    if (name.length < 2) continue;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w.])${escaped}(?!\\w)`, 'g'), word);
  }
  return out;
}
