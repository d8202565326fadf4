// QoS 2 messages a node has routed lately, by an id every node computes alike: the publisher's
// client id, packet id and a digest of topic and payload. A publisher whose node died after
// the message left it, but before its PUBREC state reached the cluster's store, sends the
// PUBLISH again (DUP) to another node, which cannot tell it was delivered: the nodes that
// routed the first copy recognise the second and deliver it only to the sessions that came to
// them since (the first copy missed those), so it is not delivered twice [MQTT-4.3.3-10].
// Only a possible resend is checked (DUP set, or the first use of its packet id in the minute
// after the session moved: MQTT.js resends without DUP): a new message may reuse a packet id
// [MQTT-4.3.3-12].
import { createHash } from 'node:crypto';
import type { Message } from './message.js';

/** How long a copy is remembered: resends follow a reconnection, within seconds. */
const WINDOW_MS = 30_000;
/** Ids kept at most; the oldest go first. */
const MAX_IDS = 100_000;

/** The id of a QoS 2 message from a persistent session: `R` for a possible resend, else `Q`. */
export function qos2Id(message: Message, packetId: number, dup: boolean): string {
  const digest = createHash('sha1')
    .update(message.origin ?? '')
    .update('\u0000')
    .update(message.topic)
    .update('\u0000')
    .update(message.payload)
    .digest('base64url');
  // Short: the cluster envelope gives an id one length byte.
  return `${dup ? 'R' : 'Q'}${packetId}:${digest}`;
}

export class Qos2Seen {
  private readonly seen = new Map<string, number>();

  /**
   * Records a first copy; for a possible resend whose first copy was routed here, when that
   * was (a resend itself is not recorded: only a first copy proves what this node delivered).
   */
  firstRoutedAt(id: string | undefined, now: number): number | undefined {
    if (id === undefined || (id[0] !== 'Q' && !possibleResend(id))) return undefined;
    const key = id.slice(1);
    if (possibleResend(id)) {
      const at = this.seen.get(key);
      return at !== undefined && now - at < WINDOW_MS ? at : undefined;
    }
    this.seen.delete(key);
    if (this.seen.size >= MAX_IDS) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, now);
    return undefined;
  }
}

/** A QoS 2 id that qos2Id marked as a possible resend. */
export function possibleResend(id: string | undefined): id is string {
  return id !== undefined && id[0] === 'R';
}

/** The id of the first copy of a possible resend: both are one message to a session. */
export function sameMessage(id: string): string {
  return possibleResend(id) ? `Q${id.slice(1)}` : id;
}
