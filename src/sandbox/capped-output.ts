/**
 * Text that keeps its first `headChars` and last `tailChars` characters and counts what fell in
 * between, so a flood of output costs bounded memory and constant work per chunk.
 */
export class CappedOutput {
  private head = '';
  private tail = '';
  private dropped = 0;

  constructor(
    private readonly headChars: number,
    private readonly tailChars: number,
  ) {}

  append(text: string): void {
    if (text.length === 0) return;
    if (this.head.length < this.headChars) {
      const room = this.headChars - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
      if (text.length === 0) return;
    }
    this.tail += text;
    // Trim only when the tail is twice its cap, so trimming stays amortised O(1) per character.
    if (this.tail.length > 2 * this.tailChars) {
      const cut = this.tail.length - this.tailChars;
      this.dropped += cut;
      this.tail = this.tail.slice(cut);
    }
  }

  get length(): number {
    return this.head.length + this.tail.length + this.dropped;
  }

  get truncated(): boolean {
    return this.dropped > 0 || this.tail.length > this.tailChars;
  }

  toString(): string {
    let tail = this.tail;
    let dropped = this.dropped;
    if (tail.length > this.tailChars) {
      dropped += tail.length - this.tailChars;
      tail = tail.slice(tail.length - this.tailChars);
    }
    if (dropped === 0) return this.head + tail;
    return `${this.head}\n[... ${dropped} characters of output omitted ...]\n${tail}`;
  }
}

/** Cap a finished string the same way: head and tail kept, a notice of what was cut. */
export function capText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  const half = Math.floor(maxChars / 2);
  const out = new CappedOutput(half, maxChars - half);
  out.append(text);
  return { text: out.toString(), truncated: true };
}
