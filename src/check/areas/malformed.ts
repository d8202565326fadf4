// Malformed input (hostile: run with --hostile only): hand-made packets a server must not
// accept. After each the server must close the connection, a DISCONNECT/CONNACK with a
// reason code of 0x80 or more allowed first; a malformed DISCONNECT is not a normal one, so
// the will is published.
import { PacketType } from '../../protocol/index.js';
import { CONNECT_FLAGS_OFFSET, frame, rawPublish, stringField, withBodyByte } from '../bytes.js';
import type { CheckContext } from '../context.js';
import { type CheckSpec, defineChecks } from '../define.js';
import { expectClosed, subscribed, text } from '../steps.js';
import { type CheckVersion, ensure } from '../types.js';

interface Row {
  id: string;
  title: string;
  rules: CheckSpec['rules'];
  bytes(ctx: CheckContext): Buffer;
  /** Sent instead of CONNECT (a malformed CONNECT). */
  asConnect?: boolean;
  /** A malformed DISCONNECT: the will must be published. */
  disconnect?: boolean;
}

/** The Property Length and properties of 5.0; nothing in 3.1.1. */
const props = (v: CheckVersion, ...bytes: number[]) => (v === 5 ? [bytes.length, ...bytes] : []);
const topic = (ctx: CheckContext) => stringField(ctx.topic());
/** Flags of the fixed header must be as listed in 2.1.3; any other value is malformed. */
const FLAGS = { 4: ['MQTT-2.2.2-1', 'MQTT-2.2.2-2'], 5: ['MQTT-2.1.3-1', 'MQTT-4.13.1-1'] };
const VIOLATION = { 4: ['MQTT-4.8.0-1'], 5: ['MQTT-4.13.1-1'] };
const V5_VIOLATION = { 5: ['MQTT-4.13.1-1'] };
const UTF8 = { 4: ['MQTT-1.5.3-1'], 5: ['MQTT-1.5.4-1'] };
const CONNECT = { 4: ['MQTT-3.1.4-1'], 5: ['MQTT-3.1.4-1'] };
const ascii = (s: string) => [...Buffer.from(s)];

