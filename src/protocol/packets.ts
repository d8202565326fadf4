// The version-neutral packet model: one union discriminated on `type`, named fields from the
// spec, `properties` always present (empty for 3.1 / 3.1.1). Reason codes are always the 5.0
// values; the codec maps them to and from 3.1.1 return codes on the wire.
import type { PacketType, ProtocolVersion, QoS } from './constants.js';

export type UserProperty = readonly [name: string, value: string];

/** Every 5.0 property, by its spec name. Which packet may carry which is checked by the codec. */
export interface Properties {
  payloadFormatIndicator?: 0 | 1;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  /** PUBLISH may carry several; SUBSCRIBE exactly one. */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  requestProblemInformation?: 0 | 1;
  willDelayInterval?: number;
  requestResponseInformation?: 0 | 1;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: 0 | 1;
  retainAvailable?: boolean;
  userProperties?: UserProperty[];
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifierAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
}

/** Shared by all packets that carry no properties; never mutate it. */
export const NO_PROPERTIES: Properties = Object.freeze({}) as Properties;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** Will Properties (5.0 section 3.1.3.2). */
  properties: Properties;
}

export interface ConnectPacket {
  type: typeof PacketType.Connect;
  /** "MQIsdp" for protocol level 3, "MQTT" for 4 and 5. */
  protocolName: string;
  protocolVersion: ProtocolVersion;
  /** Clean Session (3.1.1) / Clean Start (5.0). */
  clean: boolean;
  keepAlive: number;
  clientId: string;
  will?: Will;
  username?: string;
  password?: Uint8Array;
  properties: Properties;
}

export interface ConnackPacket {
  type: typeof PacketType.Connack;
  sessionPresent: boolean;
  /** A 5.0 reason code; 3.1.1 return codes are mapped by the codec. */
  reasonCode: number;
  properties: Properties;
}

export interface PublishPacket {
  type: typeof PacketType.Publish;
  /** Empty when a 5.0 sender uses an established Topic Alias. */
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present for QoS 1 and 2 only. */
  packetId?: number;
  properties: Properties;
}

/** PUBACK, PUBREC, PUBREL and PUBCOMP share one shape. */
export interface PubResponsePacket<T extends PacketType> {
  type: T;
  packetId: number;
  reasonCode: number;
  properties: Properties;
}
export type PubackPacket = PubResponsePacket<typeof PacketType.Puback>;
export type PubrecPacket = PubResponsePacket<typeof PacketType.Pubrec>;
export type PubrelPacket = PubResponsePacket<typeof PacketType.Pubrel>;
export type PubcompPacket = PubResponsePacket<typeof PacketType.Pubcomp>;

export interface Subscription {
  topicFilter: string;
  /** Maximum QoS requested. */
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
}

export interface SubscribePacket {
  type: typeof PacketType.Subscribe;
  packetId: number;
  subscriptions: Subscription[];
  properties: Properties;
}

export interface SubackPacket {
  type: typeof PacketType.Suback;
  packetId: number;
  /** One per filter: granted QoS (0, 1, 2) or a failure code ≥ 0x80 (0x80 in 3.1.1). */
  reasonCodes: number[];
  properties: Properties;
}

export interface UnsubscribePacket {
  type: typeof PacketType.Unsubscribe;
  packetId: number;
  topicFilters: string[];
  properties: Properties;
}

export interface UnsubackPacket {
  type: typeof PacketType.Unsuback;
  packetId: number;
  /** One per filter in 5.0; empty in 3.1.1, which has no payload. */
  reasonCodes: number[];
  properties: Properties;
}

export interface PingreqPacket {
  type: typeof PacketType.Pingreq;
}

export interface PingrespPacket {
  type: typeof PacketType.Pingresp;
}

export interface DisconnectPacket {
  type: typeof PacketType.Disconnect;
  reasonCode: number;
  properties: Properties;
}

export interface AuthPacket {
  type: typeof PacketType.Auth;
  reasonCode: number;
  properties: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** The packet whose `type` is T. */
export type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;
