// Will messages (MQTT 5.0 section 3.1.3.2): published when a connection ends without a normal
// DISCONNECT, after the Will Delay Interval or when the session ends, whichever is first.
import { ReasonCode } from '../protocol/constants.js';
import type { Connection } from './connection.js';
import type { BrokerCore } from './core.js';
import type { Message } from './message.js';
import type { Session } from './session.js';

interface DelayedWill {
  message: Message;
  publishAt: number;
}

export class WillScheduler {
  private readonly delayed = new Map<string, DelayedWill>();

  constructor(private readonly core: BrokerCore) {}

  get pendingCount(): number {
    return this.delayed.size;
  }

  /** [MQTT-3.1.2-8] the will goes out unless the client sent DISCONNECT 0x00 [MQTT-3.14.4-3]. */
  connectionClosed(connection: Connection, session: Session): void {
    const will = connection.will;
    connection.will = undefined;
    if (will === undefined) return;
    const reason = connection.disconnectReason;
    if (reason !== undefined && reason !== ReasonCode.DisconnectWithWillMessage) {
      this.core.cluster?.bus.dropWill(connection.clientId);
      return;
    }
    const delay = Math.min(will.delay, session.expiryInterval);
    if (delay === 0) {
      this.publish(will.message);
      return;
    }
    const delayed = { message: will.message, publishAt: this.core.now() + delay * 1000 };
    this.delayed.set(connection.clientId, delayed);
    // From now on the session record carries the will (a persistent session: delay > 0).
    this.core.cluster?.bus.dropWill(connection.clientId);
    // Kept with the session record, so a restart before the delay passes still sends it.
    session.delayedWill = delayed;
  }

  restore(session: Session, will: { message: Message; publishAt: number }): void {
    this.delayed.set(session.clientId, will);
    session.delayedWill = will;
  }

  /** A new connection for the session before the delay passed: no will [MQTT-3.1.3-9]. */
  cancel(clientId: string): void {
    if (!this.delayed.delete(clientId)) return;
    const session = this.core.sessions.get(clientId);
    if (session !== undefined) session.delayedWill = undefined;
  }

  /** The session ended first: publish now. */
  sessionEnded(clientId: string): void {
    const will = this.delayed.get(clientId);
    if (will === undefined) return;
    this.delayed.delete(clientId);
    this.publish(will.message);
  }

  sweep(now: number): void {
    for (const [clientId, will] of this.delayed) {
      if (will.publishAt > now) continue;
      this.delayed.delete(clientId);
      this.publish(will.message);
      const session = this.core.sessions.get(clientId);
      if (session?.delayedWill === undefined) continue;
      session.delayedWill = undefined;
      this.core.persistSession(session);
    }
  }

  /** The will's Message Expiry Interval counts from now, when it is published (5.0 section 3.1.3.2.4). */
  private publish(will: Message): void {
    if (will.origin !== undefined) this.core.cluster?.bus.dropWill(will.origin);
    const interval = will.properties.messageExpiryInterval;
    const expiresAt = interval === undefined ? undefined : this.core.now() + interval * 1000;
    this.core.publish(expiresAt === undefined ? will : { ...will, expiresAt });
  }
}
