import { describe, expect, it } from 'vitest';
import { CappedOutput, capText } from '../../../src/sandbox/capped-output.js';

describe('CappedOutput', () => {
  it('keeps everything under the cap', () => {
    const o = new CappedOutput(5, 5);
    o.append('abc');
    o.append('defgh');
    expect(o.toString()).toBe('abcdefgh');
    expect(o.truncated).toBe(false);
  });

  it('keeps head and tail of a flood and says how much was cut', () => {
    const o = new CappedOutput(4, 4);
    for (let i = 0; i < 1000; i++) o.append('0123456789');
    expect(o.truncated).toBe(true);
    expect(o.toString()).toBe('0123\n[... 9992 characters of output omitted ...]\n6789');
  });

  it('capText leaves short text alone and cuts long text to about the limit', () => {
    expect(capText('short', 10)).toEqual({ text: 'short', truncated: false });
    const r = capText('x'.repeat(100), 20);
    expect(r.truncated).toBe(true);
    expect(r.text).toMatch(/^x{10}\n\[\.\.\. 80 characters of output omitted \.\.\.\]\nx{10}$/);
  });
});
