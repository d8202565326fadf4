// Malformed and forbidden CONNECT packets, each row one validation rule with the reason
// code to answer and the rule it cites; and the edge cases that must be accepted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketDecoder } from '../../src/protocol/index.js';
import { ProtocolVersion, ReasonCode } from '../../src/protocol/index.js';
import { type MalformedRow, bytes, describeMalformed } from './helpers.js';

const { V31, V311 } = ProtocolVersion;
const MALFORMED = ReasonCode.MalformedPacket;
const PROTOCOL = ReasonCode.ProtocolError;
const TOPIC = ReasonCode.TopicNameInvalid;
const VERSION = ReasonCode.UnsupportedProtocolVersion;
/** A server before CONNECT: the decoder learns the version from the packet. */
const SERVER = undefined;
const CONNECT_V4 = '00 04 4d 51 54 54 04'; // "MQTT", level 4
const CONNECT_V5 = '00 04 4d 51 54 54 05'; // "MQTT", level 5

const connect: MalformedRow[] = [
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
    what: 'empty Will Topic',
    version: SERVER,
    wire: `10 11 ${CONNECT_V4} 06 00 00 00 01 63 00 00 00 00`,
    reasonCode: TOPIC,
    ruleId: 'MQTT-4.7.3-1',
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

describeMalformed('CONNECT', connect);

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
