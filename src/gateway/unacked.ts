// The gateway's QoS 1/2 messages to one client not yet acknowledged: a PUBLISH awaiting its
// PUBACK or PUBREC, a PUBREL awaiting its PUBCOMP. UDP loses datagrams, and the broker waits
// for the acknowledgement, so each is sent again after Tretry, at most Nretry times in all;
// then the client counts as lost (MQTT-SN 6.13).
import { SnMsgType, type SnPacket } from '../mqttsn/index.js';

/** Nretry: sends of one message (REGISTER, PUBLISH, PUBREL) before giving up. */
export const SEND_TRIES = 3;

interface Entry {
  packet: SnPacket;
  sentAt: number;
  tries: number;
}

export class Unacknowledged {
  private readonly entries = new Map<number, Entry>();

  /** A PUBLISH is kept with DUP set: that is how it is sent again. */
  sent(msgId: number, packet: SnPacket, now: number): void {
    const again = packet.type === SnMsgType.Publish ? { ...packet, dup: true } : packet;
    this.entries.set(msgId, { packet: again, sentAt: now, tries: 1 });
  }

  acknowledged(msgId: number): void {
    this.entries.delete(msgId);
  }

  /** What is due again at `now`, or 'lost' when something was sent Nretry times unanswered. */
  due(now: number, intervalMs: number): SnPacket[] | 'lost' {
    const again: SnPacket[] = [];
    for (const entry of this.entries.values()) {
      if (now - entry.sentAt < intervalMs) continue;
      if (entry.tries >= SEND_TRIES) return 'lost';
      entry.tries++;
      entry.sentAt = now;
      again.push(entry.packet);
    }
    return again;
  }

  /** Everything, for a client that wakes up (6.14): what it missed before sleeping comes first. */
  all(now: number): SnPacket[] {
    for (const entry of this.entries.values()) entry.sentAt = now;
    return [...this.entries.values()].map((e) => e.packet);
  }

  get size(): number {
    return this.entries.size;
  }
}
