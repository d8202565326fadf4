// Malformed and forbidden input: each row one validation rule, with the 5.0 reason code the
// decoder must report and the spec statement it cites.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MqttError, PacketDecoder, ProtocolVersion, ReasonCode } from '../../src/protocol/index.js';
import { bytes } from './helpers.js';

const { V31, V311, V5 } = ProtocolVersion;
const MALFORMED = ReasonCode.MalformedPacket;
const PROTOCOL = ReasonCode.ProtocolError;
const TOPIC = ReasonCode.TopicNameInvalid;
const VERSION = ReasonCode.UnsupportedProtocolVersion;
/** A server before CONNECT: the decoder learns the version from the packet. */
const SERVER = undefined;

interface Row {
  what: string;
  version: ProtocolVersion | undefined;
  wire: string;
  reasonCode: number;
  ruleId?: string;
  maximumPacketSize?: number;
}

const CONNECT_V4 = '00 04 4d 51 54 54 04'; // "MQTT", level 4
const CONNECT_V5 = '00 04 4d 51 54 54 05'; // "MQTT", level 5

const fixedHeader: Row[] = [
  { what: 'reserved packet type 0', version: V311, wire: '00 00', reasonCode: MALFORMED },
  { what: 'AUTH before 5.0', version: V311, wire: 'f0 00', reasonCode: MALFORMED },
  {
    what: 'PUBREL flags 0000',
    version: V311,
    wire: '60 02 00 01',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.6.1-1',
  },
  {
    what: 'SUBSCRIBE flags 0000',
    version: V311,
    wire: '80 06 00 01 00 01 61 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.8.1-1',
  },
  {
    what: 'UNSUBSCRIBE flags 0000',
    version: V5,
    wire: 'a0 06 00 01 00 00 01 61',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.10.1-1',
  },
  {
    what: 'DISCONNECT flags 0001',
    version: V5,
    wire: 'e1 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.14.1-1',
  },
  {
    what: 'AUTH flags 0001',
    version: V5,
    wire: 'f1 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.15.1-1',
  },
  {
    what: 'PINGREQ flags 0001',
    version: V311,
    wire: 'c1 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-2.2.2-1',
  },
  {
    what: 'PINGREQ flags 0001',
    version: V5,
    wire: 'c1 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-2.1.3-1',
  },
  {
    what: 'CONNECT flags 0010',
    version: SERVER,
    wire: `12 0d ${CONNECT_V4} 02 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-2.2.2-1',
  },
  {
    what: 'Remaining Length over 4 bytes',
    version: V311,
    wire: '30 ff ff ff ff 01',
    reasonCode: MALFORMED,
  },
  {
    what: 'Remaining Length not minimally encoded',
    version: V311,
    wire: 'c0 80 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.5-1',
  },
  {
    what: 'packet over the maximum packet size, rejected from its header alone',
    version: V311,
    wire: '30 0f',
    reasonCode: ReasonCode.PacketTooLarge,
    maximumPacketSize: 16,
  },
];

const publish: Row[] = [
  {
    what: 'QoS 3',
    version: V311,
    wire: '36 05 00 01 74 00 01',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.3.1-4',
  },
  {
    what: 'DUP on QoS 0',
    version: V311,
    wire: '38 03 00 01 74',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.3.1-2',
  },
  {
    what: "'+' in Topic Name",
    version: V311,
    wire: '30 05 00 03 61 2f 2b',
    reasonCode: TOPIC,
    ruleId: 'MQTT-3.3.2-2',
  },
  {
    what: "'#' in Topic Name",
    version: V5,
    wire: '30 04 00 01 23 00',
    reasonCode: TOPIC,
    ruleId: 'MQTT-3.3.2-2',
  },
  {
    what: 'Packet Identifier 0 on QoS 1',
    version: V311,
    wire: '32 05 00 01 74 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-2.3.1-1',
  },
  {
    what: 'Packet Identifier 0 on QoS 2',
    version: V5,
    wire: '34 06 00 01 74 00 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-2.2.1-3',
  },
  {
    what: 'Topic Alias 0',
    version: V5,
    wire: '30 07 00 01 74 03 23 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.3.2-8',
  },
  {
    what: 'empty Topic Name without alias',
    version: V5,
    wire: '30 03 00 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-4.7.3-1',
  },
  {
    what: 'empty Topic Name',
    version: V311,
    wire: '30 02 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-4.7.3-1',
  },
  {
    what: 'invalid UTF-8 byte',
    version: V311,
    wire: '30 03 00 01 ff',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.3-1',
  },
  {
    what: 'invalid UTF-8 byte',
    version: V5,
    wire: '30 04 00 01 ff 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.4-1',
  },
  {
    what: 'UTF-8 encoded surrogate U+D800',
    version: V5,
    wire: '30 06 00 03 ed a0 80 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.4-1',
  },
  {
    what: 'overlong UTF-8 form of U+0000',
    version: V311,
    wire: '30 04 00 02 c0 80',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.3-1',
  },
  {
    what: 'U+0000 in a string',
    version: V311,
    wire: '30 04 00 02 61 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.3-2',
  },
  {
    what: 'U+0000 in a string',
    version: V5,
    wire: '30 05 00 02 61 00 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.4-2',
  },
  {
    what: 'U+0000 after non-ASCII text',
    version: V5,
    wire: '30 07 00 04 c3 a9 61 00 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.4-2',
  },
  {
    what: 'Topic Name longer than the packet',
    version: V311,
    wire: '30 03 00 05 61',
    reasonCode: MALFORMED,
  },
  {
    what: 'no Packet Identifier on QoS 1',
    version: V311,
    wire: '32 03 00 01 74',
    reasonCode: MALFORMED,
  },
];

const properties: Row[] = [
  {
    what: 'duplicated Message Expiry Interval',
    version: V5,
    wire: '30 0e 00 01 74 0a 02 00 00 00 01 02 00 00 00 02',
    reasonCode: PROTOCOL,
  },
  {
    what: 'Session Expiry Interval on PUBLISH (not allowed on the packet type, 2.2.2.2)',
    version: V5,
    wire: '30 09 00 01 74 05 11 00 00 00 01',
    reasonCode: MALFORMED,
  },
  {
    what: 'unknown property identifier',
    version: V5,
    wire: '30 06 00 01 74 02 7f 00',
    reasonCode: MALFORMED,
  },
  {
    what: 'Subscription Identifier 0',
    version: V5,
    wire: '30 06 00 01 74 02 0b 00',
    reasonCode: PROTOCOL,
  },
  {
    what: 'wildcard in Response Topic',
    version: V5,
    wire: '30 09 00 01 74 05 08 00 02 61 23',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.3.2-14',
  },
  {
    what: 'Property Length past the packet',
    version: V5,
    wire: '30 05 00 01 74 05 01',
    reasonCode: MALFORMED,
  },
  {
    what: 'property value past the Property Length',
    version: V5,
    wire: '30 08 00 01 74 02 02 00 00 00',
    reasonCode: MALFORMED,
  },
  {
    what: 'Payload Format Indicator 2',
    version: V5,
    wire: '30 06 00 01 74 02 01 02',
    reasonCode: PROTOCOL,
  },
  {
    what: 'User Property name not UTF-8 [MQTT-1.5.7-1]',
    version: V5,
    wire: '30 0b 00 01 74 07 26 00 01 ff 00 01 76',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.4-1',
  },
  {
    what: 'Subscription Identifier twice on SUBSCRIBE',
    version: V5,
    wire: '82 0b 00 01 04 0b 01 0b 02 00 01 61 00',
    reasonCode: PROTOCOL,
  },
  {
    what: 'Topic Alias on PUBACK',
    version: V5,
    wire: '40 07 00 01 00 03 23 00 01',
    reasonCode: MALFORMED,
  },
  {
    what: 'Topic Alias on DISCONNECT',
    version: V5,
    wire: 'e0 05 00 03 23 00 01',
    reasonCode: MALFORMED,
  },
];

const connect: Row[] = [
  {
    what: 'unknown protocol level 6',
    version: SERVER,
    wire: '10 0d 00 04 4d 51 54 54 06 02 00 00 00 01 63',
    reasonCode: VERSION,
    ruleId: 'MQTT-3.1.2-2',
  },
  {
    what: 'protocol name "MQTT" with level 3',
    version: SERVER,
    wire: '10 0d 00 04 4d 51 54 54 03 02 00 00 00 01 63',
    reasonCode: VERSION,
    ruleId: 'MQTT-3.1.2-1',
  },
  {
    what: 'protocol name "MQIsdp" with level 4',
    version: SERVER,
    wire: '10 0f 00 06 4d 51 49 73 64 70 04 02 00 00 00 01 63',
    reasonCode: VERSION,
    ruleId: 'MQTT-3.1.2-1',
  },
  {
    what: 'reserved connect flag',
    version: SERVER,
    wire: `10 0d ${CONNECT_V4} 03 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-3',
  },
  {
    what: 'Will QoS 3',
    version: SERVER,
    wire: `10 0d ${CONNECT_V4} 1e 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-14',
  },
  {
    what: 'Will QoS 3',
    version: SERVER,
    wire: `10 0e ${CONNECT_V5} 1e 00 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-12',
  },
  {
    what: 'Will QoS without Will Flag',
    version: SERVER,
    wire: `10 0d ${CONNECT_V4} 0a 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-13',
  },
  {
    what: 'Will QoS without Will Flag',
    version: SERVER,
    wire: `10 0e ${CONNECT_V5} 0a 00 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-11',
  },
  {
    what: 'Will Retain without Will Flag',
    version: SERVER,
    wire: `10 0d ${CONNECT_V4} 22 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-15',
  },
  {
    what: 'Will Retain without Will Flag',
    version: SERVER,
    wire: `10 0e ${CONNECT_V5} 22 00 00 00 00 01 63`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-13',
  },
  {
    what: 'Password Flag without User Name Flag',
    version: SERVER,
    wire: `10 11 ${CONNECT_V4} 42 00 00 00 01 63 00 02 70 77`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-22',
  },
  {
    what: 'Password Flag without User Name Flag in 3.1',
    version: SERVER,
    wire: '10 13 00 06 4d 51 49 73 64 70 03 42 00 00 00 01 63 00 02 70 77',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.1.2-22',
  },
  {
    what: 'trailing byte after the payload',
    version: SERVER,
    wire: `10 0e ${CONNECT_V4} 02 00 00 00 01 63 00`,
    reasonCode: MALFORMED,
  },
  {
    what: 'password missing though flagged',
    version: SERVER,
    wire: `10 10 ${CONNECT_V4} c2 00 00 00 01 63 00 01 75`,
    reasonCode: MALFORMED,
  },
  {
    what: 'Receive Maximum 0',
    version: SERVER,
    wire: `10 11 ${CONNECT_V5} 02 00 00 03 21 00 00 00 01 63`,
    reasonCode: PROTOCOL,
  },
  {
    what: 'Maximum Packet Size 0',
    version: SERVER,
    wire: `10 13 ${CONNECT_V5} 02 00 00 05 27 00 00 00 00 00 01 63`,
    reasonCode: PROTOCOL,
  },
  {
    what: 'Session Expiry Interval twice',
    version: SERVER,
    wire: `10 18 ${CONNECT_V5} 02 00 00 0a 11 00 00 00 01 11 00 00 00 02 00 01 63`,
    reasonCode: PROTOCOL,
  },
  {
    what: 'Topic Alias in Will Properties',
    version: SERVER,
    wire: `10 17 ${CONNECT_V5} 06 00 00 00 00 01 63 03 23 00 01 00 01 77 00 00`,
    reasonCode: MALFORMED,
  },
  {
    what: 'Topic Alias in CONNECT properties',
    version: SERVER,
    wire: `10 11 ${CONNECT_V5} 02 00 00 03 23 00 01 00 01 63`,
    reasonCode: MALFORMED,
  },
  {
    what: 'wildcard in Will Topic',
    version: SERVER,
    wire: `10 12 ${CONNECT_V4} 06 00 00 00 01 63 00 01 23 00 00`,
    reasonCode: TOPIC,
    ruleId: 'MQTT-3.3.2-2',
  },
  {
    what: 'Request Problem Information 2',
    version: SERVER,
    wire: `10 10 ${CONNECT_V5} 02 00 00 02 17 02 00 01 63`,
    reasonCode: PROTOCOL,
  },
  {
    what: 'Authentication Data without Authentication Method',
    version: SERVER,
    wire: `10 11 ${CONNECT_V5} 02 00 00 03 16 00 00 00 01 63`,
    reasonCode: PROTOCOL,
  },
  {
    what: 'U+0000 in the Client Identifier',
    version: SERVER,
    wire: `10 0d ${CONNECT_V4} 02 00 00 00 01 00`,
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.3-2',
  },
];

const acks: Row[] = [
  {
    what: 'CONNACK reserved acknowledge flags',
    version: V5,
    wire: '20 03 02 00 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.2.2-1',
  },
  {
    what: 'CONNACK reserved acknowledge flags',
    version: V311,
    wire: '20 02 02 00',
    reasonCode: MALFORMED,
  },
  {
    what: 'CONNACK reserved return code 6',
    version: V311,
    wire: '20 02 00 06',
    reasonCode: MALFORMED,
  },
  {
    what: 'CONNACK reason code 0x10',
    version: V5,
    wire: '20 03 00 10 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.2.2-8',
  },
  {
    what: 'CONNACK remaining length 3',
    version: V311,
    wire: '20 03 00 00 00',
    reasonCode: MALFORMED,
  },
  {
    what: 'PUBACK remaining length 3',
    version: V311,
    wire: '40 03 00 01 00',
    reasonCode: MALFORMED,
  },
  {
    what: 'PUBACK Packet Identifier 0',
    version: V311,
    wire: '40 02 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-2.3.1-6',
  },
  {
    what: 'PUBCOMP Packet Identifier 0',
    version: V5,
    wire: '70 02 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-2.2.1-5',
  },
  {
    what: 'PUBACK reason 0x92',
    version: V5,
    wire: '40 03 00 01 92',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.4.2-1',
  },
  {
    what: 'PUBREC reason 0x92',
    version: V5,
    wire: '50 03 00 01 92',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.5.2-1',
  },
  {
    what: 'PUBREL reason 0x10',
    version: V5,
    wire: '62 03 00 01 10',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.6.2-1',
  },
  {
    what: 'PUBCOMP reason 0x80',
    version: V5,
    wire: '70 03 00 01 80',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.7.2-1',
  },
  {
    what: 'SUBACK return code 0x87',
    version: V311,
    wire: '90 03 00 01 87',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.9.3-2',
  },
  {
    what: 'SUBACK reason code 3',
    version: V5,
    wire: '90 04 00 01 00 03',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.9.3-2',
  },
  {
    what: 'SUBACK without a return code',
    version: V311,
    wire: '90 02 00 01',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.8.4-5',
  },
  {
    what: 'SUBACK Packet Identifier 0',
    version: V311,
    wire: '90 03 00 00 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-2.3.1-7',
  },
  { what: 'UNSUBACK with a payload', version: V311, wire: 'b0 03 00 01 00', reasonCode: MALFORMED },
  {
    what: 'UNSUBACK reason code 1',
    version: V5,
    wire: 'b0 04 00 01 00 01',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.11.3-2',
  },
  { what: 'PINGREQ with a body', version: V311, wire: 'c0 01 00', reasonCode: MALFORMED },
  { what: 'PINGRESP with a body', version: V5, wire: 'd0 01 00', reasonCode: MALFORMED },
  { what: 'DISCONNECT with a body', version: V311, wire: 'e0 01 00', reasonCode: MALFORMED },
  {
    what: 'DISCONNECT reason 0x01',
    version: V5,
    wire: 'e0 01 01',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.14.2-1',
  },
  {
    what: 'AUTH reason 0x01',
    version: V5,
    wire: 'f0 01 01',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.15.2-1',
  },
];

const subscribe: Row[] = [
  {
    what: 'SUBSCRIBE without a subscription',
    version: V311,
    wire: '82 02 00 01',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.8.3-3',
  },
  {
    what: 'SUBSCRIBE without a subscription',
    version: V5,
    wire: '82 03 00 01 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.8.3-2',
  },
  {
    what: 'reserved subscription option bits',
    version: V5,
    wire: '82 07 00 01 00 00 01 61 40',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.8.3-5',
  },
  {
    what: 'reserved bits in the requested QoS byte',
    version: V311,
    wire: '82 06 00 01 00 01 61 04',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.8.3-4',
  },
  {
    what: 'requested QoS 3',
    version: V311,
    wire: '82 06 00 01 00 01 61 03',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.8.3-4',
  },
  {
    what: 'subscription QoS 3',
    version: V5,
    wire: '82 07 00 01 00 00 01 61 03',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-3.8.3-5',
  },
  {
    what: 'Retain Handling 3',
    version: V5,
    wire: '82 07 00 01 00 00 01 61 30',
    reasonCode: PROTOCOL,
  },
  {
    what: 'SUBSCRIBE Packet Identifier 0',
    version: V311,
    wire: '82 06 00 00 00 01 61 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-2.3.1-1',
  },
  {
    what: 'topic filter without its options byte',
    version: V311,
    wire: '82 05 00 01 00 01 61',
    reasonCode: MALFORMED,
  },
  {
    what: 'topic filter not UTF-8',
    version: V311,
    wire: '82 06 00 01 00 01 ff 00',
    reasonCode: MALFORMED,
    ruleId: 'MQTT-1.5.3-1',
  },
  {
    what: 'UNSUBSCRIBE without a topic filter',
    version: V311,
    wire: 'a2 02 00 01',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.10.3-2',
  },
  {
    what: 'UNSUBSCRIBE without a topic filter',
    version: V5,
    wire: 'a2 03 00 01 00',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-3.10.3-2',
  },
  {
    what: 'UNSUBSCRIBE Packet Identifier 0',
    version: V5,
    wire: 'a2 06 00 00 00 00 01 61',
    reasonCode: PROTOCOL,
    ruleId: 'MQTT-2.2.1-3',
  },
];

function check(row: Row): void {
  const decoder = new PacketDecoder({
    protocolVersion: row.version,
    maximumPacketSize: row.maximumPacketSize,
  });
  decoder.push(bytes(row.wire));
  let error: unknown;
  try {
    while (decoder.next() !== undefined);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof MqttError, `expected an MqttError, got ${error}`);
  assert.equal(error.reasonCode, row.reasonCode, error.message);
  assert.equal(error.ruleId, row.ruleId, error.message);
}

const tables: [string, Row[]][] = [
  ['fixed header', fixedHeader],
  ['PUBLISH', publish],
  ['properties', properties],
  ['CONNECT', connect],
  ['acknowledgements, PING, DISCONNECT, AUTH', acks],
  ['SUBSCRIBE and UNSUBSCRIBE', subscribe],
];

for (const [name, rows] of tables) {
  describe(`malformed input: ${name}`, () => {
    for (const row of rows) {
      const level = row.version === undefined ? 'server' : `level ${row.version}`;
      const id = row.ruleId ? `[${row.ruleId}] ` : '';
      it(`${id}${row.what} (${level}) → 0x${row.reasonCode.toString(16)}`, () => check(row));
    }
  });
}

describe('accepted edge cases', () => {
  it('3.1 lets a retransmitted PUBREL carry DUP', () => {
    const decoder = new PacketDecoder({ protocolVersion: V31 });
    decoder.push(bytes('6a 02 00 01'));
    assert.equal(decoder.next()?.type, 6);
  });

  it('5.0 allows a password without a user name [MQTT-3.1.2-22 is 3.1.1 only]', () => {
    const decoder = new PacketDecoder();
    decoder.push(bytes(`10 12 ${CONNECT_V5} 42 00 00 00 00 01 63 00 02 70 77`));
    const p = decoder.next();
    assert.equal(p?.type, 1);
    if (p?.type === 1) assert.deepEqual([...(p.password ?? [])], [0x70, 0x77]);
  });

  it('keeps a second CONNECT for the broker to reject [MQTT-3.1.0-2] and keeps the version', () => {
    const decoder = new PacketDecoder();
    decoder.push(bytes(`10 0d ${CONNECT_V4} 02 00 00 00 01 63`));
    decoder.push(bytes('10 0f 00 06 4d 51 49 73 64 70 03 02 00 00 00 01 63'));
    assert.equal(decoder.next()?.type, 1);
    assert.equal(decoder.next()?.type, 1);
    assert.equal(decoder.protocolVersion, V311);
  });
});
