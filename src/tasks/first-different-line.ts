/**
 * For reports only: the first line of `after` whose code differs from `before`, skipping blank and
 * comment-only lines (1-based). When none differs: the last line of `after`, or 0 with `zeroWhenSame`.
 */
export function firstDifferentLine(before: string, after: string, zeroWhenSame = false): number {
  const code = (text: string) =>
    text
      .split('\n')
      .map((l, i) => ({ n: i + 1, l: l.trimEnd() }))
      .filter((x) => x.l.trim() !== '' && !x.l.trim().startsWith('#'));
  const b = code(before);
  const a = code(after);
  for (let i = 0; i < a.length; i++) if (a[i]!.l !== b[i]?.l) return a[i]!.n;
  if (b.length > a.length) return a[a.length - 1]?.n ?? 1;
  return zeroWhenSame ? 0 : (a[a.length - 1]?.n ?? 1);
}
