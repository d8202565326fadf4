// The NATS ClusterBus: messages cross between nodes as core NATS messages on subjects made
// from their topics (subject.ts), so NATS' own interest graph sends each message only to the
// nodes that subscribed to it. Shared subscriptions are NATS queue groups: one member node
// per message in the whole cluster. Client ownership, sessions, wills, retained messages and
// the nodes themselves live in JetStream KV buckets (claims.ts, session-store.ts, wills.ts,
// retained-kv.ts, node-watch.ts); acknowledgements that wait for other nodes, in
// durable-acks.ts.
import { randomInt } from 'node:crypto';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../broker/hooks.js';
import type {
  Ban,
  BanKind,
  ClusterBus,
  ClusterMessage,
  ClusterNodeState,
  ClusterSink,
} from '../broker/ports.js';
import { closeWithin, connectionOptions } from './connection.js';
import { Interests } from './interests.js';
import { type Batch, decodeBatch, encodeBatch, type Stamp } from './envelope.js';
import { PendingAcks } from './durable-acks.js';
import { Outbox } from './outbox.js';
import { reapNode } from './reap.js';
import type { ClusterOptions } from './options.js';
import { type ClusterParts, nodeSubject, openParts } from './nats-parts.js';
import type { KvRetainedStore } from './retained-kv.js';
import type { KvSessionStore } from './session-store.js';
import { decodeToken, encodeToken, interestSubjects, longChannel } from './subject.js';
import { topicMatches } from '../topic/index.js';

export class NatsClusterBus implements ClusterBus {
  readonly nodeName: string;
  private readonly stamp: Stamp = { incarnation: randomInt(2 ** 32), seq: 0 };
  /** Highest batch number seen per sending incarnation: a node subscribed with overlapping
   * filters gets one NATS copy per subscription, one after the other, and must route once. */
  private readonly lastSeen = new Map<number, number>();
  /** Plain subscriptions, on the echo-free connection. */
  private readonly interests: Interests;
  /** Shared groups' queue subscriptions, on the other connection. */
  private readonly shared: Interests;
  private sink: ClusterSink | undefined;
  private readonly outbox: Outbox;
  /** This node's name as a subject token (acks and durable interest name nodes so). */
  private readonly token: string;
  private readonly acks: PendingAcks;

  linked = true;
  /** Set by the admin layer: this node's figures, shared with the others in heartbeats. */
  figures: () => Record<string, number> = () => ({});

  private constructor(
    private readonly options: ClusterOptions,
    /** Publishes and plain subscriptions, with echo off: a node never hears itself. */
    private readonly nc: NatsConnection,
    /** Queue subscriptions of shared groups: these must hear this node's own messages too. */
    private readonly queues: NatsConnection,
    private readonly parts: ClusterParts,
    private readonly log: Logger,
  ) {
    this.nodeName = options.nodeName;
    this.token = encodeToken(options.nodeName);
    this.interests = new Interests(nc);
    this.shared = new Interests(queues);
    this.acks = new PendingAcks(
      options.ackTimeoutMs,
      (token) => {
        const node = parts.watch.nodes().find((n) => encodeToken(n.name) === token);
        return node === undefined ? 'gone' : node.state === 'up' ? 'up' : 'silent';
      },
      (tokens, messages) => this.redeliver(tokens, messages),
    );
    this.outbox = new Outbox(
      nc,
      options.prefix,
      nodeSubject(options, options.nodeName, 'ack'),
      this.stamp,
      parts.durable,
      this.acks,
      this.maxMessageBytes,
      log,
    );
  }

  /**
   * The largest MQTT packet the cluster can carry: NATS' maximum payload, less room for the
   * envelope (a client id of up to 64 KiB) and the batch; the broker takes it as its maximum.
   */
  get maxMessageBytes(): number {
    return (this.nc.info?.max_payload ?? 1024 * 1024) - 70 * 1024;
  }

  get retainedStore(): KvRetainedStore {
    return this.parts.retained;
  }

  /** The cluster's session store, when sessions live in the cluster (options.sessions). */
  get sessionStore(): KvSessionStore | undefined {
    return this.options.sessions === 'cluster' ? this.parts.sessions : undefined;
  }

