// Names and values from the MQTT 5.0 specification (sections 2.1.2, 2.2.2.2 and 2.4).

export const PacketType = {
  Connect: 1,
  Connack: 2,
  Publish: 3,
  Puback: 4,
  Pubrec: 5,
  Pubrel: 6,
  Pubcomp: 7,
  Subscribe: 8,
  Suback: 9,
  Unsubscribe: 10,
  Unsuback: 11,
  Pingreq: 12,
  Pingresp: 13,
  Disconnect: 14,
  Auth: 15,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Protocol Level byte of CONNECT: 3 = MQTT 3.1 ("MQIsdp"), 4 = 3.1.1, 5 = 5.0. */
export const ProtocolVersion = { V31: 3, V311: 4, V5: 5 } as const;
export type ProtocolVersion = (typeof ProtocolVersion)[keyof typeof ProtocolVersion];

export type QoS = 0 | 1 | 2;

/** 5.0 reason codes (section 2.4). Codecs map them to 3.1.1 return codes where needed. */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** 3.1.1 CONNACK return codes (section 3.2.2.3). */
export const ConnectReturnCode = {
  Accepted: 0,
  UnacceptableProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUserNameOrPassword: 4,
  NotAuthorized: 5,
} as const;
export type ConnectReturnCode = (typeof ConnectReturnCode)[keyof typeof ConnectReturnCode];

/** 5.0 property identifiers (section 2.2.2.2). */
export const PropertyId = {
  PayloadFormatIndicator: 0x01,
  MessageExpiryInterval: 0x02,
  ContentType: 0x03,
  ResponseTopic: 0x08,
  CorrelationData: 0x09,
  SubscriptionIdentifier: 0x0b,
  SessionExpiryInterval: 0x11,
  AssignedClientIdentifier: 0x12,
  ServerKeepAlive: 0x13,
  AuthenticationMethod: 0x15,
  AuthenticationData: 0x16,
  RequestProblemInformation: 0x17,
  WillDelayInterval: 0x18,
  RequestResponseInformation: 0x19,
  ResponseInformation: 0x1a,
  ServerReference: 0x1c,
  ReasonString: 0x1f,
  ReceiveMaximum: 0x21,
  TopicAliasMaximum: 0x22,
  TopicAlias: 0x23,
  MaximumQoS: 0x24,
  RetainAvailable: 0x25,
  UserProperty: 0x26,
  MaximumPacketSize: 0x27,
  WildcardSubscriptionAvailable: 0x28,
  SubscriptionIdentifierAvailable: 0x29,
  SharedSubscriptionAvailable: 0x2a,
} as const;
export type PropertyId = (typeof PropertyId)[keyof typeof PropertyId];

/** The largest Remaining Length a 4-byte Variable Byte Integer can carry (section 1.5.5). */
export const MAX_VARIABLE_BYTE_INTEGER = 268_435_455;
