// A map that keeps its first entry in two fields and makes a Map only for a second one. Most
// sessions subscribe to one filter and most trie nodes hold one subscriber: an empty Map with
// its hash table costs about 250 bytes of heap, this about 40 (a million connections hold two
// each: about 400 MiB less).
export class SmallMap<K, V> {
  private key: K | undefined = undefined;
  private value: V | undefined = undefined;
  private one = false;
  private map: Map<K, V> | undefined = undefined;

  get size(): number {
    if (this.map !== undefined) return this.map.size;
    return this.one ? 1 : 0;
  }

  get(key: K): V | undefined {
    if (this.map !== undefined) return this.map.get(key);
    return this.one && this.key === key ? this.value : undefined;
  }

  has(key: K): boolean {
    if (this.map !== undefined) return this.map.has(key);
    return this.one && this.key === key;
  }

  set(key: K, value: V): this {
    if (this.map !== undefined) this.map.set(key, value);
    else if (!this.one || this.key === key) {
      this.key = key;
      this.value = value;
      this.one = true;
    } else {
      this.map = new Map([
        [this.key as K, this.value as V],
        [key, value],
      ]);
      this.forgetOne();
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.map !== undefined) return this.map.delete(key);
    if (!this.one || this.key !== key) return false;
    this.forgetOne();
    return true;
  }

  clear(): void {
    this.map = undefined;
    this.forgetOne();
  }

  values(): IterableIterator<V> {
    if (this.map !== undefined) return this.map.values();
    return (this.one ? [this.value as V] : []).values();
  }

  keys(): IterableIterator<K> {
    if (this.map !== undefined) return this.map.keys();
    return (this.one ? [this.key as K] : []).values();
  }

  entries(): IterableIterator<[K, V]> {
    if (this.map !== undefined) return this.map.entries();
    return (this.one ? [[this.key as K, this.value as V] as [K, V]] : []).values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  private forgetOne(): void {
    this.key = undefined;
    this.value = undefined;
    this.one = false;
  }
}
