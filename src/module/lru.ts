// A map bounded to its most recently used entries: the module store, the repository memo and the verified signatures.

// Why a hand-written LRU: a Map keeps insertion order, so re-inserting on use is the whole algorithm.
export class Lru<V> {
  private readonly map = new Map<string, V>();

  constructor(
    private readonly max: number,
    private readonly evicted: (key: string) => void = () => undefined,
  ) {}

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) this.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value!;
      this.map.delete(oldest);
      this.evicted(oldest);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }
}
