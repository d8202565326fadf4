// Malformed and forbidden input against the real server over TCP, as hand-written bytes. For
// each row: the connection is closed (5.0: DISCONNECT with the reason code first, nothing
// after it), and a client connected all along keeps receiving its messages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, ReasonCode } from '../../src/protocol/index.js';
import { bytes, Harness, type RawClient, RawClient as Raw, text } from './raw-client.js';

const MALFORMED = ReasonCode.MalformedPacket;
const PROTOCOL = ReasonCode.ProtocolError;
const TOPIC_NAME = ReasonCode.TopicNameInvalid;
const TOO_LARGE = ReasonCode.PacketTooLarge;

interface Row {
  what: string;
  /** The bytes sent after a successful CONNECT, per version. */
  v4?: string;
  v5?: string;
  /** The DISCONNECT reason code a 5.0 client must get. */
  code: number;
  /** Rule ids per version (the same number can mean different things in 3.1.1 and 5.0). */
  rules4?: string;
  rules5?: string;
}

const rows: Row[] = [
  // Fixed header: reserved flags and packet types.
  {
    what: 'PUBREL with flags 0000',
    v4: '60 02 00 01',
    v5: '60 02 00 01',
    code: MALFORMED,
    rules4: 'MQTT-3.6.1-1 MQTT-2.2.2-1 MQTT-2.2.2-2',
    rules5: 'MQTT-3.6.1-1 MQTT-2.1.3-1',
  },
  {
    what: 'SUBSCRIBE with flags 0000',
    v4: '80 06 00 01 00 01 61 00',
    v5: '80 07 00 01 00 00 01 61 00',
    code: MALFORMED,
    rules4: 'MQTT-3.8.1-1 MQTT-2.2.2-2',
    rules5: 'MQTT-3.8.1-1 MQTT-2.1.3-1',
  },
  {
    what: 'UNSUBSCRIBE with flags 0000',
    v4: 'a0 05 00 01 00 01 61',
    v5: 'a0 06 00 01 00 00 01 61',
    code: MALFORMED,
    rules4: 'MQTT-3.10.1-1 MQTT-2.2.2-2',
    rules5: 'MQTT-3.10.1-1 MQTT-2.1.3-1',
  },
  {
    what: 'PINGREQ with flags 0001',
    v4: 'c1 00',
    v5: 'c1 00',
    code: MALFORMED,
    rules4: 'MQTT-2.2.2-1 MQTT-2.2.2-2',
    rules5: 'MQTT-2.1.3-1',
  },
  {
    what: 'DISCONNECT with flags 0001',
    v4: 'e1 00',
    v5: 'e1 00',
    code: MALFORMED,
    rules4: 'MQTT-3.14.1-1 MQTT-2.2.2-2',
    rules5: 'MQTT-3.14.1-1',
  },
  { what: 'AUTH with flags 0001', v5: 'f1 00', code: MALFORMED, rules5: 'MQTT-3.15.1-1' },
  { what: 'AUTH in 3.1.1', v4: 'f0 00', code: MALFORMED, rules4: 'MQTT-4.8.0-1' },
  { what: 'reserved packet type 0', v4: '00 00', v5: '00 00', code: MALFORMED },
  {
    what: 'CONNACK sent by a client',
    v4: '20 02 00 00',
    v5: '20 03 00 00 00',
    code: PROTOCOL,
    rules4: 'MQTT-4.8.0-1',
  },
  // Remaining Length.
  {
    what: 'Remaining Length of five bytes',
    v4: '30 ff ff ff ff 7f',
    v5: '30 ff ff ff ff 7f',
    code: MALFORMED,
  },
  {
    what: 'Remaining Length not minimally encoded',
    v4: 'c0 80 00',
    v5: 'c0 80 00',
    code: MALFORMED,
    rules5: 'MQTT-1.5.5-1',
  },
  {
    what: 'Remaining Length longer than the packet’s fields (PINGREQ with a body)',
    v4: 'c0 01 00',
    v5: 'c0 01 00',
    code: MALFORMED,
  },
  {
    what: 'Remaining Length shorter than the Topic Name',
    v4: '30 03 00 05 61',
    v5: '30 03 00 05 61',
    code: MALFORMED,
  },
  // PUBLISH header and Topic Name.
  {
    what: 'PUBLISH with QoS 3',
    v4: '36 05 00 01 61 00 01',
    v5: '36 06 00 01 61 00 01 00',
    code: MALFORMED,
    rules4: 'MQTT-3.3.1-4',
    rules5: 'MQTT-3.3.1-4',
  },
  {
    what: 'PUBLISH QoS 0 with DUP 1',
    v4: '38 03 00 01 61',
    v5: '38 04 00 01 61 00',
    code: MALFORMED,
    rules4: 'MQTT-3.3.1-2',
    rules5: 'MQTT-3.3.1-2',
  },
  {
    what: 'PUBLISH QoS 1 with packet id 0',
    v4: '32 05 00 01 61 00 00',
    v5: '32 06 00 01 61 00 00 00',
    code: PROTOCOL,
    rules4: 'MQTT-2.3.1-1',
  },
  {
    what: 'SUBSCRIBE with packet id 0',
    v4: '82 06 00 00 00 01 61 00',
    v5: '82 07 00 00 00 00 01 61 00',
    code: PROTOCOL,
    rules4: 'MQTT-2.3.1-1',
  },
  {
    what: 'Topic Name with #',
    v4: '30 05 00 03 61 2f 23',
    v5: '30 06 00 03 61 2f 23 00',
    code: TOPIC_NAME,
    rules4: 'MQTT-3.3.2-2 MQTT-4.7.1-1',
    rules5: 'MQTT-3.3.2-2 MQTT-4.7.0-1',
  },
  {
    what: 'Topic Name with +',
    v4: '30 04 00 02 61 2b',
    v5: '30 05 00 02 61 2b 00',
    code: TOPIC_NAME,
    rules4: 'MQTT-3.3.2-2 MQTT-4.7.1-1',
    rules5: 'MQTT-3.3.2-2 MQTT-4.7.0-1',
  },
  {
    what: 'empty Topic Name (and no Topic Alias)',
    v4: '30 02 00 00',
    v5: '30 03 00 00 00',
    code: PROTOCOL,
    rules4: 'MQTT-4.7.3-1',
    rules5: 'MQTT-4.7.3-1',
  },
  // UTF-8.
  {
    what: 'Topic Name with ill-formed UTF-8 (C3 28)',
    v4: '30 04 00 02 c3 28',
    v5: '30 05 00 02 c3 28 00',
    code: MALFORMED,
    rules4: 'MQTT-1.5.3-1 MQTT-3.3.2-1',
    rules5: 'MQTT-1.5.4-1 MQTT-3.3.2-1',
  },
  {
    what: 'Topic Name with an overlong encoding (C0 AF)',
    v4: '30 04 00 02 c0 af',
    v5: '30 05 00 02 c0 af 00',
    code: MALFORMED,
    rules4: 'MQTT-1.5.3-1',
    rules5: 'MQTT-1.5.4-1',
  },
  {
    what: 'Topic Name with a surrogate (ED A0 80)',
    v4: '30 05 00 03 ed a0 80',
    v5: '30 06 00 03 ed a0 80 00',
    code: MALFORMED,
    rules4: 'MQTT-1.5.3-1',
    rules5: 'MQTT-1.5.4-1',
  },
  {
    what: 'Topic Name with U+0000',
    v4: '30 05 00 03 61 00 62',
    v5: '30 06 00 03 61 00 62 00',
    code: MALFORMED,
    rules4: 'MQTT-1.5.3-2 MQTT-4.7.3-2',
    rules5: 'MQTT-1.5.4-2 MQTT-4.7.3-2',
  },
  {
    what: 'Content Type with ill-formed UTF-8',
    v5: '30 0a 00 01 61 06 03 00 03 61 c3 28',
    code: MALFORMED,
    rules5: 'MQTT-3.3.2-19 MQTT-1.5.4-1',
  },
  {
    what: 'Response Topic with ill-formed UTF-8',
    v5: '30 09 00 01 61 05 08 00 02 c3 28',
    code: MALFORMED,
    rules5: 'MQTT-3.3.2-13 MQTT-1.5.4-1',
  },
  {
    what: 'Topic Filter with ill-formed UTF-8',
    v4: '82 07 00 01 00 02 c3 28 00',
    v5: '82 08 00 01 00 00 02 c3 28 00',
    code: MALFORMED,
    rules4: 'MQTT-1.5.3-1',
    rules5: 'MQTT-1.5.4-1',
  },
  {
    what: 'User Property name with ill-formed UTF-8',
    v5: '30 0c 00 01 61 08 26 00 02 c3 28 00 01 76',
    code: MALFORMED,
    rules5: 'MQTT-1.5.7-1 MQTT-1.5.4-1',
  },
  // SUBSCRIBE options.
  {
    what: 'SUBSCRIBE option with reserved bits set',
    v4: '82 06 00 01 00 01 61 04',
    v5: '82 07 00 01 00 00 01 61 c0',
    code: MALFORMED,
    rules4: 'MQTT-3.8.3-4',
    rules5: 'MQTT-3.8.3-5',
  },
  {
    what: 'SUBSCRIBE asking QoS 3',
    v4: '82 06 00 01 00 01 61 03',
    v5: '82 07 00 01 00 00 01 61 03',
    code: MALFORMED,
    rules4: 'MQTT-3.8.3-4',
  },
  { what: 'SUBSCRIBE with Retain Handling 3', v5: '82 07 00 01 00 00 01 61 30', code: PROTOCOL },
  // 5.0 properties.
  {
    what: 'duplicated property (Content Type twice)',
    v5: '30 0c 00 01 61 08 03 00 01 78 03 00 01 79',
    code: PROTOCOL,
  },
  { what: 'unknown property identifier', v5: '30 06 00 01 61 02 7f 00', code: MALFORMED },
  {
    what: 'property not allowed in PUBLISH (Session Expiry Interval)',
    v5: '30 09 00 01 61 05 11 00 00 00 0a',
    code: MALFORMED,
  },
  {
    what: 'Property Length beyond the packet',
    v5: '30 05 00 01 61 09 01',
    code: MALFORMED,
  },
  {
    what: 'Subscription Identifier 0 in SUBSCRIBE',
    v5: '82 09 00 01 02 0b 00 00 01 61 00',
    code: PROTOCOL,
  },
  {
    what: 'Response Topic with a wildcard',
    v5: '30 0a 00 01 61 06 08 00 03 61 2f 23',
    code: PROTOCOL,
    rules5: 'MQTT-3.3.2-14',
  },
  {
    what: 'Payload Format Indicator 2',
    v5: '30 06 00 01 61 02 01 02',
    code: PROTOCOL,
  },
  // Size.
  {
    what: 'packet above the server’s Maximum Packet Size',
    v4: `30 82 08 00 01 61 ${'78 '.repeat(1025)}`,
    v5: `30 83 08 00 01 61 00 ${'78 '.repeat(1025)}`,
    code: TOO_LARGE,
  },
];

