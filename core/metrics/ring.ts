/** A fixed-capacity ring of the latest items: pushing past capacity overwrites the oldest. O(1) per push. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a whole number ≥ 1, not ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The newest item. */
  last(): T | undefined {
    return this.count ? this.items[(this.next - 1 + this.capacity) % this.capacity] : undefined;
  }

  /** The latest `n` items (all when omitted), oldest first. */
  toArray(n = this.count): T[] {
    const take = Math.max(0, Math.min(n, this.count));
    const out: T[] = new Array<T>(take);
    const start = (this.next - take + this.capacity) % this.capacity;
    for (let i = 0; i < take; i++) out[i] = this.items[(start + i) % this.capacity]!;
    return out;
  }
}
