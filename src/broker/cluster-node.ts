// This broker as one node of a cluster: what it does when the cluster bus (ports.ts
// ClusterBus) brings something from another node. Routing stays the router's; sessions stay
// the core's. Present only with a cluster; a single node never builds one.
import { randomInt } from 'node:crypto';
import { ReasonCode } from '../protocol/constants.js';
import type { BrokerCore } from './core.js';
import type { Message } from './message.js';
import type {
  Ban,
  BanKind,
  ClusterBus,
  ClusterMessage,
  ClusterSink,
  TransferredSession,
} from './ports.js';
import { possibleResend, Qos2Seen } from './qos2-seen.js';
import { Redelivered } from './redelivered.js';
import { outboundRecord, type Session } from './session.js';

export class ClusterNode implements ClusterSink {
  private cutoffTimer: NodeJS.Timeout | undefined;
  /** Ids of this node's messages: unique per run, and per run of the same node name. */
  private readonly idPrefix = `${randomInt(2 ** 32).toString(36)}:`;
  private ids = 0;
  private readonly qos2 = new Qos2Seen();
  private readonly redelivered = new Redelivered();

  constructor(
    private readonly core: BrokerCore,
    readonly bus: ClusterBus,
  ) {}

  /**
   * Routes a message to this node's subscribers. A message some of them may have already
   * goes only to those that do not: a QoS 2 message its publisher may be sending again
   * (qos2-seen.ts; if this node routed its first copy, only to sessions that came here since),
   * and one redelivered lately, whose own copy came after the redelivery (redelivered.ts).
   */
  routeHere(message: Message): number {
    const id = message.id;
    if (id === undefined) return this.core.router.route(message);
    const at = message.qos === 2 ? this.qos2.firstRoutedAt(id, this.core.now()) : undefined;
    if (at !== undefined) {
      return this.core.router.routeTo(
        message,
        (session) =>
          session.recent !== undefined && session.recent.arrivedAt > at && !session.holds(id),
      );
    }
    if (possibleResend(id) || this.redelivered.has(id))
      return this.core.router.routeTo(message, (session) => !session.holds(id));
    return this.core.router.route(message);
  }

  /** A QoS 2 message this node routed already, sent again by its publisher (qos2-seen.ts). */
  private repeated(message: Message): boolean {
    return message.qos === 2 && this.qos2.firstRoutedAt(message.id, this.core.now()) !== undefined;
  }

  newId(): string {
    return `${this.idPrefix}${(++this.ids).toString(36)}`;
  }

  /** Another node's message: this node's own subscribers, never its shared groups (NATS
   * queue groups pick one member node for those; routeShared). */
  route(message: ClusterMessage): void {
    this.core.stats.clusterReceived++;
    // Another node's $SYS figures are kept like this node's own: in memory, for new subscribers.
    if (message.retain && message.topic.startsWith('$SYS/'))
      this.core.retained.setVolatile(message);
    this.routeHere(message as Message);
  }

  routeShared(group: string, filter: string, message: ClusterMessage): void {
    if (!this.repeated(message as Message))
      this.core.router.routeShared(group, filter, message as Message);
  }

  /** [MQTT-3.1.4-3] the client connected on another node: close it here (0x8E in 5.0). */
  takenOver(clientId: string): void {
    const connection = this.core.clients.get(clientId);
    if (connection === undefined) return;
    this.core.log.info({ clientId }, 'session taken over by another node');
    this.core.disconnect(connection, ReasonCode.SessionTakenOver);
  }

  /**
   * The client resumes on another node: the session leaves this one, with what is queued and
   * in flight, and its delayed will stays unsent (the client is back [MQTT-3.1.3-9]).
   */
  surrender(clientId: string, wanted: boolean): TransferredSession | undefined {
    const session = this.core.sessions.get(clientId);
    if (session === undefined) return undefined;
    const moved = wanted && session.persistent ? transferOf(session, this.core.now()) : undefined;
    this.core.wills.cancel(clientId);
    // The stored copy stays until the new node has its own (forgetMoved).
    this.core.endSession(session, moved !== undefined);
    return moved;
  }

  /** A session this node surrendered is stored on its new node: drop this node's copy. */
  forgetMoved(clientId: string): void {
    if (!this.core.sessions.has(clientId)) this.core.sessionStore.deleteSession(clientId);
  }

  stored(): Promise<void> {
    return this.core.sessionStore.flush();
  }

