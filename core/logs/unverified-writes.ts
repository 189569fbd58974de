/**
 * The bytes a log writer wrote since it last checked that its file is still on disk. A file removed or replaced
 * under an open handle (its folder deleted or moved, a file put in the folder's way) takes writes without an error,
 * into a file no longer on disk; until a check says the file is fine, these bytes are kept (the newest `limit`
 * bytes) so they can be written again elsewhere. What no longer fits is counted: lost if the check then fails.
 */
export class UnverifiedWrites {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private overflow = 0;

  constructor(private readonly limit: number) {}

  get empty(): boolean {
    return this.bytes === 0 && this.overflow === 0;
  }

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > this.limit && this.chunks.length > 1) {
      const oldest = this.chunks.shift()!;
      this.bytes -= oldest.length;
      this.overflow += oldest.length;
    }
  }

  /** The file was fine: nothing to keep. */
  forget(): void {
    this.chunks = [];
    this.bytes = 0;
    this.overflow = 0;
  }

  /** The file was not on disk: the kept chunks (to write again), their size, and how many bytes could not be kept. */
  takeAll(): { chunks: Buffer[]; bytes: number; lost: number } {
    const taken = { chunks: this.chunks, bytes: this.bytes, lost: this.overflow };
    this.forget();
    return taken;
  }
}
