/**
 * A bounded list that drops its oldest items: the log view keeps the latest N lines whatever the rate, so memory
 * stays flat under 1 000 lines per second. Items live in a circular array; `at(i)` reads without copying.
 */
export class Ring<T> {
  private items: (T | undefined)[];
  private start = 0;
  private count = 0;
  /** Items dropped from the front since creation (lets views keep their position). */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
  }

  pushAll(items: readonly T[]): void {
    for (const item of items) this.push(item);
  }

  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.start + index) % this.capacity];
  }

  toArray(): T[] {
    const out: T[] = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.start + i) % this.capacity]!;
    return out;
  }

  clear(): void {
    this.items = new Array<T | undefined>(this.capacity);
    this.start = 0;
    this.count = 0;
  }
}
