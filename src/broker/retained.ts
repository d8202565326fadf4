// Retained messages (MQTT 5.0 section 3.3.1.3): the last retained message per topic, found by
// walking a topic-level tree with the subscription's filter, not by scanning every topic.
import type { MessageRecord, RetainedStore } from './ports.js';

interface Node {
  children: Map<string, Node> | undefined;
  message: MessageRecord | undefined;
}

const newNode = (): Node => ({ children: undefined, message: undefined });

export class RetainedMessages {
  private readonly root = newNode();
  private count = 0;
  /** Broker-made ($SYS) messages: counted in `size`, not against the clients' limit. */
  private volatileCount = 0;

  constructor(
    private readonly store: RetainedStore,
    private readonly limit: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Loads what the store kept; called once before listeners open. */
  async load(now: number): Promise<void> {
    for (const message of await this.store.load()) {
      if (message.expiresAt !== undefined && message.expiresAt <= now)
        this.store.delete(message.topic);
      else this.setInMemory(message);
    }
    this.store.watch?.({
      set: (message) => this.setInMemory(message, false, true),
      delete: (topic) => this.deleteInMemory(topic),
    });
  }

  /**
   * Stores or, for an empty payload, deletes the topic's retained message [MQTT-3.3.1-6]
   * [MQTT-3.3.1-7]. Returns false when the limit refuses a new topic.
   */
  set(message: MessageRecord): boolean {
    if (message.payload.length === 0) {
      if (this.deleteInMemory(message.topic)) this.store.delete(message.topic);
      return true;
    }
    const copy: MessageRecord = { ...message, payload: Buffer.from(message.payload), retain: true };
    if (!this.setInMemory(copy)) return false;
    this.store.save(copy);
    return true;
  }

  /** Keeps a retained message in memory only (broker-made $SYS figures). */
  setVolatile(message: MessageRecord): void {
    this.setInMemory(message, true);
  }

  /** Whether a retained message for this topic would be kept (its topic exists, or there is room). */
  accepts(topic: string): boolean {
    return this.count - this.volatileCount < this.limit || this.find(topic)?.message !== undefined;
  }

  get(topic: string): MessageRecord | undefined {
    return this.find(topic)?.message;
  }

  delete(topic: string): boolean {
    if (!this.deleteInMemory(topic)) return false;
    this.store.delete(topic);
    return true;
  }

  /** Retained messages matching a filter, skipping expired ones [MQTT-3.3.2-5]. */
  match(filter: string, now: number): MessageRecord[] {
    const out: MessageRecord[] = [];
    this.walk(this.root, filter.split('/'), 0, out, true);
    return out.filter((m) => m.expiresAt === undefined || m.expiresAt > now);
  }

  *entries(): Iterable<MessageRecord> {
    const stack: Node[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.message) yield node.message;
      if (node.children) stack.push(...node.children.values());
    }
  }

  private walk(
    node: Node,
    levels: string[],
    depth: number,
    out: MessageRecord[],
    atRoot: boolean,
  ): void {
    if (depth === levels.length) {
      if (node.message) out.push(node.message);
      return;
    }
    const level = levels[depth]!;
    if (level === '#') {
      // '#' matches the parent level too [MQTT-4.7.1-2].
      if (node.message && !atRoot) out.push(node.message);
      this.collect(node, out, atRoot);
      return;
    }
    if (node.children === undefined) return;
    if (level === '+') {
      for (const [name, child] of node.children) {
        // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with '$'.
        if (atRoot && name.startsWith('$')) continue;
        this.walk(child, levels, depth + 1, out, false);
      }
      return;
    }
    const child = node.children.get(level);
    if (child) this.walk(child, levels, depth + 1, out, false);
  }

  private collect(node: Node, out: MessageRecord[], atRoot: boolean): void {
    if (node.children === undefined) return;
    for (const [name, child] of node.children) {
      if (atRoot && name.startsWith('$')) continue;
      if (child.message) out.push(child.message);
      this.collect(child, out, false);
    }
  }

  private find(topic: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.children?.get(level);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** `shared`: set on another node, which already applied the limit. */
  private setInMemory(message: MessageRecord, volatile = false, shared = false): boolean {
    let node = this.root;
    const levels = message.topic.split('/');
    const existing = this.find(message.topic);
    const full = this.count - this.volatileCount >= this.limit;
    if (!volatile && !shared && existing?.message === undefined && full) return false;
    for (const level of levels) {
      node.children ??= new Map();
      let child = node.children.get(level);
      if (child === undefined) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
    }
    if (node.message === undefined) {
      this.count++;
      if (volatile) this.volatileCount++;
    }
    node.message = message;
    return true;
  }

  private deleteInMemory(topic: string): boolean {
    const path: Node[] = [this.root];
    const levels = topic.split('/');
    for (const level of levels) {
      const next = path[path.length - 1]!.children?.get(level);
      if (next === undefined) return false;
      path.push(next);
    }
    const leaf = path[path.length - 1]!;
    if (leaf.message === undefined) return false;
    leaf.message = undefined;
    this.count--;
    // Prune empty branches so deleted topics cost no memory.
    for (let i = levels.length; i > 0; i--) {
      const node = path[i]!;
      if (node.message !== undefined || (node.children && node.children.size > 0)) break;
      path[i - 1]!.children!.delete(levels[i - 1]!);
    }
    return true;
  }
}
