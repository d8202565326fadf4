// Byte-level fixtures for every MQTT-SN v1.2 message type (section 5.4), decoded and encoded:
// each row's bytes decode to its packet, and the packet encodes to the same bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeSn,
  encodeSn,
  SnDecodeError,
  SnMsgType as M,
  type SnPacket,
  shortTopicId,
  shortTopicName,
} from '../../src/mqttsn/index.js';

const b = (...octets: number[]) => Buffer.from(octets);
const ascii = (s: string) => [...Buffer.from(s)];

const fixtures: [section: string, bytes: Buffer, packet: SnPacket][] = [
  [
    '5.4.1 ADVERTISE',
    b(5, 0x00, 7, 0x03, 0x84),
    { type: M.Advertise, gatewayId: 7, duration: 900 },
  ],
  ['5.4.2 SEARCHGW', b(3, 0x01, 1), { type: M.SearchGw, radius: 1 }],
  ['5.4.3 GWINFO from a gateway', b(3, 0x02, 7), { type: M.GwInfo, gatewayId: 7 }],
  [
    '5.4.3 GWINFO from a client, with GwAdd',
    b(5, 0x02, 7, 0xc0, 0xa8),
    { type: M.GwInfo, gatewayId: 7, gatewayAddress: b(0xc0, 0xa8) },
  ],
  [
    '5.4.4 CONNECT with Will and CleanSession',
    b(9, 0x04, 0x0c, 0x01, 0x00, 0x3c, ...ascii('dev')),
    {
      type: M.Connect,
      will: true,
      cleanSession: true,
      protocolId: 1,
      duration: 60,
      clientId: 'dev',
    },
  ],
  ['5.4.5 CONNACK', b(3, 0x05, 0x00), { type: M.Connack, returnCode: 0 }],
  ['5.4.6 WILLTOPICREQ', b(2, 0x06), { type: M.WillTopicReq }],
  [
    '5.4.7 WILLTOPIC QoS 1 retained',
    b(6, 0x07, 0x30, ...ascii('w/t')),
    { type: M.WillTopic, qos: 1, retain: true, willTopic: 'w/t' },
  ],
  [
    '5.4.7 empty WILLTOPIC',
    b(2, 0x07),
    { type: M.WillTopic, qos: 0, retain: false, willTopic: '' },
  ],
  ['5.4.8 WILLMSGREQ', b(2, 0x08), { type: M.WillMsgReq }],
  [
    '5.4.9 WILLMSG',
    b(5, 0x09, ...ascii('bye')),
    { type: M.WillMsg, willMessage: b(...ascii('bye')) },
  ],
  [
    '5.4.10 REGISTER',
    b(9, 0x0a, 0x00, 0x00, 0x00, 0x05, ...ascii('a/b')),
    { type: M.Register, topicId: 0, msgId: 5, topicName: 'a/b' },
  ],
  [
    '5.4.11 REGACK',
    b(7, 0x0b, 0x00, 0x01, 0x00, 0x05, 0x00),
    { type: M.Regack, topicId: 1, msgId: 5, returnCode: 0 },
  ],
  [
    '5.4.12 PUBLISH QoS 1 normal topic id',
    b(9, 0x0c, 0x20, 0x00, 0x01, 0x12, 0x34, 0x68, 0x69),
    {
      type: M.Publish,
      dup: false,
      qos: 1,
      retain: false,
      topicIdType: 0,
      topicId: 1,
      msgId: 0x1234,
      data: b(0x68, 0x69),
    },
  ],
  [
    '5.4.12 PUBLISH QoS -1 DUP RETAIN short topic name',
    b(8, 0x0c, 0xf2, 0x61, 0x62, 0x00, 0x00, 0x01),
    {
      type: M.Publish,
      dup: true,
      qos: -1,
      retain: true,
      topicIdType: 2,
      topicId: shortTopicId('ab'),
      msgId: 0,
      data: b(1),
    },
  ],
  [
    '5.4.13 PUBACK invalid topic id',
    b(7, 0x0d, 0x00, 0x09, 0x00, 0x02, 0x02),
    { type: M.Puback, topicId: 9, msgId: 2, returnCode: 2 },
  ],
  ['5.4.14 PUBREC', b(4, 0x0f, 0x00, 0x07), { type: M.Pubrec, msgId: 7 }],
  ['5.4.14 PUBREL', b(4, 0x10, 0x00, 0x07), { type: M.Pubrel, msgId: 7 }],
  ['5.4.14 PUBCOMP', b(4, 0x0e, 0x00, 0x07), { type: M.Pubcomp, msgId: 7 }],
  [
    '5.4.15 SUBSCRIBE with a wildcard topic name, QoS 2',
    b(8, 0x12, 0x40, 0x00, 0x03, ...ascii('a/#')),
    { type: M.Subscribe, dup: false, qos: 2, topicIdType: 0, msgId: 3, topic: 'a/#' },
  ],
  [
    '5.4.15 SUBSCRIBE to a pre-defined topic id',
    b(7, 0x12, 0x21, 0x00, 0x03, 0x00, 0x0a),
    { type: M.Subscribe, dup: false, qos: 1, topicIdType: 1, msgId: 3, topic: 10 },
  ],
  [
    '5.4.15 SUBSCRIBE to a short topic name',
    b(7, 0x12, 0x02, 0x00, 0x03, ...ascii('xy')),
    { type: M.Subscribe, dup: false, qos: 0, topicIdType: 2, msgId: 3, topic: 'xy' },
  ],
  [
    '5.4.16 SUBACK',
    b(8, 0x13, 0x20, 0x00, 0x04, 0x00, 0x03, 0x00),
    { type: M.Suback, qos: 1, topicId: 4, msgId: 3, returnCode: 0 },
  ],
  [
    '5.4.17 UNSUBSCRIBE',
    b(6, 0x14, 0x00, 0x00, 0x08, ...ascii('t')),
    { type: M.Unsubscribe, dup: false, qos: 0, topicIdType: 0, msgId: 8, topic: 't' },
  ],
  ['5.4.18 UNSUBACK', b(4, 0x15, 0x00, 0x08), { type: M.Unsuback, msgId: 8 }],
  ['5.4.19 PINGREQ', b(2, 0x16), { type: M.Pingreq }],
  [
    '5.4.19 PINGREQ of a waking client',
    b(4, 0x16, ...ascii('id')),
    { type: M.Pingreq, clientId: 'id' },
  ],
  ['5.4.20 PINGRESP', b(2, 0x17), { type: M.Pingresp }],
  ['5.4.21 DISCONNECT', b(2, 0x18), { type: M.Disconnect }],
  [
    '5.4.21 DISCONNECT with a sleep Duration',
    b(4, 0x18, 0x01, 0x2c),
    { type: M.Disconnect, duration: 300 },
  ],
  [
    '5.4.22 WILLTOPICUPD',
    b(4, 0x1a, 0x40, ...ascii('w')),
    { type: M.WillTopicUpd, qos: 2, retain: false, willTopic: 'w' },
  ],
  [
    '5.4.22 empty WILLTOPICUPD',
    b(2, 0x1a),
    { type: M.WillTopicUpd, qos: 0, retain: false, willTopic: '' },
  ],
  ['5.4.23 WILLMSGUPD', b(3, 0x1c, 0x21), { type: M.WillMsgUpd, willMessage: b(0x21) }],
  ['5.4.24 WILLTOPICRESP', b(3, 0x1b, 0x00), { type: M.WillTopicResp, returnCode: 0 }],
  ['5.4.25 WILLMSGRESP', b(3, 0x1d, 0x03), { type: M.WillMsgResp, returnCode: 3 }],
];

