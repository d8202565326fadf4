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
    if (reason !== undefined && reason !== ReasonCode.DisconnectWithWillMessage) return;
    const delay = Math.min(will.delay, session.expiryInterval);
    if (delay === 0) {
      this.publish(will.message);
      return;
    }
    this.delayed.set(connection.clientId, {
      message: will.message,
      publishAt: this.core.now() + delay * 1000,
    });
  }

  restore(clientId: string, will: { message: Message; publishAt: number }): void {
    this.delayed.set(clientId, will);
  }

  /** A new connection for the session before the delay passed: no will [MQTT-3.1.3-9]. */
  cancel(clientId: string): void {
    this.delayed.delete(clientId);
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
    }
  }

  private publish(message: Message): void {
    if (message.expiresAt !== undefined && message.expiresAt <= this.core.now()) return;
    this.core.publish(message);
  }
}
