// Malformed acknowledgements, PING, DISCONNECT, AUTH, SUBSCRIBE and UNSUBSCRIBE: each row
// one validation rule, with the reason code the decoder must report and the rule it cites.
import { ProtocolVersion, ReasonCode } from '../../src/protocol/index.js';
import { type MalformedRow, describeMalformed } from './helpers.js';

const { V311, V5 } = ProtocolVersion;
const MALFORMED = ReasonCode.MalformedPacket;
const PROTOCOL = ReasonCode.ProtocolError;

const acks: MalformedRow[] = [
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

const subscribe: MalformedRow[] = [
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

describeMalformed('acknowledgements, PING, DISCONNECT, AUTH', acks);
describeMalformed('SUBSCRIBE and UNSUBSCRIBE', subscribe);