describe('MQTT-SN codec: the message formats of section 5.4', () => {
  for (const [section, bytes, packet] of fixtures) {
    it(`MQTT-SN ${section}: decodes`, () => assert.deepEqual(decodeSn(bytes), packet));
    it(`MQTT-SN ${section}: encodes`, () => assert.deepEqual(encodeSn(packet), bytes));
  }

  it('MQTT-SN 5.2.1: a message over 255 octets takes the 0x01 + 2-octet Length header', () => {
    const data = Buffer.alloc(300, 0x41);
    const packet: SnPacket = {
      type: M.Publish,
      dup: false,
      qos: 0,
      retain: false,
      topicIdType: 1,
      topicId: 1,
      msgId: 0,
      data,
    };
    const bytes = encodeSn(packet);
    assert.equal(bytes.length, 4 + 5 + 300);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x01, 0x01, 0x35, 0x0c]);
    assert.deepEqual(decodeSn(bytes), packet);
  });

  it('MQTT-SN 5.2.1: a message too long for the Length field is refused on encoding', () => {
    const packet: SnPacket = { type: M.WillMsg, willMessage: Buffer.alloc(70_000) };
    assert.throws(() => encodeSn(packet), RangeError);
  });

  it('MQTT-SN 5.3.11: a short topic name is its two octets', () => {
    assert.equal(shortTopicId('ab'), 0x6162);
    assert.equal(shortTopicName(0x6162), 'ab');
  });
});

const malformed: [what: string, bytes: Buffer, kind: 'malformed' | 'unknownType'][] = [
  ['empty datagram', b(), 'malformed'],
  ['one octet', b(2), 'malformed'],
  ['Length field larger than the datagram', b(5, 0x16), 'malformed'],
  ['Length field smaller than the datagram', b(2, 0x16, 0x41), 'malformed'],
  ['long header cut short', b(0x01, 0x00), 'malformed'],
  ['long header with a wrong length', b(0x01, 0x00, 0x09, 0x16), 'malformed'],
  ['unknown MsgType 0x03', b(2, 0x03), 'unknownType'],
  ['unknown MsgType 0xff', b(2, 0xff), 'unknownType'],
  ['encapsulated message (forwarders unsupported)', b(3, 0xfe, 0x00), 'unknownType'],
  ['truncated PUBLISH', b(5, 0x0c, 0x20, 0x00, 0x01), 'malformed'],
  ['truncated CONNECT', b(4, 0x04, 0x04, 0x01), 'malformed'],
  ['REGACK with extra octets', b(8, 0x0b, 0, 1, 0, 1, 0, 9), 'malformed'],
  ['PUBACK with an unknown ReturnCode', b(7, 0x0d, 0, 1, 0, 1, 9), 'malformed'],
  ['reserved TopicIdType 0b11', b(7, 0x0c, 0x03, 0, 1, 0, 0), 'malformed'],
  ['SUBSCRIBE without a topic', b(5, 0x12, 0x00, 0, 1), 'malformed'],
  ['pre-defined SUBSCRIBE with a 3-octet id', b(8, 0x12, 0x01, 0, 1, 0, 1, 2), 'malformed'],
  ['WILLTOPIC with QoS -1', b(4, 0x07, 0x60, 0x41), 'malformed'],
  ['DISCONNECT with a 1-octet duration', b(3, 0x18, 1), 'malformed'],
];

describe('MQTT-SN codec: hostile datagrams (5.2)', () => {
  for (const [what, bytes, kind] of malformed) {
    it(`refuses ${what} as ${kind}`, () => {
      assert.throws(
        () => decodeSn(bytes),
        (error: unknown) => error instanceof SnDecodeError && error.kind === kind,
      );
    });
  }
});
