// An application message as it travels through the broker, with its encodings cached so that
// a PUBLISH is encoded once per variant and shared by every recipient.
import type { ProtocolVersion, QoS } from '../protocol/constants.js';
import { encode } from '../protocol/index.js';
import { NO_PROPERTIES, type Properties } from '../protocol/packets.js';
import type { MessageRecord } from './ports.js';

export interface Message extends MessageRecord {
  /** Client id of the publisher, for No Local; absent for broker-made messages. */
  origin?: string;
  /** Encoded PUBLISH per variant (see variantIndex), filled on first use. */
  encoded?: (Buffer | undefined)[];
  /** True once the payload is a copy of its own (see ownPayload). */
  ownsPayload?: boolean;
}

/**
 * A decoded payload is a view into the socket's read chunk. A message that waits in a queue
 * must not pin that whole chunk (up to 64 KiB for a few bytes): copy it, once per message.
 */
export function ownPayload(message: Message): void {
  const payload = message.payload;
  if (message.ownsPayload || payload.byteLength === payload.buffer.byteLength) return;
  // A preset encoding is a view into the same chunk (presetEncoding); encodings made here
  // are buffers of their own and stay.
  if (message.encoded?.some((bytes) => bytes?.buffer === payload.buffer))
    message.encoded = undefined;
  message.payload = Buffer.from(payload);
  message.ownsPayload = true;
}

/** What varies per recipient beyond the shared encoding. */
export interface PublishVariant {
  version: ProtocolVersion;
  qos: QoS;
  retain: boolean;
  subscriptionIdentifiers?: number[];
  /** Outbound Topic Alias; `aliasOnly` sends an empty topic name with it. */
  topicAlias?: number;
  aliasOnly?: boolean;
}

/** 3.1 and 3.1.1 PUBLISHes are byte-identical, so they share a slot. */
function variantIndex(v: PublishVariant): number {
  return (v.version === 5 ? 6 : 0) + v.qos * 2 + (v.retain ? 1 : 0);
}

function isShareable(message: Message, v: PublishVariant): boolean {
  return message.expiresAt === undefined && !v.subscriptionIdentifiers && !v.topicAlias;
}

/** Properties sent with the message: those of the publisher minus per-hop ones [MQTT-3.3.2-17]. */
function outboundProperties(message: Message, v: PublishVariant, now: number): Properties {
  if (v.version !== 5) return NO_PROPERTIES;
  const base = message.properties;
  if (message.expiresAt === undefined && !v.subscriptionIdentifiers && !v.topicAlias) {
    if (base.topicAlias === undefined && base.subscriptionIdentifiers === undefined) return base;
  }
  const props: Properties = { ...base };
  delete props.topicAlias;
  delete props.subscriptionIdentifiers;
  // [MQTT-3.3.2-6] forward the remaining lifetime, not the original interval.
  if (message.expiresAt !== undefined) {
    props.messageExpiryInterval = Math.max(1, Math.ceil((message.expiresAt - now) / 1000));
  }
  if (v.subscriptionIdentifiers) props.subscriptionIdentifiers = v.subscriptionIdentifiers;
  if (v.topicAlias) props.topicAlias = v.topicAlias;
  return props;
}

function encodeVariant(message: Message, v: PublishVariant, now: number): Buffer {
  return encode(
    {
      type: 3,
      topic: v.aliasOnly ? '' : message.topic,
      payload: message.payload,
      qos: v.qos,
      retain: v.retain,
      dup: false,
      packetId: v.qos > 0 ? 1 : undefined,
      properties: outboundProperties(message, v, now),
    },
    v.version,
  );
}

/**
 * A message that arrives already encoded as a 3.1.1 PUBLISH with its own QoS and RETAIN (and
 * packet id 1, no DUP), as another cluster node sends it: that is the variant 3.1.1
 * recipients of the same QoS and RETAIN get, without encoding it again.
 */
export function presetEncoding(message: Message, publish: Buffer): void {
  message.encoded = [];
  message.encoded[variantIndex({ version: 4, qos: message.qos, retain: message.retain })] = publish;
}

/**
 * The encoded PUBLISH for a variant. QoS 1/2 encodings carry a placeholder packet id that
 * the writer patches per recipient (see writePublish in output.ts).
 */
export function encodedPublish(message: Message, v: PublishVariant, now: number): Buffer {
  if (!isShareable(message, v)) return encodeVariant(message, v, now);
  if (message.encoded === undefined) message.encoded = [];
  const i = variantIndex(v);
  let bytes = message.encoded[i];
  if (bytes === undefined) {
    bytes = encodeVariant(message, v, now);
    message.encoded[i] = bytes;
  }
  return bytes;
}
