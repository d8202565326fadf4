// The MQTT-SN packet model: one union discriminated on `type`, with the field names of the
// message formats of MQTT-SN v1.2 section 5.4.
import type { SnMsgType, SnQoS, SnReturnCode, TopicIdType } from './constants.js';

type T = typeof SnMsgType;

/** 5.4.1 */
export interface AdvertisePacket {
  type: T['Advertise'];
  gatewayId: number;
  /** Seconds until the next ADVERTISE. */
  duration: number;
}
/** 5.4.2 */
export interface SearchGwPacket {
  type: T['SearchGw'];
  radius: number;
}
/** 5.4.3: GwAdd is present only when a client answers on a gateway's behalf. */
export interface GwInfoPacket {
  type: T['GwInfo'];
  gatewayId: number;
  gatewayAddress?: Buffer;
}
/** 5.4.4 */
export interface ConnectPacket {
  type: T['Connect'];
  will: boolean;
  cleanSession: boolean;
  protocolId: number;
  /** Keep-alive, seconds. */
  duration: number;
  clientId: string;
}
/** 5.4.5, 5.4.24, 5.4.25: a message of just a ReturnCode. */
export interface ReturnCodePacket<K extends SnMsgType> {
  type: K;
  returnCode: SnReturnCode;
}
export type ConnackPacket = ReturnCodePacket<T['Connack']>;
export type WillTopicRespPacket = ReturnCodePacket<T['WillTopicResp']>;
export type WillMsgRespPacket = ReturnCodePacket<T['WillMsgResp']>;
/** 5.4.6, 5.4.8, 5.4.20: a header and nothing else. */
export interface EmptyPacket<K extends SnMsgType> {
  type: K;
}
export type WillTopicReqPacket = EmptyPacket<T['WillTopicReq']>;
export type WillMsgReqPacket = EmptyPacket<T['WillMsgReq']>;
export type PingrespPacket = EmptyPacket<T['Pingresp']>;
/** 5.4.7 and 5.4.22: an empty topic (no Flags either) deletes the will. */
export interface WillTopicPacket<K extends T['WillTopic'] | T['WillTopicUpd']> {
  type: K;
  qos: 0 | 1 | 2;
  retain: boolean;
  willTopic: string;
}
/** 5.4.9 and 5.4.23 */
export interface WillMsgPacket<K extends T['WillMsg'] | T['WillMsgUpd']> {
  type: K;
  willMessage: Buffer;
}
/** 5.4.10 */
export interface RegisterPacket {
  type: T['Register'];
  topicId: number;
  msgId: number;
  topicName: string;
}
/** 5.4.11 and 5.4.13 */
export interface TopicAckPacket<K extends T['Regack'] | T['Puback']> {
  type: K;
  topicId: number;
  msgId: number;
  returnCode: SnReturnCode;
}
export type RegackPacket = TopicAckPacket<T['Regack']>;
export type PubackPacket = TopicAckPacket<T['Puback']>;
/** 5.4.12. A short topic name travels as its two octets in `topicId` (see shortTopicId). */
export interface PublishPacket {
  type: T['Publish'];
  dup: boolean;
  qos: SnQoS;
  retain: boolean;
  topicIdType: TopicIdType;
  topicId: number;
  msgId: number;
  data: Buffer;
}
/** 5.4.14 (PUBREC, PUBREL, PUBCOMP) and 5.4.18 (UNSUBACK): a MsgId only. */
export interface MsgIdPacket<K extends T['Pubrec'] | T['Pubrel'] | T['Pubcomp'] | T['Unsuback']> {
  type: K;
  msgId: number;
}
/**
 * 5.4.15 and 5.4.17: `topic` is a name (normal: may hold wildcards; short: two characters)
 * or, for a pre-defined topic id, a number.
 */
export interface SubscribePacket<K extends T['Subscribe'] | T['Unsubscribe']> {
  type: K;
  dup: boolean;
  qos: SnQoS;
  topicIdType: TopicIdType;
  msgId: number;
  topic: string | number;
}
/** 5.4.16 */
export interface SubackPacket {
  type: T['Suback'];
  qos: SnQoS;
  topicId: number;
  msgId: number;
  returnCode: SnReturnCode;
}
/** 5.4.19: a sleeping client names itself when it wakes (6.14). */
export interface PingreqPacket {
  type: T['Pingreq'];
  clientId?: string;
}
/** 5.4.21: a Duration asks to sleep that many seconds (6.14). */
export interface DisconnectPacket {
  type: T['Disconnect'];
  duration?: number;
}

export type SnPacket =
  | AdvertisePacket
  | SearchGwPacket
  | GwInfoPacket
  | ConnectPacket
  | ConnackPacket
  | WillTopicReqPacket
  | WillTopicPacket<T['WillTopic']>
  | WillMsgReqPacket
  | WillMsgPacket<T['WillMsg']>
  | RegisterPacket
  | RegackPacket
  | PublishPacket
  | PubackPacket
  | MsgIdPacket<T['Pubrec']>
  | MsgIdPacket<T['Pubrel']>
  | MsgIdPacket<T['Pubcomp']>
  | SubscribePacket<T['Subscribe']>
  | SubackPacket
  | SubscribePacket<T['Unsubscribe']>
  | MsgIdPacket<T['Unsuback']>
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | WillTopicPacket<T['WillTopicUpd']>
  | WillTopicRespPacket
  | WillMsgPacket<T['WillMsgUpd']>
  | WillMsgRespPacket;

export type SnPacketOf<K extends SnPacket['type']> = Extract<SnPacket, { type: K }>;

/** The two characters of a short topic name as the TopicId field holds them (5.3.11). */
export function shortTopicId(name: string): number {
  return (name.charCodeAt(0) << 8) | name.charCodeAt(1);
}

export function shortTopicName(topicId: number): string {
  return String.fromCharCode(topicId >> 8, topicId & 0xff);
}