  banChanged(kind: BanKind, value: string, ban: Ban | undefined): void {
    if (ban === undefined) {
      this.core.banned.remove(kind, value);
      return;
    }
    this.core.banned.apply(ban);
    this.core.dropBanned();
  }

  publishWill(message: ClusterMessage): void {
    this.core.publish(message as Message);
  }

  /**
   * Cut off from the cluster: say so, and after `cutoffSeconds` close every connection
   * (5.0: DISCONNECT 0x9C Use another server) so that clients move to a node that can serve
   * them. 0x88 Server unavailable would say it better, but it is a CONNACK code only: a
   * DISCONNECT with it is malformed [MQTT-3.14.2-1], and clients (MQTT.js) reject it.
   */
  linkChanged(up: boolean): void {
    clearTimeout(this.cutoffTimer);
    if (up) {
      this.core.log.info({}, 'cluster: link to NATS is back');
      return;
    }
    const seconds = this.bus.cutoffSeconds;
    this.core.log.error(
      { seconds },
      'cluster: link to NATS lost; clients will be disconnected if it stays down',
    );
    this.cutoffTimer = setTimeout(() => this.cutOff(), seconds * 1000);
    this.cutoffTimer.unref();
  }

  private cutOff(): void {
    this.core.log.error(
      { clients: this.core.clients.size },
      'cluster: still cut off; disconnecting clients (0x9C use another server)',
    );
    for (const connection of [...this.core.connections]) {
      if (connection.state === 'connected')
        this.core.disconnect(connection, ReasonCode.UseAnotherServer);
      else connection.close();
    }
  }

  /**
   * Messages that may not have reached the sessions `from` held when it went away: deliver
   * them to those sessions (here now, or later: redelivered.ts), unless a session already
   * has one (it was stored).
   */
  redeliver(from: string, messages: ClusterMessage[], sentAt: number): void {
    this.redelivered.remember(from, messages, Math.min(sentAt, this.core.now()));
    for (const message of messages)
      this.deliverAgain(message, (s) => s.persistent && s.heldBy?.includes(from) === true);
  }

  /** Redeliveries that went out for the nodes that held `session` before it came here. */
  private catchUp(session: Session): void {
    for (const message of this.redelivered.for(session.heldBy ?? [], this.core.now()))
      this.deliverAgain(message, (s) => s === session);
  }

  /** To the sessions `accept` takes that do not have the message yet. */
  private deliverAgain(message: ClusterMessage, accept: (session: Session) => boolean): void {
    const id = message.id;
    this.core.router.routeTo(
      message as Message,
      (session) => accept(session) && !(id && session.holds(id)),
    );
  }

  /**
   * The node reaping `from` took the client's claim from it: a session of the client here is
   * a stale copy (restored at a restart, before the node that had taken it removed it), and
   * gives way. A client connecting or connected here keeps its session: its CONNECT took it
   * (a scan of the connections, on the rare path of reaping).
   */
  adoptOrphan(moved: TransferredSession, from: string): boolean {
    const clientId = moved.record.clientId;
    for (const connection of this.core.connections)
      if (connection.clientId === clientId) return false;
    this.adopt(moved, from);
    return true;
  }

  /** A session handed over by another node becomes this node's, mirrored to its store. */
  adopt(moved: TransferredSession, from: string): Session {
    const existing = this.core.sessions.get(moved.record.clientId);
    if (existing !== undefined) this.core.endSession(existing);
    const session = this.core.restoreSession(moved.record, moved.outbound, moved.incomingQos2);
    // Every node that held it, this one too: redeliveries for any of them reach it.
    const nodes = [...(moved.heldBy ?? []), from, this.core.options.nodeName];
    session.heldBy = nodes.filter((node, i) => nodes.lastIndexOf(node) === i).slice(-HELD_BY);
    const store = this.core.sessionStore;
    store.saveSession(session.toRecord());
    for (const record of moved.outbound) store.saveOutbound(session.clientId, record);
    for (const id of moved.incomingQos2) store.saveIncomingQos2(session.clientId, id);
    session.keepCompleted(moved.completed ?? []);
    this.catchUp(session);
    if (moved.release !== undefined) store.flush().then(moved.release, () => {});
    return session;
  }
}

/** Nodes remembered per session for redeliveries: a session rarely moves more in seconds. */
const HELD_BY = 8;

function transferOf(session: Session, now: number): TransferredSession {
  return {
    record: session.toRecord(),
    outbound: [...session.pending()].map(outboundRecord),
    incomingQos2: [...session.incomingQos2],
    completed: session.recent?.completed(now),
    heldBy: session.heldBy,
  };
}
