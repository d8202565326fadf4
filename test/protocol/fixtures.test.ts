// Byte-exact fixtures for every packet type and protocol version, written from the field
// tables of the MQTT 3.1.1 and 5.0 specifications (one annotated line per field). Each
// fixture must decode to the packet and, unless marked decodeOnly, the packet must encode
// back to exactly these bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NO_PROPERTIES,
  type Packet,
  PacketType,
  ProtocolVersion,
  ReasonCode,
  encode,
  encodedSize,
} from '../../src/protocol/index.js';
import { bytes, decodeOne } from './helpers.js';

const { V31, V311, V5 } = ProtocolVersion;
const NONE = NO_PROPERTIES;

interface Fixture {
  name: string;
  versions: ProtocolVersion[];
  wire: Buffer;
  packet: Packet;
  /** The bytes are an alternative form the encoder does not produce. */
  decodeOnly?: boolean;
}

const b = (s: string) => Buffer.from(s, 'utf8');

const connectFixtures: Fixture[] = [
  {
    name: 'CONNECT 3.1 (MQIsdp, level 3), clean session',
    versions: [V31],
    wire: bytes(
      '10 10                     # CONNECT, remaining length 16',
      '00 06 4d 51 49 73 64 70   # protocol name "MQIsdp"',
      '03                        # protocol level 3',
      '02                        # flags: clean session',
      '00 3c                     # keep alive 60',
      '00 02 63 31               # client id "c1"',
    ),
    packet: {
      type: PacketType.Connect,
      protocolName: 'MQIsdp',
      protocolVersion: V31,
      clean: true,
      keepAlive: 60,
      clientId: 'c1',
      properties: NONE,
    },
  },
  {
    name: 'CONNECT 3.1.1 with will, user name and password',
    versions: [V311],
    wire: bytes(
      '10 1e                     # CONNECT, remaining length 30',
      '00 04 4d 51 54 54         # protocol name "MQTT"',
      '04                        # protocol level 4',
      'ce                        # flags: user name, password, will QoS 1, will, clean',
      '00 0a                     # keep alive 10',
      '00 03 63 69 64            # client id "cid"',
      '00 01 77                  # will topic "w"',
      '00 03 62 79 65            # will message "bye"',
      '00 01 75                  # user name "u"',
      '00 02 70 77               # password "pw"',
    ),
    packet: {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: V311,
      clean: true,
      keepAlive: 10,
      clientId: 'cid',
      will: { topic: 'w', payload: b('bye'), qos: 1, retain: false, properties: NONE },
      username: 'u',
      password: b('pw'),
      properties: NONE,
    },
  },
  {
    name: 'CONNECT 5.0 with properties, will properties and a password without user name',
    versions: [V5],
    wire: bytes(
      '10 30                     # CONNECT, remaining length 48',
      '00 04 4d 51 54 54         # protocol name "MQTT"',
      '05                        # protocol level 5',
      '66                        # flags: password, will retain, will (QoS 0), clean start',
      '00 00                     # keep alive 0',
      '0f                        # property length 15',
      '11 00 00 00 0a            #   session expiry interval 10',
      '21 00 14                  #   receive maximum 20',
      '26 00 01 6b 00 01 76      #   user property ("k", "v")',
      '00 00                     # client id ""',
      '07                        # will property length 7',
      '01 01                     #   payload format indicator 1',
      '18 00 00 00 05            #   will delay interval 5',
      '00 03 77 2f 74            # will topic "w/t"',
      '00 02 68 69               # will payload "hi"',
      '00 01 00                  # password: one zero byte',
    ),
    packet: {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: V5,
      clean: true,
      keepAlive: 0,
      clientId: '',
      will: {
        topic: 'w/t',
        payload: b('hi'),
        qos: 0,
        retain: true,
        properties: { payloadFormatIndicator: 1, willDelayInterval: 5 },
      },
      password: Uint8Array.of(0),
      properties: { sessionExpiryInterval: 10, receiveMaximum: 20, userProperties: [['k', 'v']] },
    },
  },
];

