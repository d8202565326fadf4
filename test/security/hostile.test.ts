// Hostile input against a live broker over TCP, one table row per case: each opens its own
// connection, sends the bytes (after a valid CONNECT unless the row says otherwise) and checks
// the answer the spec asks for. After every row a subscriber connected all along must still
// get a QoS 1 message from a publisher connected all along, and the broker must have logged
// no unexpected error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type Packet, PacketType } from '../../src/protocol/index.js';
import {
  type ConnectOptions,
  connectPacket,
  Harness,
  type RawClient,
  sleep,
  text,
} from '../conformance/raw-client.js';
import { LOAD_SLACK_MS, openIdle } from './fixtures/idle.js';
import { watchBroker } from './fixtures/watch.js';
import { connectBytes, join, packet, rawStr, str, vbi } from './fixtures/wire.js';

const MALFORMED = 0x81;
const PROTOCOL = 0x82;
const TOPIC_NAME_INVALID = 0x90;
const PACKET_TOO_LARGE = 0x95;
const RECEIVE_MAXIMUM_EXCEEDED = 0x93;
const TOPIC_ALIAS_INVALID = 0x94;
const KEEP_ALIVE_TIMEOUT = 0x8d;
const PACKET_ID_NOT_FOUND = 0x92;

const LIMITS = {
  maxPacketSize: 64 * 1024,
  connectTimeout: 2,
  maxClientIdLength: 32,
  topicAliasMaximum: 4,
  receiveMaximum: 8,
};

type Outcome =
  /** 5.0: DISCONNECT with this code, nothing after it, closed; 3.1.1: closed, nothing sent. */
  | { disconnect: number; before?: PacketType[] }
  /** CONNECT refused: closed, and if a CONNACK came it carries this failure code (wire value). */
  | { refused: number; connack?: 'required' | 'optional' }
  /** Answered with this packet (and code); the connection stays usable. */
  | { reply: PacketType; code?: number; packetId?: number }
  /** Closed by the server within `withinMs`, nothing sent. */
  | { closed: true; withinMs?: number };

interface Case {
  what: string;
  rules?: string;
  version?: 4 | 5;
  /** The valid CONNECT sent first; false: the hostile bytes are the first thing sent. */
  connect?: false | ConnectOptions;
  send?: Buffer;
  expect?: Outcome;
  /** A case with a shape of its own: gets the connection (CONNACK read, if connect). */
  run?: (client: RawClient, h: Harness) => Promise<void>;
}

const v5publish = (topic: Buffer, props: string | Buffer = '00', payload = 'x') =>
  packet(0x30, topic, props, Buffer.from(payload));

/** A PUBLISH QoS 2 with packet id `id` on topic "flood", 5.0. */
const qos2 = (id: number) => packet(0x34, str('flood'), [id >> 8, id & 0xff], '00', 'aa');

/** Every packet type with its reserved flags wrong, sent after CONNECT in 5.0. */
const reservedFlags: Case[] = [
  ['CONNACK with flags 0001', 0x21, '00 00 00'],
  ['PUBLISH with QoS bits 11 (QoS 3)', 0x36, '00 01 61 00 01 00'],
  ['PUBACK with flags 0010', 0x42, '00 01 00 00'],
  ['PUBREC with flags 0001', 0x51, '00 01 00 00'],
  ['PUBREL with flags 0000', 0x60, '00 01 00 00'],
  ['PUBCOMP with flags 1000', 0x78, '00 01 00 00'],
  ['SUBSCRIBE with flags 0000', 0x80, '00 01 00 00 01 61 00'],
  ['SUBACK with flags 0010', 0x92, '00 01 00 00'],
  ['UNSUBSCRIBE with flags 0000', 0xa0, '00 01 00 00 01 61'],
  ['UNSUBACK with flags 0001', 0xb1, '00 01 00 00'],
  ['PINGREQ with flags 0001', 0xc1, ''],
  ['PINGRESP with flags 0100', 0xd4, ''],
  ['DISCONNECT with flags 0001', 0xe1, '00 00'],
  ['AUTH with flags 0001', 0xf1, '00 00'],
  ['reserved packet type 0', 0x00, ''],
].map(([what, byte0, body]) => ({
  what: `fixed header: ${what}`,
  rules: byte0 === 0x36 ? 'MQTT-3.3.1-4' : 'MQTT-2.1.3-1',
  send: packet(byte0 as number, body as string),
  expect: { disconnect: MALFORMED },
}));

