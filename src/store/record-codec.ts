// The stored shape of records, format version 1. Records become positional arrays (msgpack
// keeps them compact and lmdb-js encodes them) and properties are keyed by their spec
// identifiers, so the bytes on disk depend on this file and the MQTT spec only, never on how
// the TypeScript fields happen to be named. Any change to a layout here needs a new
// FORMAT_VERSION.
import { PropertyId } from '../protocol/constants.js';
import type { ProtocolVersion, QoS } from '../protocol/constants.js';
import type { Properties } from '../protocol/packets.js';
import type {
  Ban,
  BanKind,
  MessageRecord,
  OutboundRecord,
  SessionRecord,
  SubscriptionRecord,
} from '../broker/ports.js';

/** The version of the layouts below; kept in the store's meta database. */
export const FORMAT_VERSION = 1;

/** Thrown when stored bytes do not have the shape this version writes. */
export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
}

const PROPERTY_IDS = {
  payloadFormatIndicator: PropertyId.PayloadFormatIndicator,
  messageExpiryInterval: PropertyId.MessageExpiryInterval,
  contentType: PropertyId.ContentType,
  responseTopic: PropertyId.ResponseTopic,
  correlationData: PropertyId.CorrelationData,
  subscriptionIdentifiers: PropertyId.SubscriptionIdentifier,
  sessionExpiryInterval: PropertyId.SessionExpiryInterval,
  assignedClientIdentifier: PropertyId.AssignedClientIdentifier,
  serverKeepAlive: PropertyId.ServerKeepAlive,
  authenticationMethod: PropertyId.AuthenticationMethod,
  authenticationData: PropertyId.AuthenticationData,
  requestProblemInformation: PropertyId.RequestProblemInformation,
  willDelayInterval: PropertyId.WillDelayInterval,
  requestResponseInformation: PropertyId.RequestResponseInformation,
  responseInformation: PropertyId.ResponseInformation,
  serverReference: PropertyId.ServerReference,
  reasonString: PropertyId.ReasonString,
  receiveMaximum: PropertyId.ReceiveMaximum,
  topicAliasMaximum: PropertyId.TopicAliasMaximum,
  topicAlias: PropertyId.TopicAlias,
  maximumQoS: PropertyId.MaximumQoS,
  retainAvailable: PropertyId.RetainAvailable,
  userProperties: PropertyId.UserProperty,
  maximumPacketSize: PropertyId.MaximumPacketSize,
  wildcardSubscriptionAvailable: PropertyId.WildcardSubscriptionAvailable,
  subscriptionIdentifierAvailable: PropertyId.SubscriptionIdentifierAvailable,
  sharedSubscriptionAvailable: PropertyId.SharedSubscriptionAvailable,
} as const satisfies Record<keyof Properties, PropertyId>;

const PROPERTY_NAMES = new Map<number, keyof Properties>(
  Object.entries(PROPERTY_IDS).map(([name, id]) => [id, name as keyof Properties]),
);

const OUTBOUND_STATES = ['queued', 'sent', 'pubrel'] as const;

/** Properties as a flat [id, value, id, value, …] list; absent and undefined ones are left out. */
export function encodeProperties(properties: Properties): unknown[] {
  const out: unknown[] = [];
  for (const [name, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    const id = PROPERTY_IDS[name as keyof Properties];
    // Storing an unknown field would silently drop it on load.
    if (id === undefined) throw new TypeError(`culex store: unknown property "${name}"`);
    out.push(id, value);
  }
  return out;
}

export function decodeProperties(encoded: unknown): Properties {
  const list = expectArray(encoded, 'properties');
  const properties: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = PROPERTY_NAMES.get(list[i] as number);
    if (name === undefined) throw new CorruptRecordError(`unknown property id ${String(list[i])}`);
    properties[name] = list[i + 1];
  }
  return properties as Properties;
}

/** [topic, payload, qos, retain, properties, expiresAt?] */
export function encodeMessage(message: MessageRecord): unknown[] {
  const out: unknown[] = [
    message.topic,
    message.payload,
    message.qos,
    message.retain,
    encodeProperties(message.properties),
  ];
  if (message.expiresAt !== undefined) out.push(message.expiresAt);
  return out;
}

export function decodeMessage(encoded: unknown): MessageRecord {
  const [topic, payload, qos, retain, properties, expiresAt] = expectArray(encoded, 'message', 5);
  if (typeof topic !== 'string' || !(payload instanceof Uint8Array)) {
    throw new CorruptRecordError('message without topic or payload');
  }
  const message: MessageRecord = {
    topic,
    payload,
    qos: qos as QoS,
    retain: retain === true,
    properties: decodeProperties(properties),
  };
  if (typeof expiresAt === 'number') message.expiresAt = expiresAt;
  return message;
}

