// Malformed and forbidden input in the fixed header, PUBLISH and properties: each row one
// validation rule, with the 5.0 reason code the decoder must report and the rule it cites.
import { ProtocolVersion, ReasonCode } from '../../src/protocol/index.js';
import { type MalformedRow, describeMalformed } from './helpers.js';

const { V311, V5 } = ProtocolVersion;
const MALFORMED = ReasonCode.MalformedPacket;
const PROTOCOL = ReasonCode.ProtocolError;
const TOPIC = ReasonCode.TopicNameInvalid;
const SERVER = undefined;
const CONNECT_V4 = '00 04 4d 51 54 54 04'; // "MQTT", level 4

const fixedHeader: MalformedRow[] = [
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

const publish: MalformedRow[] = [
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

const properties: MalformedRow[] = [
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

describeMalformed('fixed header', fixedHeader);
describeMalformed('PUBLISH', publish);
describeMalformed('properties', properties);
