/** A ring buffer of the last N items: bounded memory for an unbounded stream of lines. */
export class Tail<T> {
  private readonly buffer: T[] = [];
  private start = 0;
  /** Items pushed so far, including those that fell out. */
  total = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.total++;
    if (this.buffer.length < this.capacity) {
      this.buffer.push(item);
      return;
    }
    this.buffer[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  get size(): number {
    return this.buffer.length;
  }

  /** The last `n` items (all by default), oldest first. */
  last(n = this.capacity): T[] {
    const count = Math.min(n, this.buffer.length);
    const out: T[] = [];
    for (let i = this.buffer.length - count; i < this.buffer.length; i++)
      out.push(this.buffer[(this.start + i) % this.buffer.length]!);
    return out;
  }
}
