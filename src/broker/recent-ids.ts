// The cluster message ids a session received since it came to this node (adopted from a lost
// or surrendering node, or restored after this node's own restart). A message its previous
// node never confirmed is redelivered to it (ClusterNode.redeliver); when the same message
// also reached it the normal way and the client has already acknowledged it, only this
// memory tells, so a QoS 2 message is not delivered twice [MQTT-4.3.3-12]. Redeliveries
// come within seconds, so the memory is short and bounded.
import { sameMessage } from './qos2-seen.js';

/** How long after the move redeliveries are expected. */
const WINDOW_MS = 60_000;
/** How long after the move its client may still be resending what it sent before. */
const RESEND_MS = 5_000;
/** Ids kept at most: the oldest go first. */
const MAX_IDS = 4096;

export class RecentIds {
  private ids: Set<string> | undefined = new Set();
  private readonly since: number;
  private readonly until: number;

  /** `ids`: of the messages the session brought along (in flight or queued). */
  constructor(now: number, ids: Iterable<string | undefined> = []) {
    this.since = now;
    this.until = now + WINDOW_MS;
    for (const id of ids) if (id !== undefined) this.add(id, now);
  }

  /**
   * Just after the move: a QoS 2 PUBLISH may be the client resending one its previous node
   * routed, and clients do not all mark resends DUP (MQTT.js does not) (qos2-seen.ts).
   */
  fresh(now: number): boolean {
    return now - this.since < RESEND_MS;
  }

  /** When the session came to this node. */
  get arrivedAt(): number {
    return this.since;
  }

  add(id: string, now: number): void {
    id = sameMessage(id);
    const ids = this.ids;
    if (ids === undefined) return;
    if (now > this.until) {
      this.ids = undefined;
      return;
    }
    if (ids.size >= MAX_IDS) ids.delete(ids.values().next().value!);
    ids.add(id);
  }

  has(id: string): boolean {
    return this.ids?.has(sameMessage(id)) === true;
  }
}