const cite = (rules: string | undefined) =>
  rules === undefined
    ? ''
    : ` ${rules
        .split(' ')
        .map((r) => `[${r}]`)
        .join(' ')}`;

describe('13 malformed', () => {
  let h: Harness;
  let bystander: RawClient;
  let feeder: RawClient;
  let sent = 0;
  before(async () => {
    h = await Harness.start({ broker: { maxPacketSize: 1024 } });
    bystander = await h.connected({ clientId: 'bystander' });
    await bystander.subscribe([{ topicFilter: 'bystander/#', qos: 1 }]);
    feeder = await h.connected({ version: 4, clientId: 'feeder' });
  });
  after(() => h.close());

  /** The bystander, connected all along, still gets a message through the server. */
  async function bystanderStillServed() {
    const payload = `alive ${++sent}`;
    await feeder.publish('bystander/x', payload, { qos: 1 });
    const got = await bystander.receive();
    assert.equal(text(got), payload);
  }

  for (const row of rows) {
    for (const version of [4, 5] as const) {
      const wire = version === 5 ? row.v5 : row.v4;
      if (wire === undefined) continue;
      const rules = cite(version === 5 ? row.rules5 : row.rules4);
      const shared =
        version === 5
          ? ' [MQTT-4.13.1-1] [MQTT-4.13.2-1] [MQTT-3.14.2-1] [MQTT-3.14.4-1] [MQTT-3.14.4-2]'
          : ' [MQTT-4.8.0-1] [MQTT-4.8.0-2]';
      it(`v${version}: ${row.what}: closed${version === 5 ? ` after DISCONNECT 0x${row.code.toString(16)}` : ''}, others unaffected${rules}${shared}`, async () => {
        const bad = await h.connected({ version, clientId: `bad-${version}-${sent}` });
        bad.send(bytes(wire));
        const packets = await bad.expectClose();
        if (version === 5) {
          assert.equal(packets.length, 1, 'one DISCONNECT and nothing after it');
          const d = packets[0]!;
          assert.equal(d.type, PacketType.Disconnect);
          assert.equal(
            d.type === PacketType.Disconnect && `0x${d.reasonCode.toString(16)}`,
            `0x${row.code.toString(16)}`,
          );
        } else assert.deepEqual(packets, []);
        await bystanderStillServed();
      });
    }
  }

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-1.5.4-3]' : '[MQTT-1.5.3-3]';
    it(`v${version}: a Topic Name keeps U+FEFF (EF BB BF) as sent, never stripped ${rules}`, async () => {
      const withBom = await h.connected({ version, clientId: `bom-sub-${version}` });
      await withBom.subscribe(['\ufeffbom/t']);
      const plain = await h.connected({ version, clientId: `bom-plain-${version}` });
      await plain.subscribe(['bom/t']);
      const pub = await h.connected({ version, clientId: `bom-pub-${version}` });
      // PUBLISH QoS 0, topic EF BB BF "bom/t", (5.0: no properties), payload "x".
      pub.send(
        bytes(
          version === 5
            ? '30 0c 00 08 ef bb bf 62 6f 6d 2f 74 00 78'
            : '30 0b 00 08 ef bb bf 62 6f 6d 2f 74 78',
        ),
      );
      const got = await withBom.expect(PacketType.Publish);
      assert.equal(got.topic, '\ufeffbom/t');
      assert.equal(text(got), 'x');
      await plain.expectNothing(200);
      for (const c of [withBom, plain, pub]) c.disconnect();
    });
  }

  for (const version of [4, 5] as const) {
    const rules = version === 5 ? '[MQTT-3.1.4-1] [MQTT-3.2.2-7]' : '[MQTT-3.1.4-1] [MQTT-3.2.2-6]';
    it(`v${version}: a malformed CONNECT is answered with no successful CONNACK and closed ${rules}`, async () => {
      for (const [what, body] of [
        // Will QoS 1 without the Will Flag.
        [
          'will QoS without will flag',
          version === 5
            ? '00 04 4d 51 54 54 05 0a 00 00 00 00 01 63'
            : '00 04 4d 51 54 54 04 0a 00 00 00 01 63',
        ],
        // Will topic with a wildcard: flags 06 (will, clean), will topic "a/#", will payload "".
        [
          'will topic with a wildcard',
          version === 5
            ? '00 04 4d 51 54 54 05 06 00 00 00 00 01 63 00 00 03 61 2f 23 00 00'
            : '00 04 4d 51 54 54 04 06 00 00 00 01 63 00 03 61 2f 23 00 00',
        ],
        // Client id with ill-formed UTF-8.
        [
          'client id with bad UTF-8',
          version === 5
            ? '00 04 4d 51 54 54 05 02 00 00 00 00 02 c3 28'
            : '00 04 4d 51 54 54 04 02 00 00 00 02 c3 28',
        ],
      ] as const) {
        const c = await Raw.open(h.port, version);
        h.clients.push(c);
        const len = body.split(' ').length.toString(16).padStart(2, '0');
        c.send(bytes('10', len, body));
        const packets = await c.expectClose();
        assert.ok(packets.length <= 1, what);
        for (const p of packets) {
          assert.equal(p.type, PacketType.Connack, what);
          assert.ok(p.type === PacketType.Connack && p.reasonCode >= 0x80, what);
          assert.equal(p.type === PacketType.Connack && p.sessionPresent, false, what);
        }
        if (version === 4) assert.deepEqual(packets, [], `${what}: 3.1.1 closes without CONNACK`);
      }
      await bystanderStillServed();
    });
  }
});
