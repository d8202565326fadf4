// The embedding API's hooks and the logger port.
import type { QoS } from '../protocol/constants.js';
import type { ConnectPacket, Properties } from '../protocol/packets.js';
import type { Connection } from './connection.js';
import type { Message } from './message.js';
import type { AuthResult, ClientInfo, SubscriptionRecord } from './ports.js';
import type { Session } from './session.js';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export interface BrokerHooks {
  /** Every message accepted from a client or `broker.publish()`, after authorization. */
  onMessage?(message: Message, client: ClientInfo | undefined): void;
  onClientConnected?(client: ClientInfo): void;
  onClientDisconnected?(
    client: ClientInfo,
    reason: 'normal' | 'error' | 'takeover' | 'shutdown',
  ): void;
}

/** Why the broker did not deliver a message to one subscriber (EMQX's delivery_dropped reasons). */
export type DeliveryDropReason = 'queue_full' | 'expired' | 'slow_consumer' | 'too_large';

/**
 * The broker's events for the rule engine (EMQX's `$events/...` sources). Every slot stays
 * undefined until a listener asks for that event, and the broker reads the slot before it does
 * anything for it: an event nobody listens to costs one property read and allocates nothing.
 * Listeners get the broker's own objects and build their records themselves, only when called.
 */
export class BrokerEvents {
  /** Every message accepted from a client or `broker.publish()` on this node (not remote ones). */
  messagePublish: ((message: Message, client: ClientInfo | undefined) => void) | undefined =
    undefined;
  clientConnected: ((connection: Connection, connect: ConnectPacket) => void) | undefined =
    undefined;
  clientDisconnected: ((connection: Connection) => void) | undefined = undefined;
  /** The CONNACK sent, success or refusal (reason code as in MQTT 5.0). */
  clientConnack:
    | ((connection: Connection, reasonCode: number, connect?: ConnectPacket) => void)
    | undefined = undefined;
  clientCheckAuthnComplete:
    | ((connection: Connection, username: string | undefined, result: AuthResult) => void)
    | undefined = undefined;
  clientCheckAuthzComplete:
    | ((
        connection: Connection,
        topic: string,
        action: 'publish' | 'subscribe',
        allowed: boolean,
      ) => void)
    | undefined = undefined;
  sessionSubscribed:
    | ((connection: Connection, subscription: SubscriptionRecord, properties: Properties) => void)
    | undefined = undefined;
  sessionUnsubscribed:
    | ((connection: Connection, topicFilter: string, properties: Properties) => void)
    | undefined = undefined;
  /** A PUBLISH written to a subscriber's connection (first send, not a resend). */
  messageDelivered: ((receiver: Connection, message: Message, qos: QoS) => void) | undefined =
    undefined;
  /** PUBACK or PUBCOMP from a subscriber. */
  messageAcked: ((receiver: Session, message: Message, qos: QoS) => void) | undefined = undefined;
  /** A message no session on this node (and no other node) took. */
  messageDropped:
    | ((message: Message, client: ClientInfo | undefined, reason: 'no_subscribers') => void)
    | undefined = undefined;
  deliveryDropped:
    | ((receiver: Session, message: Message, reason: DeliveryDropReason) => void)
    | undefined = undefined;
}

/** Tells the rule engine an authorization decision, when it listens. */
export function authzComplete(
  connection: Connection,
  topic: string,
  action: 'publish' | 'subscribe',
  allowed: boolean,
): void {
  const listener = connection.core.events.clientCheckAuthzComplete;
  if (listener !== undefined) listener(connection, topic, action, allowed);
}
