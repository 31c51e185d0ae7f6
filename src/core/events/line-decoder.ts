/**
 * Splits a byte stream into text lines. A chunk may end mid-line or mid-character: the decoder
 * keeps the remainder for the next chunk. Lines longer than `maxLine` are cut, and reported, so
 * a runaway writer cannot grow memory without bound.
 */

/** One event line is a few hundred bytes; a megabyte is a broken writer. */
export const MAX_LINE_BYTES = 1 << 20;

export class LineDecoder {
  private readonly text = new TextDecoder("utf-8");
  private pending = "";
  private skipping = false;

  constructor(private readonly maxLine = MAX_LINE_BYTES) {}

  /** Lines completed by this chunk (without their newline); `null` marks a line that was too long. */
  push(chunk: Uint8Array): Array<string | null> {
    return this.split(this.text.decode(chunk, { stream: true }));
  }

  /** The last line, when the stream ended without a newline. */
  end(): Array<string | null> {
    const out = this.split(this.text.decode());
    if (this.pending.length && !this.skipping) out.push(this.pending);
    this.pending = "";
    return out;
  }

  private split(text: string): Array<string | null> {
    const out: Array<string | null> = [];
    let start = 0;
    for (let nl = text.indexOf("\n", start); nl >= 0; nl = text.indexOf("\n", start)) {
      const line = this.pending + text.slice(start, nl);
      out.push(this.skipping ? null : stripCr(line));
      this.pending = "";
      this.skipping = false;
      start = nl + 1;
    }
    if (!this.skipping) {
      this.pending += text.slice(start);
      if (this.pending.length > this.maxLine) {
        this.pending = "";
        this.skipping = true;
      }
    }
    return out;
  }
}

const stripCr = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);
