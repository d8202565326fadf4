// The cluster message ids a session received lately, so that nothing reaches it twice
// [MQTT-4.3.3-10] [MQTT-4.3.3-2]. A message a node never confirmed is redelivered to the sessions it held
// (ClusterNode.redeliver), and a publisher whose node died resends its QoS 2 PUBLISH through
// another node (qos2-seen.ts): when the session already had that message — by the normal
// way, by an earlier redelivery, or on the node it came from — only this memory tells.
// It keeps every QoS 2 id for a minute (they travel with the session: handed over, and as
// markers in the cluster's store), and for a minute after the session came to this node
// every other id too. Both come within seconds, so the memory is short and bounded.
import { sameMessage } from './qos2-seen.js';

/** How long an id is kept: redeliveries and resends come within seconds. */
export const WINDOW_MS = 60_000;
/** Ids kept at most: the oldest go first. */
const MAX_IDS = 4096;

export class RecentIds {
  /** QoS 2 ids (as their first copy's, sameMessage) → when they came; oldest first. */
  private readonly qos2 = new Map<string, number>();
  /** Other ids, only in the first minute here; oldest first. */
  private readonly others = new Map<string, number>();
  private readonly since: number;
  /** Ids of the messages it brought along (hadBefore). */
  private before: Set<string> | undefined;
  /** QoS 2 packet ids the client used since it came here (mayBeResend). */
  private packetIds: Set<number> | undefined;

  /**
   * `since`: when the session came to this node (-Infinity: it was made here); `brought`: ids
   * of the messages it brought along (in flight or queued); `completed`: QoS 2 ids it got lately.
   */
  constructor(
    since: number,
    brought: Iterable<string | undefined> = [],
    completed: Iterable<string> = [],
  ) {
    this.since = since;
    for (const id of brought) if (id !== undefined) this.add(id, since, false);
    for (const id of completed) this.add(id, since, true);
    if (this.qos2.size + this.others.size > 0)
      this.before = new Set([...this.qos2.keys(), ...this.others.keys()]);
  }

  /**
   * Whether the session had this message before it came here. A first copy that reaches
   * this node late (a node busy or stalled while the session moved) is then no new message.
   * Ids it got here do not count: a client may publish the same payload with the same
   * packet id again, and that is a new message [MQTT-4.3.3-12].
   */
  hadBefore(id: string, now: number): boolean {
    return (
      this.before !== undefined && now - this.since < WINDOW_MS && this.before.has(sameMessage(id))
    );
  }

  /** A memory for a session that was made on this node: only its QoS 2 ids. */
  static madeHere(): RecentIds {
    return new RecentIds(Number.NEGATIVE_INFINITY);
  }

  /**
   * Whether a QoS 2 PUBLISH may be the client resending one its previous node routed: the
   * first use of each packet id in the first minute after the move. Clients do not all mark
   * resends DUP (MQTT.js does not), and one that tries dead nodes first resends seconds late
   * (qos2-seen.ts). A packet id used here since is a new message.
   */
  mayBeResend(packetId: number, now: number): boolean {
    if (now - this.since >= WINDOW_MS) return false;
    this.packetIds ??= new Set();
    if (this.packetIds.has(packetId)) return false;
    this.packetIds.add(packetId);
    return true;
  }

  /** When the session came to this node. */
  get arrivedAt(): number {
    return this.since;
  }

  /** Records a message the session got; `qos2`: one it must never get twice. */
  add(id: string, now: number, qos2: boolean): void {
    if (!qos2 && now - this.since >= WINDOW_MS) return;
    const ids = qos2 ? this.qos2 : this.others;
    for (const [oldest, at] of ids) {
      if (now - at < WINDOW_MS && ids.size < MAX_IDS) break;
      ids.delete(oldest);
    }
    id = sameMessage(id);
    ids.delete(id);
    ids.set(id, now);
  }

  has(id: string, now: number): boolean {
    id = sameMessage(id);
    const at = this.qos2.get(id) ?? this.others.get(id);
    return at !== undefined && now - at < WINDOW_MS;
  }

  /** The QoS 2 ids it got lately: they go with the session when it moves. */
  completed(now: number): string[] {
    const out: string[] = [];
    for (const [id, at] of this.qos2) if (now - at < WINDOW_MS) out.push(id);
    return out;
  }
}