const cases: Case[] = [
  {
    what: 'fixed header: CONNECT with flags 0001 as the first packet',
    rules: 'MQTT-2.1.3-1 MQTT-3.1.4-1',
    connect: false,
    send: Buffer.concat([Buffer.from([0x11]), connectBytes().subarray(1)]),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  ...reservedFlags,
  {
    what: 'fixed header: PUBREL with flags 0000',
    rules: 'MQTT-3.6.1-1',
    version: 4,
    send: packet(0x60, '00 01'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'fixed header: SUBSCRIBE with flags 0000',
    rules: 'MQTT-3.8.1-1',
    version: 4,
    send: packet(0x80, '00 01', str('a'), '00'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'PUBLISH with QoS 3',
    rules: 'MQTT-3.3.1-4',
    version: 4,
    send: packet(0x36, str('a'), '00 01'),
    expect: { disconnect: MALFORMED },
  },
  // Lengths.
  {
    what: 'Remaining Length of five bytes',
    send: Buffer.from('30ffffffff7f', 'hex'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Remaining Length not in its shortest form',
    rules: 'MQTT-1.5.5-1',
    send: Buffer.from('c08000', 'hex'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Remaining Length above Maximum Packet Size, body never sent',
    send: join([0x30], vbi(LIMITS.maxPacketSize + 1), str('a')),
    expect: { disconnect: PACKET_TOO_LARGE },
  },
  {
    what: 'Remaining Length above Maximum Packet Size',
    version: 4,
    send: join([0x30], vbi(LIMITS.maxPacketSize + 1), str('a')),
    expect: { disconnect: PACKET_TOO_LARGE },
  },
  {
    what: 'Remaining Length claiming 256 MB, then a trickle of bytes',
    run: async (client) => {
      client.send(Buffer.from('30ffffff7f', 'hex'));
      for (let i = 0; i < 5 && !client.closed; i++) {
        client.send(Buffer.from('00'));
        await sleep(20);
      }
      const packets = await client.expectClose();
      assertDisconnect(packets, PACKET_TOO_LARGE);
    },
  },
  {
    what: 'Remaining Length claiming 256 MB before CONNECT',
    connect: false,
    send: Buffer.from('10ffffff7f0004', 'hex'),
    expect: { refused: PACKET_TOO_LARGE, connack: 'optional' },
  },
  {
    what: 'a packet started and never finished: keep-alive closes it (0x8D)',
    rules: 'MQTT-3.1.2-22',
    connect: { keepAlive: 1 },
    run: async (client) => {
      client.send(join([0x30], vbi(1000), str('a')));
      const started = Date.now();
      const packets = await client.expectClose(4_000);
      assertDisconnect(packets, KEEP_ALIVE_TIMEOUT);
      assert.ok(Date.now() - started >= 1_000, 'closed before 1.5 x keep-alive');
    },
  },
  {
    what: 'Remaining Length shorter than the Topic Name it holds',
    send: Buffer.from('3003000561', 'hex'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Property Length running past the packet',
    send: packet(0x30, str('a'), '09 01'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'trailing bytes after a PINGREQ',
    send: packet(0xc0, '00'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'trailing bytes after a whole PUBACK',
    send: packet(0x40, '00 01 00 00 ff'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'trailing bytes after a whole CONNECT',
    rules: 'MQTT-3.1.4-1',
    connect: false,
    send: connectBytes({ clientId: str('trailing'), trailing: 'ff ff' }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  // UTF-8.
  {
    what: 'Topic Name with ill-formed UTF-8 (C3 28)',
    rules: 'MQTT-1.5.4-1',
    send: v5publish(rawStr('c3 28')),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Topic Name with an overlong encoding (C0 AF)',
    rules: 'MQTT-1.5.4-1',
    send: v5publish(rawStr('c0 af')),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Topic Name with U+0000',
    rules: 'MQTT-1.5.4-2 MQTT-4.7.3-2',
    send: v5publish(rawStr('61 00 62')),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Topic Name with a high surrogate half (ED A0 80)',
    rules: 'MQTT-1.5.4-1',
    send: v5publish(rawStr('ed a0 80')),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Topic Filter with a low surrogate half (ED B0 80)',
    rules: 'MQTT-1.5.4-1',
    send: packet(0x82, '00 01 00', rawStr('ed b0 80'), '00'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Topic Name with U+0000',
    rules: 'MQTT-1.5.3-2',
    version: 4,
    send: packet(0x30, rawStr('61 00 62')),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'Client Identifier with ill-formed UTF-8',
    rules: 'MQTT-1.5.4-1 MQTT-3.1.4-1',
    connect: false,
    send: connectBytes({ clientId: rawStr('c3 28') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'Client Identifier with U+0000',
    rules: 'MQTT-1.5.4-2 MQTT-3.1.4-1',
    connect: false,
    send: connectBytes({ clientId: rawStr('61 00 62') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'User Name with a surrogate half',
    rules: 'MQTT-1.5.4-1 MQTT-3.1.4-1',
    connect: false,
    send: connectBytes({ flags: 0x82, clientId: str('u'), username: rawStr('ed a0 80') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'Will Topic with ill-formed UTF-8',
    rules: 'MQTT-1.5.4-1 MQTT-3.1.4-1',
    connect: false,
    send: connectBytes({
      flags: 0x06,
      clientId: str('w'),
      will: join('00', rawStr('c3 28'), str('')),
    }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'Will Topic with ill-formed UTF-8',
    rules: 'MQTT-1.5.3-1 MQTT-3.1.4-1',
    version: 4,
    connect: false,
    send: connectBytes({
      version: 4,
      flags: 0x06,
      clientId: str('w'),
      will: join(rawStr('ff'), str('')),
    }),
    expect: { closed: true },
  },
  // Topic names.
  {
    what: 'Topic Name with +',
    rules: 'MQTT-3.3.2-2 MQTT-4.7.0-1',
    send: v5publish(str('a/+')),
    expect: { disconnect: TOPIC_NAME_INVALID },
  },
  {
    what: 'Topic Name with #',
    rules: 'MQTT-3.3.2-2 MQTT-4.7.0-1',
    send: v5publish(str('a/#')),
    expect: { disconnect: TOPIC_NAME_INVALID },
  },
  {
    what: 'zero-length Topic Name without a Topic Alias',
    rules: 'MQTT-4.7.3-1',
    send: v5publish(str('')),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'Will Topic with a wildcard',
    rules: 'MQTT-3.1.4-1',
    connect: false,
    send: connectBytes({ flags: 0x06, clientId: str('w'), will: join('00', str('a/#'), str('')) }),
    expect: { refused: TOPIC_NAME_INVALID, connack: 'optional' },
  },
  // PUBLISH header fields.
  {
    what: 'PUBLISH QoS 0 with DUP 1',
    rules: 'MQTT-3.3.1-2',
    send: packet(0x38, str('a'), '00'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'PUBLISH QoS 1 with packet id 0',
    rules: 'MQTT-2.2.1-3',
    send: packet(0x32, str('a'), '00 00', '00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'PUBLISH QoS 2 with packet id 0',
    rules: 'MQTT-2.2.1-3',
    send: packet(0x34, str('a'), '00 00', '00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'SUBSCRIBE with packet id 0',
    rules: 'MQTT-2.2.1-3',
    send: packet(0x82, '00 00 00', str('a'), '00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'UNSUBSCRIBE with packet id 0',
    rules: 'MQTT-2.2.1-3',
    send: packet(0xa2, '00 00 00', str('a')),
    expect: { disconnect: PROTOCOL },
  },
  // Properties. An identifier not valid for the packet type makes it a Malformed Packet
  // (5.0 section 2.2.2.2).
  {
    what: 'duplicated property (Content Type twice)',
    send: v5publish(str('a'), join('08 03', str('x'), '03', str('y'))),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'property not allowed in PUBLISH (Session Expiry Interval)',
    send: v5publish(str('a'), '05 11 00 00 00 0a'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'property not allowed in SUBSCRIBE (Topic Alias)',
    send: packet(0x82, '00 01 03 23 00 01', str('a'), '00'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'unknown property identifier',
    send: v5publish(str('a'), '02 7f 00'),
    expect: { disconnect: MALFORMED },
  },
  {
    // 0x94 is for an alias above the maximum; 0 is a Protocol Error.
    what: 'Topic Alias 0',
    rules: 'MQTT-3.3.2-8',
    send: v5publish(str('a'), '03 23 00 00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'Topic Alias above the Topic Alias Maximum',
    rules: 'MQTT-3.3.2-12',
    send: v5publish(str('a'), `03 23 00 0${LIMITS.topicAliasMaximum + 1}`),
    expect: { disconnect: TOPIC_ALIAS_INVALID },
  },
  {
    what: 'unknown Topic Alias with an empty Topic Name',
    send: v5publish(str(''), '03 23 00 02'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'Subscription Identifier 0',
    send: packet(0x82, '00 01 02 0b 00', str('a'), '00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'Subscription Identifier in a client PUBLISH',
    rules: 'MQTT-3.3.4-6',
    send: v5publish(str('a'), '02 0b 01'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'CONNECT with Maximum Packet Size 0',
    connect: false,
    send: connectBytes({ clientId: str('m'), properties: '05 27 00 00 00 00' }),
    expect: { refused: PROTOCOL, connack: 'optional' },
  },
  {
    what: 'CONNECT with Receive Maximum 0',
    connect: false,
    send: connectBytes({ clientId: str('r'), properties: '03 21 00 00' }),
    expect: { refused: PROTOCOL, connack: 'optional' },
  },
  {
    what: 'CONNECT with Authentication Data but no Authentication Method',
    connect: false,
    send: connectBytes({ clientId: str('a'), properties: join('03 16', str('x').subarray(1)) }),
    expect: { refused: PROTOCOL, connack: 'optional' },
  },
  // Flow control and packet identifiers.
  {
    what: 'Receive Maximum exceeded: QoS 2 PUBLISHes without PUBREL',
    rules: 'MQTT-3.3.4-7',
    send: Buffer.concat(Array.from({ length: LIMITS.receiveMaximum + 1 }, (_, i) => qos2(i + 1))),
    expect: {
      disconnect: RECEIVE_MAXIMUM_EXCEEDED,
      before: Array(LIMITS.receiveMaximum).fill(PacketType.Pubrec),
    },
  },
  {
    what: 'PUBREL for an unknown packet id: PUBCOMP 0x92',
    rules: 'MQTT-4.3.3-11',
    send: packet(0x62, '12 34'),
    expect: { reply: PacketType.Pubcomp, code: PACKET_ID_NOT_FOUND, packetId: 0x1234 },
  },
  {
    what: 'PUBREC for an unknown packet id: PUBREL 0x92',
    send: packet(0x50, '12 35'),
    expect: { reply: PacketType.Pubrel, code: PACKET_ID_NOT_FOUND, packetId: 0x1235 },
  },
  {
    what: 'PUBACK for an unknown packet id: ignored',
    send: packet(0x40, '12 36'),
    expect: { reply: PacketType.Pingresp },
  },
  {
    what: 'PUBCOMP for an unknown packet id: ignored',
    send: packet(0x70, '12 37'),
    expect: { reply: PacketType.Pingresp },
  },
  {
    what: 'PUBREL for an unknown packet id: PUBCOMP',
    rules: 'MQTT-4.3.3-1',
    version: 4,
    send: packet(0x62, '12 38'),
    expect: { reply: PacketType.Pubcomp, packetId: 0x1238 },
  },
  // Packet order.
  {
    what: 'second CONNECT',
    rules: 'MQTT-3.1.0-2',
    send: connectBytes({ clientId: str('again') }),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'second CONNECT',
    rules: 'MQTT-3.1.0-2',
    version: 4,
    send: connectBytes({ version: 4, clientId: str('again') }),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'PUBLISH before CONNECT',
    rules: 'MQTT-3.1.0-1',
    connect: false,
    send: packet(0x30, str('bystander/x'), 'aa'),
    expect: { closed: true },
  },
  {
    what: 'SUBSCRIBE before CONNECT',
    rules: 'MQTT-3.1.0-1',
    connect: false,
    send: packet(0x82, '00 01', str('#'), '00'),
    expect: { closed: true },
  },
  {
    what: 'PINGREQ before CONNECT',
    rules: 'MQTT-3.1.0-1',
    connect: false,
    send: packet(0xc0),
    expect: { closed: true },
  },
  {
    what: 'an HTTP request on the MQTT port',
    connect: false,
    send: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    expect: { closed: true },
  },
  // CONNECT fields.
  {
    // The version is unknown, so the answer is a 3.1.1 CONNACK "unacceptable protocol
    // version" (return code 1), as Mosquitto sends: 20 02 00 01.
    what: 'CONNECT with protocol level 6: 3.1.1 CONNACK return code 1',
    rules: 'MQTT-3.1.2-2',
    connect: false,
    send: connectBytes({ level: 6, clientId: str('six') }),
    expect: { refused: 1, connack: 'required' },
  },
  {
    what: 'CONNECT with protocol name "MQTX": 3.1.1 CONNACK return code 1',
    rules: 'MQTT-3.1.2-1',
    connect: false,
    send: connectBytes({ name: str('MQTX'), clientId: str('mqtx') }),
    expect: { refused: 1, connack: 'required' },
  },
  {
    what: 'CONNECT with the reserved flag set',
    rules: 'MQTT-3.1.2-3',
    connect: false,
    send: connectBytes({ flags: 0x03, clientId: str('reserved') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'CONNECT with the reserved flag set',
    rules: 'MQTT-3.1.2-3',
    version: 4,
    connect: false,
    send: connectBytes({ version: 4, flags: 0x03, clientId: str('reserved') }),
    expect: { closed: true },
  },
  {
    what: 'Will QoS 1 without the Will Flag',
    rules: 'MQTT-3.1.2-11',
    connect: false,
    send: connectBytes({ flags: 0x0a, clientId: str('w') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'Will Retain without the Will Flag',
    rules: 'MQTT-3.1.2-13',
    connect: false,
    send: connectBytes({ flags: 0x22, clientId: str('w') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'Will QoS 3',
    rules: 'MQTT-3.1.2-12',
    connect: false,
    send: connectBytes({ flags: 0x1e, clientId: str('w'), will: join('00', str('a'), str('')) }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'Will Flag set but Will Topic and Payload missing',
    connect: false,
    send: connectBytes({ flags: 0x06, clientId: str('w') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: 'Password without User Name',
    rules: 'MQTT-3.1.2-22',
    version: 4,
    connect: false,
    send: connectBytes({ version: 4, flags: 0x42, clientId: str('p'), password: str('pw') }),
    expect: { closed: true },
  },
  {
    what: 'User Name Flag set but no User Name',
    connect: false,
    send: connectBytes({ flags: 0x82, clientId: str('u') }),
    expect: { refused: MALFORMED, connack: 'optional' },
  },
  {
    what: `Client Identifier longer than maxClientIdLength (${LIMITS.maxClientIdLength})`,
    rules: 'MQTT-3.1.3-8',
    connect: false,
    send: connectBytes({ clientId: str('c'.repeat(LIMITS.maxClientIdLength + 1)) }),
    expect: { refused: 0x85, connack: 'required' },
  },
  {
    what: 'Client Identifier too long: return code 2',
    rules: 'MQTT-3.1.3-8',
    version: 4,
    connect: false,
    send: connectBytes({ version: 4, clientId: str('c'.repeat(LIMITS.maxClientIdLength + 1)) }),
    expect: { refused: 2, connack: 'required' },
  },
  // SUBSCRIBE and UNSUBSCRIBE contents.
  {
    what: 'SUBSCRIBE without any Topic Filter',
    rules: 'MQTT-3.8.3-2',
    send: packet(0x82, '00 01 00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'SUBSCRIBE without any Topic Filter',
    rules: 'MQTT-3.8.3-3',
    version: 4,
    send: packet(0x82, '00 01'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'UNSUBSCRIBE without any Topic Filter',
    rules: 'MQTT-3.10.3-2',
    send: packet(0xa2, '00 01 00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'SUBSCRIBE with Retain Handling 3',
    send: packet(0x82, '00 01 00', str('a'), '30'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'SUBSCRIBE option with the reserved bits set',
    rules: 'MQTT-3.8.3-5',
    send: packet(0x82, '00 01 00', str('a'), 'c0'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'No Local on a shared subscription',
    rules: 'MQTT-3.8.3-4',
    send: packet(0x82, '00 01 00', str('$share/g/a'), '04'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'SUBSCRIBE to an invalid filter (a/#/b): SUBACK 0x8F, connection kept',
    send: packet(0x82, '00 07 00', str('a/#/b'), '01'),
    expect: { reply: PacketType.Suback, code: 0x8f, packetId: 7 },
  },
  {
    what: 'SUBSCRIBE to $share with an empty filter: SUBACK failure, connection kept',
    rules: 'MQTT-4.8.2-2',
    send: packet(0x82, '00 08 00', str('$share/g/'), '01'),
    expect: { reply: PacketType.Suback, code: 0x8f, packetId: 8 },
  },
  // Packets only a server sends, and AUTH out of place.
  {
    what: 'CONNACK sent by a client',
    send: packet(0x20, '00 00 00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'SUBACK sent by a client',
    send: packet(0x90, '00 01 00 00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'UNSUBACK sent by a client',
    send: packet(0xb0, '00 01 00 00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'PINGRESP sent by a client',
    send: packet(0xd0),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'AUTH without a started exchange',
    rules: 'MQTT-4.12.0-2',
    send: packet(0xf0, '18 00'),
    expect: { disconnect: PROTOCOL },
  },
  {
    what: 'AUTH',
    version: 4,
    send: packet(0xf0, '00 00'),
    expect: { disconnect: MALFORMED },
  },
  // Garbage and slow clients.
  {
    what: 'a valid CONNECT then garbage bytes',
    send: Buffer.from('ffffffffffffffffdeadbeef', 'hex'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'a valid CONNECT then text',
    send: Buffer.from('hello, broker\r\n'),
    expect: { disconnect: MALFORMED },
  },
  {
    what: 'CONNECT trickled one byte per 50 ms: accepted within the connect timeout',
    connect: false,
    run: async (client) => {
      const wire = connectBytes({ clientId: str('trickle') });
      for (const byte of wire) {
        client.send(Buffer.from([byte]));
        await sleep(50);
      }
      const connack = await client.expect(PacketType.Connack);
      assert.equal(connack.reasonCode, 0);
      client.send(packet(0xc0));
      await client.expect(PacketType.Pingresp);
    },
  },
  {
    what: `a socket that never sends CONNECT: closed after connectTimeout (${LIMITS.connectTimeout} s)`,
    connect: false,
    run: async (client) => {
      const started = Date.now();
      assert.deepEqual(await client.expectClose((LIMITS.connectTimeout + 3) * 1000), []);
      const took = Date.now() - started;
      assert.ok(took >= LIMITS.connectTimeout * 1000 - 100, `closed after ${took} ms`);
    },
  },
  {
    what: 'keep-alive 1 s then silence: DISCONNECT 0x8D after about 1.5 s',
    rules: 'MQTT-3.1.2-22',
    connect: { keepAlive: 1 },
    run: async (client) => {
      const started = Date.now();
      const packets = await client.expectClose(4_000);
      const took = Date.now() - started;
      assertDisconnect(packets, KEEP_ALIVE_TIMEOUT);
      assert.ok(took >= 1_400 && took <= 3_600, `closed after ${took} ms`);
    },
  },
  {
    what: 'keep-alive 1 s then silence: closed after about 1.5 s',
    rules: 'MQTT-3.1.2-24',
    version: 4,
    connect: { keepAlive: 1 },
    run: async (client) => {
      const started = Date.now();
      assert.deepEqual(await client.expectClose(4_000), []);
      const took = Date.now() - started;
      assert.ok(took >= 1_400 && took <= 3_600, `closed after ${took} ms`);
    },
  },
  {
    what: '10,000 PINGREQs in one write: all answered, connection kept',
    run: async (client) => {
      client.send(Buffer.alloc(20_000, Buffer.from('c000', 'hex')));
      const deadline = Date.now() + 5_000;
      let answered = 0;
      while (answered < 10_000 && Date.now() < deadline) {
        const p = await client.next();
        assert.equal(p.type, PacketType.Pingresp);
        answered++;
      }
      assert.equal(answered, 10_000);
    },
  },
];

function assertDisconnect(packets: Packet[], code: number, before: PacketType[] = []): void {
  const types = packets.map((p) => p.type);
  assert.deepEqual(types, [...before, PacketType.Disconnect], 'packets before the close');
  const last = packets.at(-1)!;
  assert.equal(
    last.type === PacketType.Disconnect && `0x${last.reasonCode.toString(16)}`,
    `0x${code.toString(16)}`,
  );
}

async function check(client: RawClient, version: 4 | 5, outcome: Outcome): Promise<void> {
  if ('disconnect' in outcome) {
    const packets = await client.expectClose();
    if (version === 5) assertDisconnect(packets, outcome.disconnect, outcome.before);
    else
      assert.deepEqual(
        packets.map((p) => p.type),
        outcome.before ?? [],
      );
  } else if ('refused' in outcome) {
    const packets = await client.expectClose();
    // Checked on the wire: a 3.1.1-format CONNACK to a CONNECT of unknown version would not
    // decode as 5.0, and the decoder maps 3.1.1 return codes.
    void packets;
    const wire = Buffer.concat(client.received);
    if (outcome.connack === 'required') assert.ok(wire.length > 0, 'closed without CONNACK');
    if (wire.length > 0) {
      assert.equal(wire[0], 0x20, 'a CONNACK');
      assert.equal(wire.length, 2 + wire[1]!, 'one CONNACK and nothing else');
      assert.equal(wire[2], 0, 'Session Present 0 [MQTT-3.2.2-6]');
      assert.equal(`0x${wire[3]!.toString(16)}`, `0x${outcome.refused.toString(16)}`);
    }
  } else if ('reply' in outcome) {
    if (outcome.reply !== PacketType.Pingresp) {
      const reply = (await client.expect(outcome.reply)) as Packet & {
        packetId?: number;
        reasonCode?: number;
        reasonCodes?: number[];
      };
      if (outcome.packetId !== undefined) assert.equal(reply.packetId, outcome.packetId);
      const code = reply.reasonCodes?.[0] ?? reply.reasonCode;
      if (outcome.code !== undefined) assert.equal(code, outcome.code);
    }
    client.send(packet(0xc0));
    await client.expect(PacketType.Pingresp);
    assert.equal(client.closed, false);
  } else {
    const packets = await client.expectClose(outcome.withinMs);
    assert.deepEqual(packets, [], 'closed without an answer');
  }
}

const cite = (rules: string | undefined) =>
  rules
    ? ` ${rules
        .split(' ')
        .map((r) => `[${r}]`)
        .join(' ')}`
    : '';

describe('security: hostile input against a live broker', () => {
  let h: Harness;
  let subscriber: RawClient;
  let publisher: RawClient;
  let served = 0;
  const watch = watchBroker();
  const { errors, crashes, logger } = watch;

  before(async () => {
    watch.start();
    h = await Harness.start({ broker: LIMITS, logger });
    subscriber = await h.connected({ clientId: 'bystander-sub' });
    await subscriber.subscribe([{ topicFilter: 'bystander/#', qos: 1 }]);
    publisher = await h.connected({ version: 4, clientId: 'bystander-pub' });
  });

  after(async () => {
    await h.close();
    watch.stop();
  });

  /** The long-lived subscriber still gets a QoS 1 message from the long-lived publisher. */
  async function othersStillServed(): Promise<void> {
    const payload = `alive ${++served}`;
    assert.equal(await publisher.publish('bystander/check', payload, { qos: 1 }), 0);
    const got = await subscriber.receive();
    assert.equal(text(got), payload);
    assert.deepEqual(errors, [], 'the broker logged an unexpected error');
    assert.deepEqual(crashes, [], 'uncaught exception');
  }

  it(`has at least 60 cases (${cases.length} in the table, 2 more below)`, () => {
    assert.ok(cases.length >= 60);
  });

  let n = 0;
  for (const c of cases) {
    const version = c.version ?? 5;
    it(`v${version === 5 ? '5' : '3.1.1'}: ${c.what}${cite(c.rules)}`, async () => {
      const client = await h.open(version);
      if (c.connect !== false) {
        client.send(connectPacket({ version, clientId: `hostile-${++n}`, ...c.connect }));
        const connack = await client.expect(PacketType.Connack);
        assert.equal(connack.reasonCode, 0);
      }
      if (c.send) client.send(c.send);
      if (c.run) await c.run(client, h);
      if (c.expect) await check(client, version, c.expect);
      client.destroy();
      await othersStillServed();
    });
  }

  it('2000 half-open sockets (nothing sent): others served meanwhile, all closed after connectTimeout', async () => {
    const idle = await openIdle(h.port, 2000);
    try {
      await othersStillServed();
      const shortest = await idle.allClosed(LIMITS.connectTimeout * 1000 + LOAD_SLACK_MS);
      assert.ok(shortest >= LIMITS.connectTimeout * 1000 - 100, `one closed after ${shortest} ms`);
      await othersStillServed();
    } finally {
      idle.destroy();
    }
  });

  it('WebSocket port: 200 sockets that never send the HTTP upgrade are closed after connectTimeout; an upgraded idle client stays', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.wsPort}/mqtt`, 'mqtt');
    ws.on('error', () => {});
    let wsClosed = false;
    ws.on('close', () => (wsClosed = true));
    const replies: Buffer[] = [];
    ws.on('message', (data) => replies.push(data as Buffer));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(connectBytes({ clientId: str('ws-idle-but-connected') }));
    const idle = await openIdle(h.wsPort, 200);
    try {
      await othersStillServed();
      const shortest = await idle.allClosed(LIMITS.connectTimeout * 1000 + LOAD_SLACK_MS);
      assert.ok(shortest >= LIMITS.connectTimeout * 1000 - 100, `one closed after ${shortest} ms`);
      // Silent for longer than connectTimeout, but upgraded and connected: kept.
      ws.send(packet(0xc0));
      const deadline = Date.now() + 2_000;
      while (replies.length < 2 && !wsClosed && Date.now() < deadline) await sleep(20);
      assert.deepEqual(
        replies.map((r) => r[0]),
        [0x20, 0xd0],
        'CONNACK, then PINGRESP',
      );
      assert.equal(wsClosed, false);
      await othersStillServed();
    } finally {
      idle.destroy();
      ws.terminate();
    }
  });

  it('after the whole matrix: the same two clients were never disconnected', async () => {
    assert.equal(subscriber.closed, false);
    assert.equal(publisher.closed, false);
    await othersStillServed();
  });
});
