import { describe, expect, it } from 'vitest';
import { checkGrowth } from '../../../src/workspace/sandbox-workspace.js';

const files = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

describe('checkGrowth: how much a file may grow over the workspace given', () => {
  it('passes growth up to the limit, a shrunk file and a new small file', () => {
    expect(() => checkGrowth(files({ 'a.py': 'x' }), files({ 'a.py': 'x'.repeat(11), 'b.py': 'y'.repeat(10) }), { maxGrowthBytes: 10 })).not.toThrow();
    expect(() => checkGrowth(files({ 'a.py': 'x'.repeat(50) }), files({ 'a.py': '' }), { maxGrowthBytes: 10 })).not.toThrow();
  });

  it('names a grown file and a new file for what each is', () => {
    expect(() => checkGrowth(files({ 'a.py': 'x' }), files({ 'a.py': 'x'.repeat(12) }), { maxGrowthBytes: 10 })).toThrow(
      expect.objectContaining({ reason: 'grew', message: 'a.py grew by 11 bytes, more than the 10 a file may grow by' }),
    );
    expect(() => checkGrowth(files({}), files({ 'big.bin': 'z'.repeat(11) }), { maxGrowthBytes: 10 })).toThrow(
      expect.objectContaining({ reason: 'grew', message: 'big.bin is a new file of 11 bytes, more than the 10 a new file may hold' }),
    );
  });
});