  get cutoffSeconds(): number {
    return this.options.cutoffSeconds;
  }

  /** Connects, registers the node name (refusing one in use) and opens the buckets. */
  static async open(options: ClusterOptions, log: Logger): Promise<NatsClusterBus> {
    const base = connectionOptions(options);
    const nc = await connect({ ...base, name: `culex ${options.nodeName}`, noEcho: true });
    try {
      const queues = await connect({ ...base, name: `culex ${options.nodeName} shares` });
      const parts = await openParts(nc, options, log);
      return new NatsClusterBus(options, nc, queues, parts, log);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async start(sink: ClusterSink): Promise<void> {
    this.sink = sink;
    const own = (verb: string) => nodeSubject(this.options, this.nodeName, verb);
    this.nc.subscribe(own('ping'), {
      callback: (_err, msg) => {
        msg.respond('');
      },
    });
    this.nc.subscribe(own('surrender'), {
      callback: (_err, msg) => {
        Promise.resolve(this.parts.claims.surrender(msg.data, sink)).then((reply) =>
          msg.respond(reply),
        );
      },
    });
    this.nc.subscribe(own('moved'), {
      callback: (_err, msg) => sink.forgetMoved(msg.string()),
    });
    // From the stream's start: the sessions restored here get what went out while it was down.
    await this.parts.redeliveries.follow((from, data, sentAt) => {
      const batch = this.decode({ subject: `redelivery for ${from}`, data });
      if (batch !== undefined) sink.redeliver(from, batch.messages, sentAt);
    });
    // Every node hears the topics too long for a subject of their own (subject.ts).
    this.nc.subscribe(longChannel(this.options.prefix), {
      callback: (_err, msg) => this.received(msg),
    });
    this.nc.subscribe(own('ack.*'), {
      callback: (_err, msg) => {
        const seq = Number(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
        this.acks.acked(seq, msg.string());
      },
    });
    await this.parts.bans.start(sink);
    // Wills left by this node's previous run (killed, and back before anyone reaped it): its
    // connections are gone, so their wills are due [MQTT-3.1.2-8].
    await this.parts.wills.sendOrphans(this.nodeName, sink, new Set());
    await this.parts.watch.start(this.figures, (dead) =>
      reapNode(dead, sink, this.parts, this.options).catch((err) =>
        this.log.error({ err: String(err), lost: dead }, 'cluster: reaping a lost node failed'),
      ),
    );
    this.followLink(sink);
    await this.nc.flush();
    await this.parts.durable.dropStale();
  }

  /**
   * Messages some nodes never confirmed: every node (this one too, from the stream) delivers
   * them again to the sessions those nodes held, wherever they are now or arrive later.
   */
  private redeliver(tokens: Set<string>, messages: ClusterMessage[]): Promise<void> {
    const batch = encodeBatch(this.stamp, messages);
    const sent = [...tokens].map((token) => {
      const lost = decodeToken(token);
      this.log.warn({ lost, messages: messages.length }, 'cluster: redelivering');
      return this.parts.redeliveries.publish(lost, batch);
    });
    return Promise.all(sent).then(() => {});
  }

  /** NATS' own reconnection does the failover; the broker only needs to know the state. */
  private followLink(sink: ClusterSink): void {
    (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === 'disconnect' && this.linked) {
          this.linked = false;
          sink.linkChanged(false);
        } else if (status.type === 'reconnect' && !this.linked) {
          this.linked = true;
          sink.linkChanged(true);
        }
      }
    })().catch(() => {});
  }

  keepWill(clientId: string, will: ClusterMessage, delay: number): Promise<void> {
    return this.parts.wills.keep(clientId, will, delay);
  }

  dropWill(clientId: string): void {
    this.parts.wills.drop(clientId);
  }

  nodes(): ClusterNodeState[] {
    return this.parts.watch.nodes();
  }

  private adminSubject(node: string): string {
    return nodeSubject(this.options, node, 'admin');
  }

  private handler: ((request: never) => unknown) | undefined;

