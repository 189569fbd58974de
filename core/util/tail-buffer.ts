/** Keeps the last `limit` bytes written to it, for "last stderr lines" in reports and error pages. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    if (chunk.length >= this.limit) {
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.limit))];
      this.size = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.limit) this.size -= this.chunks.shift()!.length;
  }

  /** The retained bytes, at most `limit` of them (a first partial line is kept: it is still the app's output). */
  bytes(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    return all.length > this.limit ? all.subarray(all.length - this.limit) : all;
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  /** The last `count` non-empty lines. */
  lastLines(count: number): string[] {
    const lines = this.text().split(/\r?\n/).filter((l) => l.trim() !== '');
    return count > 0 ? lines.slice(-count) : [];
  }

  get length(): number {
    return Math.min(this.size, this.limit);
  }
}
