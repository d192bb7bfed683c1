import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { leakSearchText } from '../../../src/tasks/leak-text.js';

describe('leakSearchText', () => {
  it('collapses a text file, inflates a gzip archive (a .tar.gz holds its files as they are), skips other binaries', () => {
    expect(leakSearchText(Buffer.from('def f(x):\n    return   x + 1\n'))).toBe(leakSearchText(Buffer.from('def f(x): return x + 1')));
    const tarLike = Buffer.concat([Buffer.from('pkg/mod.py\0\0\0\0'), Buffer.from('def f(x):\n    return x + 1\n'), Buffer.alloc(64)]);
    expect(leakSearchText(gzipSync(tarLike))).toContain(leakSearchText(Buffer.from('return x + 1')));
    expect(leakSearchText(Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 1, 2]))).toBeNull();
    expect(leakSearchText(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toBeNull(); // a broken gzip stream
  });
});
