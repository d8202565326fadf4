// Byte-exact fixtures written from the field tables of the MQTT 3.1.1 and 5.0 specifications,
// one annotated line per field. Each must decode to its packet and encode back to its bytes.
import {
  NO_PROPERTIES,
  PacketType,
  ProtocolVersion,
  ReasonCode,
} from '../../src/protocol/index.js';
import { type Fixture, bytes, describeFixtures } from './helpers.js';

const { V31, V311, V5 } = ProtocolVersion;
const NONE = NO_PROPERTIES;

const subscribeFixtures: Fixture[] = [
  {
    name: 'SUBSCRIBE 3.1.1 two filters',
    versions: [V31, V311],
    wire: bytes(
      '82 0e                     # SUBSCRIBE (flags 0010), remaining length 14',
      '00 0a                     # packet id 10',
      '00 03 61 2f 62 01         # "a/b" QoS 1',
      '00 03 63 2f 23 02         # "c/#" QoS 2',
    ),
    packet: {
      type: PacketType.Subscribe,
      packetId: 10,
      subscriptions: [
        { topicFilter: 'a/b', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        { topicFilter: 'c/#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      ],
      properties: NONE,
    },
  },
  {
    name: 'SUBSCRIBE 5.0 with a subscription identifier and every option',
    versions: [V5],
    wire: bytes(
      '82 0b',
      '00 0b                     # packet id 11',
      '02 0b 2a                  # properties: subscription identifier 42',
      '00 03 61 2f 2b            # "a/+"',
      '2d                        # retain handling 2, RAP, no local, QoS 1',
    ),
    packet: {
      type: PacketType.Subscribe,
      packetId: 11,
      subscriptions: [
        { topicFilter: 'a/+', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 },
      ],
      properties: { subscriptionIdentifiers: [42] },
    },
  },
  {
    name: 'SUBACK 3.1.1 granted QoS 1 and failure',
    versions: [V311],
    wire: bytes('90 04', '00 0a', '01 80'),
    packet: { type: PacketType.Suback, packetId: 10, reasonCodes: [1, 0x80], properties: NONE },
  },
  {
    name: 'SUBACK 5.0',
    versions: [V5],
    wire: bytes('90 08', '00 0b', '00   # no properties', '00 01 02 87 a2'),
    packet: {
      type: PacketType.Suback,
      packetId: 11,
      reasonCodes: [0, 1, 2, 0x87, 0xa2],
      properties: NONE,
    },
  },
  {
    name: 'UNSUBSCRIBE 3.1.1',
    versions: [V31, V311],
    wire: bytes('a2 07', '00 0c', '00 03 61 2f 62'),
    packet: { type: PacketType.Unsubscribe, packetId: 12, topicFilters: ['a/b'], properties: NONE },
  },
  {
    name: 'UNSUBSCRIBE 5.0 with a user property',
    versions: [V5],
    wire: bytes('a2 0f', '00 0c', '07 26 00 01 6b 00 01 76', '00 03 61 2f 62'),
    packet: {
      type: PacketType.Unsubscribe,
      packetId: 12,
      topicFilters: ['a/b'],
      properties: { userProperties: [['k', 'v']] },
    },
  },
  {
    name: 'UNSUBACK 3.1.1 has no payload',
    versions: [V31, V311],
    wire: bytes('b0 02', '00 0c'),
    packet: { type: PacketType.Unsuback, packetId: 12, reasonCodes: [], properties: NONE },
  },
  {
    name: 'UNSUBACK 5.0',
    versions: [V5],
    wire: bytes('b0 05', '00 0c', '00', '00 11   # success, no subscription existed'),
    packet: { type: PacketType.Unsuback, packetId: 12, reasonCodes: [0, 0x11], properties: NONE },
  },
];

const controlFixtures: Fixture[] = [
  {
    name: 'PINGREQ',
    versions: [V31, V311, V5],
    wire: bytes('c0 00'),
    packet: { type: PacketType.Pingreq },
  },
  {
    name: 'PINGRESP',
    versions: [V31, V311, V5],
    wire: bytes('d0 00'),
    packet: { type: PacketType.Pingresp },
  },
  {
    name: 'DISCONNECT',
    versions: [V31, V311, V5],
    wire: bytes('e0 00'),
    packet: { type: PacketType.Disconnect, reasonCode: 0, properties: NONE },
  },
  {
    name: 'DISCONNECT 5.0 reason 0x04 only (remaining length 1)',
    versions: [V5],
    wire: bytes('e0 01', '04   # disconnect with will message'),
    packet: { type: PacketType.Disconnect, reasonCode: 0x04, properties: NONE },
  },
  {
    name: 'DISCONNECT 5.0 with a server reference',
    versions: [V5],
    wire: bytes('e0 06', '8e   # session taken over', '04 1c 00 01 73   # server reference "s"'),
    packet: {
      type: PacketType.Disconnect,
      reasonCode: ReasonCode.SessionTakenOver,
      properties: { serverReference: 's' },
    },
  },
  {
    name: 'DISCONNECT 5.0 long form of normal disconnection',
    versions: [V5],
    wire: bytes('e0 02', '00', '00'),
    packet: { type: PacketType.Disconnect, reasonCode: 0, properties: NONE },
    decodeOnly: true,
  },
  {
    name: 'AUTH 5.0 success (remaining length 0)',
    versions: [V5],
    wire: bytes('f0 00'),
    packet: { type: PacketType.Auth, reasonCode: 0, properties: NONE },
  },
  {
    name: 'AUTH 5.0 continue authentication',
    versions: [V5],
    wire: bytes(
      'f0 0b',
      '18                        # continue authentication',
      '09                        # property length 9',
      '15 00 01 58               #   authentication method "X"',
      '16 00 02 01 02            #   authentication data 01 02',
    ),
    packet: {
      type: PacketType.Auth,
      reasonCode: ReasonCode.ContinueAuthentication,
      properties: { authenticationMethod: 'X', authenticationData: Uint8Array.of(1, 2) },
    },
  },
  {
    name: 'AUTH 5.0 re-authenticate with remaining length 1',
    versions: [V5],
    wire: bytes('f0 01', '19'),
    packet: { type: PacketType.Auth, reasonCode: ReasonCode.ReAuthenticate, properties: NONE },
    decodeOnly: true,
  },
];

/** Compares decoded packets with byte arrays as plain bytes (Buffer vs Uint8Array). */
describeFixtures('SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK', subscribeFixtures);
describeFixtures('PINGREQ, PINGRESP, DISCONNECT, AUTH', controlFixtures);
