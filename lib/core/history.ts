/** A fixed-size ring of the most recent items, oldest first on read. */
export class History<T> {
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  /** @param capacity how many items to keep; 0 keeps none */
  constructor(readonly capacity: number) {
    this.#items = new Array(capacity);
  }

  /** Adds an item, evicting the oldest one when full. */
  push(item: T): void {
    if (this.capacity === 0) return;
    const end = (this.#start + this.#size) % this.capacity;
    this.#items[end] = item;
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** The number of items held. */
  get size(): number {
    return this.#size;
  }

  /** The last `count` items (all by default), oldest first. */
  last(count = this.#size): T[] {
    const n = Math.max(0, Math.min(count, this.#size));
    const out: T[] = [];
    for (let i = this.#size - n; i < this.#size; i++) {
      out.push(this.#items[(this.#start + i) % this.capacity] as T);
    }
    return out;
  }
}
