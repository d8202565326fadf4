import { Char } from './chars.js';
import { SmallMap } from './small-map.js';

const EMPTY: readonly never[] = Object.freeze([]);

/** A cache of 4,096 results covers the hot topics of a typical broker at little memory. */
const DEFAULT_CACHE_SIZE = 4096;
/** Longer topics are matched but not cached, so the cache's keys stay within ~4 MiB. */
const MAX_CACHED_TOPIC_LENGTH = 1024;

/** One topic level of the trie. Wildcards get their own slots instead of map entries. */
class TrieNode<V> {
  literal: Map<string, TrieNode<V>> | undefined = undefined;
  plus: TrieNode<V> | undefined = undefined;
  hash: TrieNode<V> | undefined = undefined;
  /** Entries whose filter ends at this node, by key; `filter` is that filter. */
  values: SmallMap<string, V> | undefined = undefined;
  filter = '';
  /**
   * `values` as an array, built on first match after a change and then shared with match()
   * callers; it is replaced, never mutated, so an array already handed out stays valid.
   */
  list: readonly V[] | undefined = EMPTY;

  valueList(): readonly V[] {
    if (this.list === undefined) this.list = this.values ? Array.from(this.values.values()) : EMPTY;
    return this.list;
  }

  isEmpty(): boolean {
    return (
      (this.values === undefined || this.values.size === 0) &&
      (this.literal === undefined || this.literal.size === 0) &&
      this.plus === undefined &&
      this.hash === undefined
    );
  }
}

/** Which slot of its parent a filter level occupies. '#' is a wildcard only as the last level. */
const slotOf = (levels: readonly string[], i: number): 'plus' | 'hash' | 'literal' =>
  levels[i] === '+' ? 'plus' : levels[i] === '#' && i === levels.length - 1 ? 'hash' : 'literal';

function child<V>(
  node: TrieNode<V>,
  levels: readonly string[],
  i: number,
): TrieNode<V> | undefined {
  const slot = slotOf(levels, i);
  return slot === 'literal' ? node.literal?.get(levels[i]!) : node[slot];
}

function childOrNew<V>(node: TrieNode<V>, levels: readonly string[], i: number): TrieNode<V> {
  const existing = child(node, levels, i);
  if (existing !== undefined) return existing;
  const created = new TrieNode<V>();
  const slot = slotOf(levels, i);
  if (slot !== 'literal') node[slot] = created;
  else (node.literal ??= new Map()).set(levels[i]!, created);
  return created;
}

function detach<V>(node: TrieNode<V>, levels: readonly string[], i: number): void {
  const slot = slotOf(levels, i);
  if (slot !== 'literal') node[slot] = undefined;
  else node.literal?.delete(levels[i]!);
}

export interface SubscriptionIndexOptions {
  /** Maximum number of cached match results; 0 disables the cache. Default 4096. */
  cacheSize?: number;
}

/**
 * Subscription index: a trie of topic levels with dedicated slots for '+' and '#' (the shape
 * of nats-server's sublist). Stores one value per (filter, key) and answers match(topic)
 * without delivering anything.
 */
export class SubscriptionIndex<V> {
  private readonly root = new TrieNode<V>();
  private count = 0;
  private readonly cache = new Map<string, readonly V[]>();
  private readonly cacheSize: number;
  // Scratch arrays reused by match(), which is synchronous and so never re-entered.
  private frontier: TrieNode<V>[] = [];
  private nextFrontier: TrieNode<V>[] = [];
  private readonly lists: (readonly V[])[] = [];

  constructor(options: SubscriptionIndexOptions = {}) {
    this.cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  }

  /** Number of (filter, key) entries. */
  get size(): number {
    return this.count;
  }

  /** Number of topics whose match result is cached (at most the cacheSize option). */
  get cachedTopics(): number {
    return this.cache.size;
  }

  /** Adds or replaces the entry stored under (filter, key). Returns true when it was new. */
  add(filter: string, key: string, value: V): boolean {
    const levels = filter.split('/');
    let node = this.root;
    for (let i = 0; i < levels.length; i++) node = childOrNew(node, levels, i);
    const values = (node.values ??= new SmallMap());
    const isNew = !values.has(key);
    values.set(key, value);
    node.filter = filter;
    node.list = undefined;
    if (isNew) this.count++;
    this.invalidate();
    return isNew;
  }

