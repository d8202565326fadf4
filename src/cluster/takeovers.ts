// Sessions on their way to this node from a lost one: taken from the cluster's store by a
// CONNECT that resumes them, or by this node reaping the lost one. A message that the lost
// node never confirmed is redelivered to the sessions it held, wherever they are now; one
// that arrives while such a session is still on its way would find it nowhere. So a
// redelivery for a node waits until this node's takeovers from it are done.

/** Redeliveries held at most per node; beyond, they go at once rather than pile up. */
const MAX_WAITING = 10_000;

export class Takeovers {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  /** Runs a takeover from `node`; it ends a turn after `work` settles, once the caller has
   * adopted what it returned. */
  async from<T>(node: string, work: () => Promise<T>): Promise<T> {
    this.running.set(node, (this.running.get(node) ?? 0) + 1);
    try {
      return await work();
    } finally {
      setImmediate(() => this.end(node));
    }
  }

  private end(node: string): void {
    const count = this.running.get(node)! - 1;
    if (count > 0) {
      this.running.set(node, count);
      return;
    }
    this.running.delete(node);
    const waiting = this.waiting.get(node) ?? [];
    this.waiting.delete(node);
    for (const action of waiting) action();
  }

  /** Runs `action` once no takeover from `node` is running here. */
  after(node: string, action: () => void): void {
    const waiting = this.running.has(node) ? (this.waiting.get(node) ?? []) : undefined;
    if (waiting === undefined || waiting.length >= MAX_WAITING) {
      action();
      return;
    }
    waiting.push(action);
    this.waiting.set(node, waiting);
  }
}
