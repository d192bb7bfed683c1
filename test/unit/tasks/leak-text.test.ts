import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { leakSearchText } from '../../../src/tasks/leak-text.js';

const code = 'def f(x):\n    return x + 1\n';
const needle = leakSearchText(Buffer.from('return x + 1'));

describe('leakSearchText', () => {
  it('collapses whitespace like answers', () => {
    expect(leakSearchText(Buffer.from('def f(x):\n    return   x + 1\n'))).toBe(leakSearchText(Buffer.from('def f(x): return x + 1')));
  });

  it('finds code inside a plain tar, a .tar.gz and a wheel (zip), not inside an unknown compression', () => {
    const tar = Buffer.concat([Buffer.from('pkg/mod.py'), Buffer.alloc(247), Buffer.from('ustar\0'), Buffer.alloc(249), Buffer.from(code), Buffer.alloc(512)]);
    expect(leakSearchText(tar)).toContain(needle);
    expect(leakSearchText(gzipSync(tar))).toContain(needle);
    expect(leakSearchText(Buffer.from(zipSync({ 'pkg/mod.py': Buffer.from(code), 'pkg-1.0.dist-info/RECORD': Buffer.from('x') })))).toContain(needle);
    expect(leakSearchText(Buffer.from([0x42, 0x5a, 0x68, 0x39, 1, 2, 3]))).not.toContain(needle);
  });

  it('a broken archive is searched as stored, never thrown', () => {
    expect(() => leakSearchText(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).not.toThrow();
    expect(() => leakSearchText(Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 1, 2]))).not.toThrow();
  });
});
