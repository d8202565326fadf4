// Redeliveries (durable-acks.ts) go through a JetStream stream, not plain NATS: a node that
// was down when one went out (killed, and restarting with the sessions it stored) reads it
// when it starts, and the publisher's acknowledgement waits until it is in the stream
// (replicated). Every node follows the stream from its start; it keeps a redelivery only
// as long as a node keeps it in memory for the sessions that arrive later (redelivered.ts).
import {
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { REDELIVERY_WINDOW_MS } from '../broker/redelivered.js';
import { decodeToken, encodeToken } from './subject.js';

/** Bytes kept at most: a redelivery is a batch of messages, which a burst may make large. */
const MAX_BYTES = 256 * 1024 * 1024;

export class RedeliveryStream {
  private consumer: ConsumerMessages | undefined;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly name: string,
    private readonly prefix: string,
  ) {}

  /** The stream `<prefix>_redeliveries` of subjects `<prefix>.r.<node>`, made if missing. */
  static async open(
    nc: NatsConnection,
    prefix: string,
    replicas: number,
  ): Promise<RedeliveryStream> {
    const jsm = await jetstreamManager(nc);
    const name = `${prefix}_redeliveries`;
    const subjects = `${prefix}.r.*`;
    await jsm.streams.info(name).catch(async (err: Error) => {
      if (!/stream not found/.test(err.message)) throw err;
      await jsm.streams.add({
        name,
        subjects: [subjects],
        num_replicas: replicas,
        storage: StorageType.File,
        max_age: REDELIVERY_WINDOW_MS * 1_000_000,
        max_bytes: MAX_BYTES,
        discard: DiscardPolicy.Old,
      });
    });
    return new RedeliveryStream(jetstream(nc), name, prefix);
  }

  /** Resolves once the stream holds the batch for the sessions `node` held. */
  async publish(node: string, batch: Uint8Array): Promise<void> {
    await this.js.publish(`${this.prefix}.r.${encodeToken(node)}`, batch);
  }

  /**
   * Every redelivery in the stream, then each new one, to `received`: the node it is for, the
   * batch, and when it went out (ms since the epoch, the stream's clock).
   */
  async follow(received: (node: string, batch: Uint8Array, sentAt: number) => void): Promise<void> {
    // No filter: the stream holds redeliveries only (and nats-server 2.9 takes no list).
    const consumer = await this.js.consumers.get(this.name, { deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume();
    this.consumer = messages;
    (async () => {
      for await (const msg of messages) {
        const node = decodeToken(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
        received(node, msg.data, Math.floor(Number(msg.info.timestampNanos) / 1e6));
      }
    })().catch(() => {});
  }

  stop(): void {
    this.consumer?.close().catch(() => {});
  }
}