const connackFixtures: Fixture[] = [
  {
    name: 'CONNACK 3.1.1 session present, accepted',
    versions: [V311],
    wire: bytes('20 02', '01   # session present', '00   # return code 0 accepted'),
    packet: { type: PacketType.Connack, sessionPresent: true, reasonCode: 0, properties: NONE },
  },
  ...(
    [
      [1, ReasonCode.UnsupportedProtocolVersion],
      [2, ReasonCode.ClientIdentifierNotValid],
      [3, ReasonCode.ServerUnavailable],
      [4, ReasonCode.BadUserNameOrPassword],
      [5, ReasonCode.NotAuthorized],
    ] as const
  ).map(
    ([code, reasonCode]): Fixture => ({
      name: `CONNACK 3.1.1 return code ${code} is reason code 0x${reasonCode.toString(16)}`,
      versions: [V31, V311],
      wire: bytes('20 02', '00', `0${code}   # return code`),
      packet: { type: PacketType.Connack, sessionPresent: false, reasonCode, properties: NONE },
    }),
  ),
  {
    name: 'CONNACK 3.1: the acknowledge byte is unused, so Session Present is never read',
    versions: [V31],
    wire: bytes('20 02', '01   # unused in 3.1', '00'),
    packet: { type: PacketType.Connack, sessionPresent: false, reasonCode: 0, properties: NONE },
    decodeOnly: true,
  },
  {
    name: 'CONNACK 5.0 success with properties',
    versions: [V5],
    wire: bytes(
      '20 0f                     # CONNACK, remaining length 15',
      '00                        # acknowledge flags',
      '00                        # reason code success',
      '0c                        # property length 12',
      '12 00 02 69 64            #   assigned client identifier "id"',
      '22 00 0a                  #   topic alias maximum 10',
      '24 01                     #   maximum QoS 1',
      '25 00                     #   retain available 0',
    ),
    packet: {
      type: PacketType.Connack,
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        assignedClientIdentifier: 'id',
        topicAliasMaximum: 10,
        maximumQoS: 1,
        retainAvailable: false,
      },
    },
  },
  {
    name: 'CONNACK 5.0 refusal 0x87',
    versions: [V5],
    wire: bytes('20 03', '00', '87   # not authorized', '00   # no properties'),
    packet: {
      type: PacketType.Connack,
      sessionPresent: false,
      reasonCode: ReasonCode.NotAuthorized,
      properties: NONE,
    },
  },
];

