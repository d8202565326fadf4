// Byte-exact fixtures written from the field tables of the MQTT 3.1.1 and 5.0 specifications,
// one annotated line per field. Each must decode to its packet and encode back to its bytes.
import { NO_PROPERTIES, PacketType, ProtocolVersion } from '../../src/protocol/index.js';
import { type Fixture, bytes, describeFixtures } from './helpers.js';

const { V31, V311, V5 } = ProtocolVersion;
const NONE = NO_PROPERTIES;
const b = (s: string) => Buffer.from(s, 'utf8');

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

describeFixtures('PUBLISH', publishFixtures);
describeFixtures('PUBACK, PUBREC, PUBREL, PUBCOMP', pubResponses());