const ROWS: Row[] = [
  {
    id: 'puback-flags',
    title: 'PUBACK with reserved flags 0010',
    rules: FLAGS,
    bytes: () => frame(0x42, [0, 1]),
  },
  {
    id: 'pubrec-flags',
    title: 'PUBREC with reserved flags 0001',
    rules: FLAGS,
    bytes: () => frame(0x51, [0, 1]),
  },
  {
    id: 'pubrel-flags',
    title: 'PUBREL with flags 0000 instead of 0010',
    rules: { 4: ['MQTT-3.6.1-1', 'MQTT-2.2.2-2'], 5: ['MQTT-3.6.1-1'] },
    bytes: () => frame(0x60, [0, 1]),
  },
  {
    id: 'pubcomp-flags',
    title: 'PUBCOMP with reserved flags 0001',
    rules: FLAGS,
    bytes: () => frame(0x71, [0, 1]),
  },
  {
    id: 'subscribe-flags',
    title: 'SUBSCRIBE with flags 0000 instead of 0010',
    rules: { 4: ['MQTT-3.8.1-1', 'MQTT-2.2.2-2'], 5: ['MQTT-3.8.1-1'] },
    bytes: (c) => frame(0x80, [0, 1], props(c.version), topic(c), [0]),
  },
  {
    id: 'unsubscribe-flags',
    title: 'UNSUBSCRIBE with flags 0000 instead of 0010',
    rules: { 4: ['MQTT-3.10.1-1', 'MQTT-2.2.2-2'], 5: ['MQTT-3.10.1-1'] },
    bytes: (c) => frame(0xa0, [0, 1], props(c.version), topic(c)),
  },
  {
    id: 'pingreq-flags',
    title: 'PINGREQ with reserved flags 0001',
    rules: FLAGS,
    bytes: () => frame(0xc1),
  },
  {
    id: 'pingreq-payload',
    title: 'PINGREQ with a Remaining Length of 1',
    rules: VIOLATION,
    bytes: () => frame(0xc0, [0]),
  },
  {
    id: 'disconnect-flags',
    title: 'DISCONNECT with reserved flags 0001 (the will is published)',
    rules: { 4: ['MQTT-3.14.1-1'], 5: ['MQTT-3.14.1-1'] },
    bytes: () => frame(0xe1),
    disconnect: true,
  },
  {
    id: 'disconnect-reason',
    title: 'DISCONNECT with the undefined reason code 0x03 (the will is published)',
    rules: { 5: ['MQTT-3.14.2-1'] },
    bytes: () => frame(0xe0, [3]),
    disconnect: true,
  },
  {
    id: 'publish-qos3',
    title: 'PUBLISH with QoS 3',
    rules: { 4: ['MQTT-3.3.1-4'], 5: ['MQTT-3.3.1-4'] },
    bytes: (c) => frame(0x36, topic(c), [0, 1], props(c.version), ascii('x')),
  },
  {
    id: 'qos0-dup',
    title: 'QoS 0 PUBLISH with DUP set',
    rules: { 4: ['MQTT-3.3.1-2', 'MQTT-2.2.2-2'], 5: ['MQTT-3.3.1-2', 'MQTT-4.13.1-1'] },
    bytes: (c) => frame(0x38, topic(c), props(c.version), ascii('x')),
  },
  {
    id: 'publish-id-zero',
    title: 'QoS 1 PUBLISH with packet id 0',
    rules: { 4: ['MQTT-2.3.1-1'], 5: ['MQTT-4.13.1-1'] },
    bytes: (c) => frame(0x32, topic(c), [0, 0], props(c.version), ascii('x')),
  },
  {
    id: 'topic-bad-utf8',
    title: 'Topic Name that is not UTF-8 (C3 28)',
    rules: UTF8,
    bytes: (c) => rawPublish(c.version, Buffer.from([0x61, 0xc3, 0x28])),
  },
  {
    id: 'topic-surrogate',
    title: 'Topic Name with an encoded surrogate (ED A0 80)',
    rules: UTF8,
    bytes: (c) => rawPublish(c.version, Buffer.from([0x61, 0xed, 0xa0, 0x80])),
  },
  {
    id: 'topic-null',
    title: 'Topic Name containing U+0000',
    rules: { 4: ['MQTT-1.5.3-2', 'MQTT-4.7.3-2'], 5: ['MQTT-1.5.4-2', 'MQTT-4.7.3-2'] },
    bytes: (c) => rawPublish(c.version, Buffer.from('a\0b')),
  },
  {
    id: 'topic-empty',
    title: 'PUBLISH with an empty Topic Name (and no Topic Alias)',
    rules: { 4: ['MQTT-4.7.3-1'], 5: ['MQTT-4.7.3-1'] },
    bytes: (c) => rawPublish(c.version, Buffer.alloc(0)),
  },
  {
    id: 'topic-past-end',
    title: 'PUBLISH whose Topic Name length runs past the packet',
    rules: VIOLATION,
    bytes: () => frame(0x30, [0, 50], ascii('abc')),
  },
  {
    id: 'remaining-length-5-bytes',
    title: 'Remaining Length of five bytes',
    rules: VIOLATION,
    bytes: () => Buffer.from([0xc0, 0xff, 0xff, 0xff, 0xff, 0x7f]),
  },
  {
    id: 'reserved-type',
    title: 'Packet type 0 (reserved)',
    rules: VIOLATION,
    bytes: () => frame(0x00),
  },
  {
    id: 'auth-in-3.1.1',
    title: 'Packet type 15 (AUTH) in 3.1.1, where it is reserved',
    rules: { 4: ['MQTT-4.8.0-1'] },
    bytes: () => frame(0xf0),
  },
  {
    id: 'subscribe-empty',
    title: 'SUBSCRIBE without any topic filter',
    rules: { 4: ['MQTT-3.8.3-3'], 5: ['MQTT-3.8.3-2'] },
    bytes: (c) => frame(0x82, [0, 1], props(c.version)),
  },
  {
    id: 'unsubscribe-empty',
    title: 'UNSUBSCRIBE without any topic filter',
    rules: { 4: ['MQTT-3.10.3-2'], 5: ['MQTT-3.10.3-2'] },
    bytes: (c) => frame(0xa2, [0, 1], props(c.version)),
  },
  {
    id: 'subscribe-qos3',
    title: 'SUBSCRIBE requesting QoS 3',
    rules: { 4: ['MQTT-3.8.3-4'], 5: ['MQTT-4.13.1-1'] },
    bytes: (c) => frame(0x82, [0, 1], props(c.version), topic(c), [3]),
  },
  {
    id: 'subscribe-reserved-bits',
    title: 'SUBSCRIBE with reserved option bits set',
    rules: { 4: ['MQTT-3.8.3-4'], 5: ['MQTT-3.8.3-5'] },
    bytes: (c) => frame(0x82, [0, 1], props(c.version), topic(c), [0xc0]),
  },
  {
    id: 'subscribe-id-zero',
    title: 'SUBSCRIBE with packet id 0',
    rules: { 4: ['MQTT-2.3.1-1'], 5: ['MQTT-4.13.1-1'] },
    bytes: (c) => frame(0x82, [0, 0], props(c.version), topic(c), [0]),
  },
  {
    id: 'retain-handling-3',
    title: 'SUBSCRIBE with Retain Handling 3',
    rules: V5_VIOLATION,
    bytes: (c) => frame(0x82, [0, 1], [0], topic(c), [0x30]),
  },
  {
    id: 'subscription-id-zero',
    title: 'SUBSCRIBE with Subscription Identifier 0',
    rules: V5_VIOLATION,
    bytes: (c) => frame(0x82, [0, 1], [2, 0x0b, 0], topic(c), [0]),
  },
  {
    id: 'property-not-allowed',
    title: 'PUBLISH carrying a Session Expiry Interval property',
    rules: V5_VIOLATION,
    bytes: (c) => frame(0x30, topic(c), [5, 0x11, 0, 0, 0, 5], ascii('x')),
  },
  {
    id: 'property-twice',
    title: 'PUBLISH carrying Payload Format Indicator twice',
    rules: V5_VIOLATION,
    bytes: (c) => frame(0x30, topic(c), [4, 1, 1, 1, 1], ascii('x')),
  },
  {
    id: 'subscription-id-in-publish',
    title: 'PUBLISH from a client carrying a Subscription Identifier',
    rules: V5_VIOLATION,
    bytes: (c) => frame(0x30, topic(c), [2, 0x0b, 1], ascii('x')),
  },
  {
    id: 'user-property-bad-utf8',
    title: 'User Property name that is not UTF-8',
    rules: { 5: ['MQTT-1.5.7-1', 'MQTT-1.5.4-1'] },
    bytes: (c) => frame(0x30, topic(c), [8, 0x26, 0, 2, 0xc3, 0x28, 0, 1, 0x61], ascii('x')),
  },
  {
    id: 'content-type-bad-utf8',
    title: 'Content Type that is not UTF-8',
    rules: { 5: ['MQTT-3.3.2-19', 'MQTT-1.5.4-1'] },
    bytes: (c) => frame(0x30, topic(c), [5, 0x03, 0, 2, 0xc3, 0x28], ascii('x')),
  },
  {
    id: 'response-topic-wildcard',
    title: 'Response Topic holding a wildcard',
    rules: { 5: ['MQTT-3.3.2-14'] },
    bytes: (c) => frame(0x30, topic(c), [6, 0x08, 0, 3, ...ascii('a/#')], ascii('x')),
  },
  {
    id: 'puback-bad-reason',
    title: 'PUBACK with the undefined reason code 0x01',
    rules: { 5: ['MQTT-3.4.2-1'] },
    bytes: () => frame(0x40, [0, 1, 1]),
  },
  {
    id: 'pubrel-bad-reason',
    title: 'PUBREL with the undefined reason code 0x01',
    rules: { 5: ['MQTT-3.6.2-1'] },
    bytes: () => frame(0x62, [0, 1, 1]),
  },
  {
    id: 'connect-will-qos-without-will',
    title: 'CONNECT with Will QoS 1 but no Will Flag',
    rules: CONNECT,
    asConnect: true,
    bytes: (c) => withBodyByte(c.connectPacket(), c.version, CONNECT_FLAGS_OFFSET, (b) => b | 0x08),
  },
  {
    id: 'connect-will-retain-without-will',
    title: 'CONNECT with Will Retain but no Will Flag',
    rules: CONNECT,
    asConnect: true,
    bytes: (c) => withBodyByte(c.connectPacket(), c.version, CONNECT_FLAGS_OFFSET, (b) => b | 0x20),
  },
  {
    id: 'connect-will-qos3',
    title: 'CONNECT with Will QoS 3',
    rules: CONNECT,
    asConnect: true,
    bytes: (c) =>
      withBodyByte(
        c.connectPacket({ will: { topic: c.topic() } }),
        c.version,
        CONNECT_FLAGS_OFFSET,
        (b) => b | 0x18,
      ),
  },
  {
    id: 'connect-client-id-bad-utf8',
    title: 'CONNECT whose Client Identifier is not UTF-8',
    rules: UTF8,
    asConnect: true,
    bytes: (c) =>
      frame(
        0x10,
        stringField('MQTT'),
        [c.version, 0x02, 0, 60],
        props(c.version),
        stringField(Buffer.from([0x61, 0xc3, 0x28])),
      ),
  },
];

function malformedCheck(row: Row): CheckSpec {
  return {
    id: row.id,
    title: `${row.title} is refused: the server closes`,
    rules: row.rules,
    hostile: true,
    async run(ctx) {
      if (row.disconnect) return willAfter(ctx, row.bytes(ctx));
      const connection = row.asConnect ? await ctx.open() : await ctx.connected();
      await connection.send(row.bytes(ctx));
      await expectClosed(ctx, connection);
    },
  };
}

/** A malformed DISCONNECT ends the connection abnormally: the will must be published. */
async function willAfter(ctx: CheckContext, bytes: Buffer): Promise<void> {
  const watcher = await ctx.connected({ clientId: ctx.clientId('w') });
  await subscribed(ctx, watcher, ctx.topic());
  const client = await ctx.connected({
    will: { topic: ctx.topic(), payload: Buffer.from('will') },
  });
  await client.send(bytes);
  const will = await watcher.expect(
    PacketType.Publish,
    ctx.timeout,
    '(the will: that DISCONNECT was malformed)',
  );
  ensure(text(will) === 'will', `published ${text(will)}`);
}

export const malformedChecks = defineChecks('malformed', ROWS.map(malformedCheck));