const publishFixtures: Fixture[] = [
  {
    name: 'PUBLISH QoS 0 retained',
    versions: [V31, V311],
    wire: bytes('31 07   # PUBLISH, retain', '00 03 61 2f 62   # topic "a/b"', '68 69   # "hi"'),
    packet: {
      type: PacketType.Publish,
      topic: 'a/b',
      payload: b('hi'),
      qos: 0,
      retain: true,
      dup: false,
      properties: NONE,
    },
  },
  {
    name: 'PUBLISH QoS 1 DUP retained',
    versions: [V31, V311],
    wire: bytes('3b 08   # PUBLISH, DUP, QoS 1, retain', '00 03 61 2f 62', '00 0a   # id 10', '78'),
    packet: {
      type: PacketType.Publish,
      topic: 'a/b',
      payload: b('x'),
      qos: 1,
      retain: true,
      dup: true,
      packetId: 10,
      properties: NONE,
    },
  },
  {
    name: 'PUBLISH QoS 2 with an empty payload and a UTF-8 topic keeping U+FEFF [MQTT-1.5.3-3]',
    versions: [V311],
    wire: bytes('34 09   # PUBLISH, QoS 2', '00 05 ef bb bf c3 a9   # topic "\\ufeffé"', 'ff ff'),
    packet: {
      type: PacketType.Publish,
      topic: '\ufeffé',
      payload: Buffer.alloc(0),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 0xffff,
      properties: NONE,
    },
  },
  {
    name: 'PUBLISH 5.0 QoS 0 without properties [MQTT-2.2.2-1]',
    versions: [V5],
    wire: bytes('30 08', '00 03 61 2f 62', '00   # property length 0', '68 69'),
    packet: {
      type: PacketType.Publish,
      topic: 'a/b',
      payload: b('hi'),
      qos: 0,
      retain: false,
      dup: false,
      properties: NONE,
    },
  },
  {
    name: 'PUBLISH 5.0 QoS 1 with every message property',
    versions: [V5],
    wire: bytes(
      '32 30                     # PUBLISH QoS 1, remaining length 48',
      '00 03 61 2f 62            # topic "a/b"',
      '00 01                     # packet id 1',
      '26                        # property length 38',
      '01 01                     #   payload format indicator 1',
      '02 00 00 00 3c            #   message expiry interval 60',
      '03 00 04 74 65 78 74      #   content type "text"',
      '08 00 01 72               #   response topic "r"',
      '09 00 02 01 02            #   correlation data 01 02',
      '0b 05                     #   subscription identifier 5',
      '0b 80 01                  #   subscription identifier 128',
      '23 00 03                  #   topic alias 3',
      '26 00 01 61 00 01 62      #   user property ("a", "b")',
      '6f 6b                     # payload "ok"',
    ),
    packet: {
      type: PacketType.Publish,
      topic: 'a/b',
      payload: b('ok'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
      properties: {
        payloadFormatIndicator: 1,
        messageExpiryInterval: 60,
        contentType: 'text',
        responseTopic: 'r',
        correlationData: Uint8Array.of(1, 2),
        subscriptionIdentifiers: [5, 128],
        topicAlias: 3,
        userProperties: [['a', 'b']],
      },
    },
  },
  {
    name: 'PUBLISH 5.0 with an empty topic and a Topic Alias',
    versions: [V5],
    wire: bytes('30 07', '00 00   # topic ""', '03 23 00 05   # topic alias 5', '7a'),
    packet: {
      type: PacketType.Publish,
      topic: '',
      payload: b('z'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 5 },
    },
  },
];

function pubResponses(): Fixture[] {
  const out: Fixture[] = [];
  const kinds = [
    [PacketType.Puback, '40'],
    [PacketType.Pubrec, '50'],
    [PacketType.Pubrel, '62'],
    [PacketType.Pubcomp, '70'],
  ] as const;
  for (const [type, byte0] of kinds) {
    out.push({
      name: `type ${type} (${byte0}) with only a packet id`,
      versions: [V31, V311, V5],
      wire: bytes(`${byte0} 02`, '00 07   # packet id 7'),
      packet: { type, packetId: 7, reasonCode: 0, properties: NONE },
    });
    out.push({
      name: `type ${type} 5.0 with reason 0 and property length 0 (long form of the short form)`,
      versions: [V5],
      wire: bytes(`${byte0} 04`, '00 07', '00   # success', '00   # property length 0'),
      packet: { type, packetId: 7, reasonCode: 0, properties: NONE },
      decodeOnly: true,
    });
  }
  out.push(
    {
      name: 'PUBACK 5.0 reason 0x10 without properties (remaining length 3)',
      versions: [V5],
      wire: bytes('40 03', '00 07', '10   # no matching subscribers'),
      packet: { type: PacketType.Puback, packetId: 7, reasonCode: 0x10, properties: NONE },
    },
    {
      name: 'PUBREC 5.0 reason 0x80 with a reason string',
      versions: [V5],
      wire: bytes('50 0a', '00 07', '80', '06   # property length', '1f 00 03 62 61 64   # "bad"'),
      packet: {
        type: PacketType.Pubrec,
        packetId: 7,
        reasonCode: 0x80,
        properties: { reasonString: 'bad' },
      },
    },
    {
      name: 'PUBREL 5.0 reason 0x92',
      versions: [V5],
      wire: bytes('62 03', '00 07', '92   # packet identifier not found'),
      packet: { type: PacketType.Pubrel, packetId: 7, reasonCode: 0x92, properties: NONE },
    },
  );
  return out;
}

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
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

const all = [
  ...connectFixtures,
  ...connackFixtures,
  ...publishFixtures,
  ...pubResponses(),
  ...subscribeFixtures,
  ...controlFixtures,
];

describe('byte-exact fixtures', () => {
  for (const f of all) {
    for (const version of f.versions) {
      it(`${f.name} (level ${version})`, () => {
        const decoded = decodeOne(
          f.wire,
          f.packet.type === PacketType.Connect ? undefined : version,
        );
        assert.deepEqual(normalize(decoded), normalize(f.packet));
        if (f.decodeOnly) return;
        const encoded = encode(f.packet, version);
        assert.equal(encoded.toString('hex'), f.wire.toString('hex'));
        assert.equal(encodedSize(f.packet, version), f.wire.length);
      });
    }
  }
});

describe('encoding for older versions', () => {
  const connack = (reasonCode: number): Packet => ({
    type: PacketType.Connack,
    sessionPresent: false,
    reasonCode,
    properties: { reasonString: 'dropped for 3.1.1' },
  });
  const cases: [number, number][] = [
    [ReasonCode.Banned, 5],
    [ReasonCode.BadAuthenticationMethod, 5],
    [ReasonCode.ServerBusy, 3],
    [ReasonCode.UnspecifiedError, 3],
    [ReasonCode.QuotaExceeded, 3],
  ];
  for (const [reasonCode, returnCode] of cases) {
    it(`CONNACK reason 0x${reasonCode.toString(16)} is sent to 3.1.1 as return code ${returnCode}`, () => {
      assert.deepEqual([...encode(connack(reasonCode), V311)], [0x20, 0x02, 0x00, returnCode]);
    });
  }

  it('SUBACK failure codes are sent to 3.1.1 as 0x80', () => {
    const suback: Packet = {
      type: PacketType.Suback,
      packetId: 1,
      reasonCodes: [2, ReasonCode.NotAuthorized, ReasonCode.QuotaExceeded],
      properties: NONE,
    };
    assert.deepEqual([...encode(suback, V311)], [0x90, 0x05, 0x00, 0x01, 0x02, 0x80, 0x80]);
  });

  it('drops properties and 5.0 reason codes for 3.1.1', () => {
    const puback: Packet = {
      type: PacketType.Puback,
      packetId: 3,
      reasonCode: 0x10,
      properties: { reasonString: 'x' },
    };
    assert.deepEqual([...encode(puback, V311)], [0x40, 0x02, 0x00, 0x03]);
    const disconnect: Packet = {
      type: PacketType.Disconnect,
      reasonCode: 0x8e,
      properties: NONE,
    };
    assert.deepEqual([...encode(disconnect, V311)], [0xe0, 0x00]);
  });

  it('refuses to encode AUTH before 5.0 and PUBLISH QoS 1 without a packet id', () => {
    assert.throws(
      () => encode({ type: PacketType.Auth, reasonCode: 0, properties: NONE }, V311),
      RangeError,
    );
    assert.throws(
      () =>
        encode(
          {
            type: PacketType.Publish,
            topic: 't',
            payload: b(''),
            qos: 1,
            retain: false,
            dup: false,
            properties: NONE,
          },
          V311,
        ),
      RangeError,
    );
  });

  it('refuses a property the packet type cannot carry', () => {
    const puback: Packet = {
      type: PacketType.Puback,
      packetId: 1,
      reasonCode: 0,
      properties: { topicAlias: 1 },
    };
    assert.throws(() => encode(puback, V5), RangeError);
  });
});