  async ask(node: string, request: object): Promise<unknown> {
    // The connection has echo off: this node answers itself directly.
    if (node === this.nodeName) return this.handler?.(request as never);
    const reply = await this.nc.request(this.adminSubject(node), JSON.stringify(request), {
      timeout: 5000,
    });
    const answer = reply.json<{ ok: boolean; value?: unknown; error?: string }>();
    if (!answer.ok) throw new Error(`node ${node}: ${answer.error}`);
    return answer.value;
  }

  serve(handler: (request: never) => unknown): void {
    this.handler = handler;
    this.nc.subscribe(this.adminSubject(this.nodeName), {
      callback: (_err, msg) => {
        try {
          msg.respond(JSON.stringify({ ok: true, value: handler(msg.json() as never) }));
        } catch (err) {
          msg.respond(JSON.stringify({ ok: false, error: String(err) }));
        }
      },
    });
  }

  ban(ban: Ban): void {
    this.parts.bans.ban(ban);
  }

  unban(kind: BanKind, value: string): void {
    this.parts.bans.unban(kind, value);
  }

  forward(message: ClusterMessage): boolean {
    return this.outbox.add(message);
  }

  flush(): Promise<void> {
    return this.outbox.flush();
  }

  interest(filter: string, delta: 1 | -1, durable: boolean): void {
    const prefix = this.options.prefix;
    this.interests.change(
      filter,
      delta,
      () => interestSubjects(prefix, filter),
      () => ({ callback: (_err, msg) => this.received(msg) }),
    );
    // After the subscription: the filter is announced once messages can reach it.
    if (durable) this.parts.durable.change(filter, delta);
  }

  sharedInterest(group: string, filter: string, delta: 1 | -1): void {
    const queue = `${encodeToken(group)}.${encodeToken(filter)}`;
    const prefix = this.options.prefix;
    this.shared.change(
      `${group}\u0000${filter}`,
      delta,
      // The long channel carries every long topic: the group's node checks the filter.
      () => [...interestSubjects(prefix, filter), longChannel(prefix)],
      () => ({
        queue,
        callback: (_err, msg) => this.receivedShared(group, filter, msg),
      }),
    );
  }

  private decode(msg: Pick<Msg, 'subject' | 'data'>): Batch | undefined {
    try {
      return decodeBatch(msg.data);
    } catch (err) {
      this.log.warn({ subject: msg.subject, err }, 'cluster: dropped a message that is not ours');
      return undefined;
    }
  }

  private received(msg: Msg): void {
    const batch = this.decode(msg);
    if (batch === undefined) return;
    const { incarnation, seq } = batch.stamp;
    const last = this.lastSeen.get(incarnation);
    if (last !== undefined && seq <= last) return;
    if (last === undefined && this.lastSeen.size >= 4096) this.lastSeen.clear();
    this.lastSeen.set(incarnation, seq);
    for (const message of batch.messages) this.sink?.route(message);
    this.confirm(msg);
  }

  /** A batch that waits for this node's store: answer once the store holds it. */
  private confirm(msg: Msg): void {
    if (msg.reply === undefined || this.sink === undefined) return;
    this.sink.stored().then(
      () => msg.respond(this.token),
      (err) => this.log.error({ err }, 'cluster: store failed; a batch stays unconfirmed'),
    );
  }

  private receivedShared(group: string, filter: string, msg: Msg): void {
    const batch = this.decode(msg);
    for (const message of batch?.messages ?? []) {
      if (topicMatches(filter, message.topic)) this.sink?.routeShared(group, filter, message);
    }
    this.confirm(msg);
  }

  claim(clientId: string, resume: boolean) {
    return this.parts.claims.claim(clientId, resume);
  }

  release(clientId: string): void {
    this.parts.claims.release(clientId);
  }

  async close(): Promise<void> {
    this.acks.close();
    this.parts.redeliveries.stop();
    this.parts.durable.stop();
    this.parts.bans.stop();
    this.parts.watch.stop();
    this.parts.wills.stop();
    this.parts.retained.stopWatching();
    // Drain sends what is buffered; with NATS gone it would wait for a reconnect forever.
    await Promise.all([this.queues, this.nc].map((c) => closeWithin(c)));
  }
}
