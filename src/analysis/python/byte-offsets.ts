const STEP = 4096;

/** UTF-8 length of text[from, to): a surrogate code unit counts 2, so a pair counts 4 even when split. */
function utf8Length(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

/** Maps UTF-16 offsets of a decoded text to UTF-8 byte offsets, in O(STEP) per lookup. */
export class ByteOffsets {
  private readonly ascii: boolean;
  private checkpoints: number[] | undefined;

  /** @param base bytes before the text in the file (a UTF-8 byte-order mark). */
  constructor(
    private readonly text: string,
    private readonly base = 0,
  ) {
    // eslint-disable-next-line no-control-regex
    this.ascii = /^[\x00-\x7f]*$/.test(text);
  }

  at(index: number): number {
    if (this.ascii) return this.base + index;
    if (!this.checkpoints) {
      const cps: number[] = [0];
      for (let i = STEP; i <= this.text.length; i += STEP) {
        cps.push((cps[cps.length - 1] ?? 0) + utf8Length(this.text, i - STEP, i));
      }
      this.checkpoints = cps;
    }
    const k = Math.floor(index / STEP);
    return this.base + (this.checkpoints[k] ?? 0) + utf8Length(this.text, k * STEP, index);
  }
}
