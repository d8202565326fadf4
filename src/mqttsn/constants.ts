// MQTT-SN v1.2 (IBM, 2013) constants with the spec's names: MsgType (5.2.2), the Flags byte
// (5.3.4) and ReturnCode (5.3.10).

/** MsgType values, MQTT-SN 5.2.2 Table 3. */
export const SnMsgType = {
  Advertise: 0x00,
  SearchGw: 0x01,
  GwInfo: 0x02,
  Connect: 0x04,
  Connack: 0x05,
  WillTopicReq: 0x06,
  WillTopic: 0x07,
  WillMsgReq: 0x08,
  WillMsg: 0x09,
  Register: 0x0a,
  Regack: 0x0b,
  Publish: 0x0c,
  Puback: 0x0d,
  Pubcomp: 0x0e,
  Pubrec: 0x0f,
  Pubrel: 0x10,
  Subscribe: 0x12,
  Suback: 0x13,
  Unsubscribe: 0x14,
  Unsuback: 0x15,
  Pingreq: 0x16,
  Pingresp: 0x17,
  Disconnect: 0x18,
  WillTopicUpd: 0x1a,
  WillTopicResp: 0x1b,
  WillMsgUpd: 0x1c,
  WillMsgResp: 0x1d,
  /** Forwarder encapsulation (5.5); Culex does not act as or behind a forwarder. */
  Encapsulated: 0xfe,
} as const;
export type SnMsgType = (typeof SnMsgType)[keyof typeof SnMsgType];

/** ReturnCode values, MQTT-SN 5.3.10. */
export const SnReturnCode = {
  Accepted: 0x00,
  Congestion: 0x01,
  InvalidTopicId: 0x02,
  NotSupported: 0x03,
} as const;
export type SnReturnCode = (typeof SnReturnCode)[keyof typeof SnReturnCode];

/** TopicIdType, the two low bits of Flags (5.3.4). 0b11 is reserved. */
export const TopicIdType = {
  Normal: 0b00,
  Predefined: 0b01,
  Short: 0b10,
} as const;
export type TopicIdType = (typeof TopicIdType)[keyof typeof TopicIdType];

/** QoS of the Flags byte; −1 (0b11) is PUBLISH without a connection (6.8). */
export type SnQoS = -1 | 0 | 1 | 2;

/** Flags bits, MQTT-SN 5.3.4. */
export const Flag = {
  Dup: 0x80,
  QosMask: 0x60,
  QosShift: 5,
  Retain: 0x10,
  Will: 0x08,
  CleanSession: 0x04,
  TopicIdTypeMask: 0x03,
} as const;

/** ProtocolId of CONNECT (5.3.8): the only value v1.2 defines. */
export const PROTOCOL_ID = 0x01;

/** Longest datagram the 3-octet Length field can describe (5.2.1). */
export const MAX_SN_PACKET = 0xffff;
