// Wills that outlive their node. A node writes the will of each client it accepts to a
// JetStream KV bucket before CONNACK, and removes it once the will is sent or no longer due.
// When a node dies (node-watch.ts), the one surviving node that reaps it sends the wills it
// left behind, after their delay, unless the client came back meanwhile (its new node
// removes the key when it claims the client) [MQTT-3.1.2-8] [MQTT-3.1.3-9].
import type { KV } from '@nats-io/kv';
import type { Logger } from '../broker/hooks.js';
import type { ClusterMessage, ClusterSink } from '../broker/ports.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { retrying } from './retry.js';
import { encodeToken, keyToken } from './subject.js';
import { listKeys } from './kv-keys.js';

interface StoredWill {
  /** Seconds: the smaller of Will Delay Interval and Session Expiry Interval. */
  delay: number;
  message: string;
}

export class ClusterWills {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly kv: KV,
    private readonly nodeName: string,
    private readonly log: Logger,
  ) {}

  private key(node: string, clientId: string): string {
    return `w.${encodeToken(node)}.${keyToken(clientId)}`;
  }

  keep(clientId: string, will: ClusterMessage, delay: number): Promise<void> {
    const stored: StoredWill = { delay, message: encodeEnvelope(will).toString('base64') };
    const key = this.key(this.nodeName, clientId);
    return retrying(() => this.kv.put(key, JSON.stringify(stored)), 10_000).then(() => {});
  }

  /** Sent, or not due any more. */
  drop(clientId: string, node = this.nodeName): void {
    this.kv.delete(this.key(node, clientId)).catch(() => {});
  }

  /** The node died and this node reaped it: send its clients' wills, each after its delay. */
  async sendOrphans(deadNode: string, sink: ClusterSink, skip: Set<string>): Promise<void> {
    for (const key of await listKeys(this.kv, `w.${encodeToken(deadNode)}.>`)) {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT') continue;
      const stored = entry.json<StoredWill>();
      const will = decodeEnvelope(Buffer.from(stored.message, 'base64'));
      if (will.origin !== undefined && skip.has(will.origin)) {
        this.kv.delete(key).catch(() => {});
        continue;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.sendIfStillDue(key, sink).catch((err) =>
          this.log.error({ err, key }, 'cluster: sending an orphaned will failed'),
        );
      }, stored.delay * 1000);
      this.timers.add(timer);
    }
  }

  private async sendIfStillDue(key: string, sink: ClusterSink): Promise<void> {
    const entry = await this.kv.get(key);
    if (entry === null || entry.operation !== 'PUT') return;
    // Whoever deletes the key first sends the will: never two nodes.
    await this.kv.delete(key, { previousSeq: entry.revision });
    const will = decodeEnvelope(Buffer.from(entry.json<StoredWill>().message, 'base64'));
    this.log.info(
      { clientId: will.origin, topic: will.topic },
      'cluster: will of a lost node sent',
    );
    sink.publishWill(will);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
