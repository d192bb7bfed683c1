/**
 * Deterministic Python source of any size for the verifiers' large-file tests: top-level
 * functions, decorated ones, classes with methods (docstrings on most), module-level statements,
 * and the constructs a lexer must not cut inside (triple-quoted strings holding `def` lines,
 * brackets across lines, continuations, f-strings with format specs, comments at both indents).
 */
export function largePython(minChars: number, { seed = 1, eol = '\n', prefix = 'p' }: { seed?: number; eol?: string; prefix?: string } = {}): string {
  let s = seed >>> 0;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const out: string[] = ['"""A generated module."""', 'import os', 'import functools', ''];
  let size = 0;
  const functions: string[] = [];
  for (let k = 0; size < minChars; k++) {
    const name = `${prefix}${k}`;
    const block: string[] = [];
    switch (rand(7)) {
      case 0:
        functions.push(name);
        block.push(`def ${name}(a, b=1):`, `    """Add ${name} things.`, '', 'def not_a_cut():', '    """', '    x = (a +', '         b)', '    return x * 2', '');
        break;
      case 1:
        block.push('@functools.lru_cache(maxsize=None)', '# a comment between decorator and def', `def ${name}(n):`, `    """Cached ${name}."""`, `    return f"{n:#x} {n!r:>10} {{literal}}"`, '');
        break;
      case 2:
        block.push(`class ${name.toUpperCase()}(object):`, `    """A class ${name}."""`, '', `    limit = ${k}`, '', '    def method(self, x):', `        """Method of ${name}."""`, '        return x + \\', '            self.limit', '', '    # trailing comment of the class', '');
        break;
      case 3:
        block.push(`${name.toUpperCase()}_TABLE = {`, `    'def': 1,`, `    "class": [${k}, ${k + 1}],`, '}', `TEXT_${k} = """`, 'def inside_a_string():', '    pass', '"""', '');
        break;
      case 4:
        block.push(`async def ${name}(session):`, `    '''Fetch ${name}.'''`, '    async with session as s:', '        return await s.get(  # open bracket', `            "/${name}")`, '');
        break;
      case 5:
        // Calls of functions defined above: dependencies for dep-search.
        block.push('# A comment block', '# above a function.', `def ${name}(*args, **kwargs):`, '    if args:', `        return ${functions.length ? `${functions[rand(functions.length)]}(args[0])` : 'args[0]'}`, '    else:', `        return ${functions.length ? `${functions[rand(functions.length)]}(1)` : 'kwargs.get("x")'}`, '');
        functions.push(name);
        break;
      default:
        block.push(`if os.name == 'nt':`, `    def ${name}():`, '        return 1', 'else:', `    def ${name}():`, '        """Other platforms."""', '        return 2', '');
    }
    const text = block.join('\n');
    out.push(text);
    size += text.length + 1;
  }
  return `${out.join('\n')}\n`.replace(/\n/g, eol);
}