/** [topicFilter, qos, options bits, subscriptionIdentifier?]; the bits as in SUBSCRIBE. */
function encodeSubscription(subscription: SubscriptionRecord): unknown[] {
  const options =
    (subscription.noLocal ? 0x04 : 0) |
    (subscription.retainAsPublished ? 0x08 : 0) |
    (subscription.retainHandling << 4);
  const out: unknown[] = [subscription.topicFilter, subscription.qos, options];
  if (subscription.subscriptionIdentifier !== undefined) {
    out.push(subscription.subscriptionIdentifier);
  }
  return out;
}

function decodeSubscription(encoded: unknown): SubscriptionRecord {
  const [topicFilter, qos, options, subscriptionIdentifier] = expectArray(encoded, 'sub', 3);
  const bits = options as number;
  const subscription: SubscriptionRecord = {
    topicFilter: topicFilter as string,
    qos: qos as QoS,
    noLocal: (bits & 0x04) !== 0,
    retainAsPublished: (bits & 0x08) !== 0,
    retainHandling: ((bits >> 4) & 0x03) as 0 | 1 | 2,
  };
  if (typeof subscriptionIdentifier === 'number') {
    subscription.subscriptionIdentifier = subscriptionIdentifier;
  }
  return subscription;
}

/** [clientId, protocolVersion, expiryInterval, disconnectedAt|null, subs, [will, at]|null] */
export function encodeSession(session: SessionRecord): unknown[] {
  const will = session.delayedWill;
  return [
    session.clientId,
    session.protocolVersion,
    session.expiryInterval,
    session.disconnectedAt ?? null,
    session.subscriptions.map(encodeSubscription),
    will ? [encodeMessage(will.message), will.publishAt] : null,
  ];
}

export function decodeSession(encoded: unknown): SessionRecord {
  const [clientId, protocolVersion, expiryInterval, disconnectedAt, subscriptions, will] =
    expectArray(encoded, 'session', 6);
  if (typeof clientId !== 'string') throw new CorruptRecordError('session without client id');
  const session: SessionRecord = {
    clientId,
    protocolVersion: protocolVersion as ProtocolVersion,
    expiryInterval: expiryInterval as number,
    subscriptions: expectArray(subscriptions, 'subscriptions').map(decodeSubscription),
  };
  if (typeof disconnectedAt === 'number') session.disconnectedAt = disconnectedAt;
  if (will !== null) {
    const [message, publishAt] = expectArray(will, 'delayed will', 2);
    session.delayedWill = { message: decodeMessage(message), publishAt: publishAt as number };
  }
  return session;
}

/**
 * [message, state, packetId|null, subscriptionIdentifiers|null, clientId?]. The seq lives in
 * the key; the client id only when the key holds a digest of it instead of the id itself.
 */
export function encodeOutbound(record: OutboundRecord, clientId?: string): unknown[] {
  const out: unknown[] = [
    encodeMessage(record.message),
    OUTBOUND_STATES.indexOf(record.state),
    record.packetId ?? null,
    record.subscriptionIdentifiers ?? null,
  ];
  if (clientId !== undefined) out.push(clientId);
  return out;
}

export function decodeOutbound(encoded: unknown, seq: number): OutboundRecord {
  const [message, state, packetId, subscriptionIdentifiers] = expectArray(encoded, 'outbound', 4);
  const record: OutboundRecord = {
    seq,
    message: decodeMessage(message),
    state: OUTBOUND_STATES[state as number] ?? corrupt(`outbound state ${String(state)}`),
  };
  if (typeof packetId === 'number') record.packetId = packetId;
  if (Array.isArray(subscriptionIdentifiers)) {
    record.subscriptionIdentifiers = subscriptionIdentifiers as number[];
  }
  return record;
}

/** The client id an outbound value carries when its key only has a digest (else undefined). */
export function outboundClientId(encoded: unknown): string | undefined {
  const clientId = (encoded as unknown[])[4];
  return typeof clientId === 'string' ? clientId : undefined;
}

const BAN_KINDS: readonly BanKind[] = ['clientId', 'username', 'ip'];

/** [kind, value, createdAt, until|null, reason|null] */
export function encodeBan(ban: Ban): unknown[] {
  return [
    BAN_KINDS.indexOf(ban.kind),
    ban.value,
    ban.createdAt,
    ban.until ?? null,
    ban.reason ?? null,
  ];
}

export function decodeBan(encoded: unknown): Ban {
  const [kind, value, createdAt, until, reason] = expectArray(encoded, 'ban', 5);
  if (typeof value !== 'string' || typeof createdAt !== 'number') corrupt('malformed ban record');
  const ban: Ban = {
    kind: BAN_KINDS[kind as number] ?? corrupt(`ban kind ${String(kind)}`),
    value,
    createdAt,
  };
  if (typeof until === 'number') ban.until = until;
  if (typeof reason === 'string') ban.reason = reason;
  return ban;
}

function expectArray(value: unknown, what: string, minLength = 0): unknown[] {
  if (!Array.isArray(value) || value.length < minLength) {
    throw new CorruptRecordError(`malformed ${what} record`);
  }
  return value;
}

function corrupt(message: string): never {
  throw new CorruptRecordError(message);
}