  /** Removes (filter, key); returns the removed value or undefined. Prunes empty nodes. */
  remove(filter: string, key: string): V | undefined {
    const levels = filter.split('/');
    const path: TrieNode<V>[] = [this.root];
    let node: TrieNode<V> | undefined = this.root;
    for (let i = 0; i < levels.length && node !== undefined; i++) {
      node = child(node, levels, i);
      if (node !== undefined) path.push(node);
    }
    const value = node?.values?.get(key);
    if (node === undefined || value === undefined || !node.values!.delete(key)) return undefined;
    node.list = undefined;
    this.count--;
    this.invalidate();
    // path[i + 1] hangs under path[i] by levels[i]; drop empty nodes bottom-up.
    for (let i = levels.length - 1; i >= 0 && path[i + 1]!.isEmpty(); i--) {
      detach(path[i]!, levels, i);
    }
    return value;
  }

  /** The value stored under (filter, key), if any. */
  get(filter: string, key: string): V | undefined {
    const levels = filter.split('/');
    let node: TrieNode<V> | undefined = this.root;
    for (let i = 0; i < levels.length && node !== undefined; i++) node = child(node, levels, i);
    return node?.values?.get(key);
  }

  /**
   * Every value whose filter matches `topic`, each (filter, key) once. The work is bounded by
   * the topic's depth times the matching branches, not by the number of subscriptions. The
   * array may be cached and shared: callers must not mutate it.
   */
  match(topic: string): readonly V[] {
    const cached = this.cache.get(topic);
    if (cached !== undefined) return cached;
    const result = this.collect(topic);
    if (this.cacheSize > 0 && topic.length <= MAX_CACHED_TOPIC_LENGTH) {
      // Evict the oldest entry: Map keeps insertion order.
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(topic, result);
    }
    return result;
  }

  /** Every entry, depth first, for listing. */
  *entries(): Generator<{ filter: string; key: string; value: V }> {
    const stack: TrieNode<V>[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.values) {
        for (const [key, value] of node.values) yield { filter: node.filter, key, value };
      }
      if (node.literal) stack.push(...node.literal.values());
      if (node.plus) stack.push(node.plus);
      if (node.hash) stack.push(node.hash);
    }
  }

  /** Removes every entry. */
  clear(): void {
    const root = this.root;
    root.literal = root.plus = root.hash = root.values = undefined;
    root.list = EMPTY;
    this.count = 0;
    this.invalidate();
  }

  private invalidate(): void {
    if (this.cache.size > 0) this.cache.clear();
  }

  /** Walks the trie one topic level at a time, keeping the frontier of nodes still matching. */
  private collect(topic: string): readonly V[] {
    const levels = topic.split('/');
    const lists = this.lists;
    let current = this.frontier;
    let next = this.nextFrontier;
    current.length = 0;
    current.push(this.root);
    // [MQTT-4.7.2-1]: root-level wildcards never match a topic starting with '$'.
    const rootWildcards = topic.charCodeAt(0) !== Char.Dollar;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      const wildcards = i > 0 || rootWildcards;
      next.length = 0;
      for (let n = 0; n < current.length; n++) {
        const node = current[n]!;
        // "x/#" matches every topic below x: here at least one more level [MQTT-4.7.1-2].
        if (wildcards && node.hash !== undefined) lists.push(node.hash.valueList());
        const literal = node.literal?.get(level);
        if (literal !== undefined) next.push(literal);
        if (wildcards && node.plus !== undefined) next.push(node.plus);
      }
      const done = current;
      current = next;
      next = done;
    }
    for (let n = 0; n < current.length; n++) {
      const node = current[n]!;
      lists.push(node.valueList());
      // "x/#" also matches x itself, its parent level [MQTT-4.7.1-2].
      if (node.hash !== undefined) lists.push(node.hash.valueList());
    }
    this.frontier = current;
    this.nextFrontier = next;
    return concatenate(lists);
  }
}

/** Joins the value lists and empties `lists`; one non-empty list is returned as is. */
function concatenate<V>(lists: (readonly V[])[]): readonly V[] {
  let only: readonly V[] = EMPTY;
  let nonEmpty = 0;
  for (let i = 0; i < lists.length; i++) {
    if (lists[i]!.length > 0) {
      only = lists[i]!;
      nonEmpty++;
    }
  }
  if (nonEmpty <= 1) {
    lists.length = 0;
    return only;
  }
  const result: V[] = [];
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i]!;
    for (let j = 0; j < list.length; j++) result.push(list[j]!);
  }
  lists.length = 0;
  return result;
}
