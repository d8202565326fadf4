// Limits: the largest topic, many filters at once, and (hostile) a flood, a packet above the
// server's Maximum Packet Size, more unacknowledged QoS 2 PUBLISHes than its Receive Maximum,
// and a huge Client Identifier. The server must answer or refuse, never hang or crash.
import { encode, PacketType } from '../../protocol/index.js';
import { describePacket } from '../connection.js';
import { defineChecks, needsQoS1, needsQoS2 } from '../define.js';
import { expectClosed, publish, publishPacket, receive, subscribe, subscribed } from '../steps.js';
import { type Capabilities, ensure, NotSupported } from '../types.js';

const LONGEST_TOPIC = 65_535;
const FLOOD = 2_000;
/** PUBLISHes written per socket write (and per rate slot) in a flood. */
const BATCH = 100;

const fits = (bytes: number) => (caps: Capabilities) =>
  caps.maximumPacketSize !== undefined && caps.maximumPacketSize < bytes
    ? `Maximum Packet Size ${caps.maximumPacketSize}`
    : undefined;

export const limitChecks = defineChecks('limits', [
  {
    id: 'longest-topic',
    title: 'A topic of 65,535 bytes is subscribed to and delivered',
    rules: { 4: ['MQTT-4.7.3-3'], 5: ['MQTT-4.7.3-3'] },
    requires: fits(LONGEST_TOPIC + 16),
    async run(ctx) {
      const prefix = `${ctx.topic()}/`;
      const topic = prefix + 'x'.repeat(LONGEST_TOPIC - prefix.length);
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      const [code] = await subscribe(ctx, subscriber, [topic]);
      if (code! >= 0x80)
        throw new NotSupported(`refuses a 65,535-byte topic filter (SUBACK ${code})`);
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      await publish(ctx, publisher, topic, 'long');
      const got = await receive(ctx, subscriber);
      ensure(got.topic === topic, `delivered on a topic of ${got.topic.length} characters`);
    },
  },
  {
    id: 'many-filters',
    title: 'A SUBSCRIBE of 100 filters gets a SUBACK with 100 codes',
    rules: { 4: ['MQTT-3.8.4-5'], 5: ['MQTT-3.8.4-6'] },
    async run(ctx) {
      const connection = await ctx.connected();
      const filters = Array.from({ length: 100 }, (_, i) => ctx.topic(String(i)));
      const codes = await subscribe(ctx, connection, filters);
      ensure(codes.length === 100, `SUBACK with ${codes.length} codes`);
      ensure(
        codes.every((c) => c === 0),
        'refused some of 100 valid filters',
      );
    },
  },
  {
    id: 'flood',
    title: `A burst of ${FLOOD} QoS 0 PUBLISHes, then PINGREQ: PINGRESP still comes`,
    rules: { 4: ['MQTT-3.12.4-1'], 5: ['MQTT-3.12.4-1'] },
    hostile: true,
    async run(ctx) {
      const connection = await ctx.connected();
      const one = encode(publishPacket(ctx.topic(), 'x'.repeat(64)), ctx.version);
      for (let i = 0; i < FLOOD / BATCH; i++)
        await connection.send(Buffer.concat(Array(BATCH).fill(one)));
      await connection.send({ type: PacketType.Pingreq });
      await connection.waitUntil(
        () => connection.closed || connection.packets.length > 0,
        ctx.timeout * 2,
      );
      if (connection.closed)
        throw new NotSupported('closes a flooding client (allowed: a server may limit rates)');
      await connection.expect(PacketType.Pingresp, ctx.timeout);
    },
  },
  {
    id: 'packet-too-large',
    title:
      'A packet above the server\u2019s Maximum Packet Size is refused: DISCONNECT 0x95 or a close',
    rules: { 5: ['MQTT-4.13.1-1'] },
    hostile: true,
    requires: (caps) =>
      caps.maximumPacketSize === undefined
        ? 'no Maximum Packet Size announced'
        : caps.maximumPacketSize > 1 << 24
          ? 'Maximum Packet Size above 16 MiB'
          : undefined,
    async run(ctx) {
      const connection = await ctx.connected();
      const payload = Buffer.alloc(ctx.caps.maximumPacketSize! + 1);
      await connection.send(publishPacket(ctx.topic(), payload, { qos: 1 }));
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'receive-maximum-exceeded',
    title:
      'More unacknowledged QoS 2 PUBLISHes than the server\u2019s Receive Maximum: DISCONNECT 0x93 or a close',
    rules: { 5: ['MQTT-4.13.1-1'] },
    hostile: true,
    requires: (caps, version) =>
      needsQoS2(caps, version) ??
      (caps.receiveMaximum > 4_096 ? `Receive Maximum ${caps.receiveMaximum}` : undefined),
    async run(ctx) {
      const connection = await ctx.connected();
      const count = ctx.caps.receiveMaximum + 1;
      const all = Array.from({ length: count }, (_, i) =>
        encode(publishPacket(ctx.topic(), 'q2', { qos: 2, packetId: i + 1 }), 5),
      );
      for (let i = 0; i < count; i += BATCH)
        await connection.send(Buffer.concat(all.slice(i, i + BATCH)));
      const closed = await connection.waitClose(ctx.timeout * 2);
      const last = connection.packets.at(-1);
      ensure(
        closed,
        `kept the connection open${last ? ` (last sent ${describePacket(last)})` : ''}`,
      );
      const refusal = connection.packets.find((p) => p.type === PacketType.Disconnect);
      ensure(
        !refusal || refusal.reasonCode === 0x93,
        `sent ${refusal && describePacket(refusal)}, not 0x93`,
      );
    },
  },
  {
    id: 'huge-client-id',
    title:
      'A 60,000-byte Client Identifier is accepted or refused (CONNACK 0x85 / 0x02), never left hanging',
    rules: { 4: ['MQTT-3.1.3-9'], 5: ['MQTT-3.1.3-8'] },
    hostile: true,
    async run(ctx) {
      const { connection, connack } = await ctx.connect({
        clientId: ctx.clientId().padEnd(60_000, 'c'),
      });
      if (connack.reasonCode === 0) return connection.disconnect();
      ensure(
        connack.reasonCode === 0x85,
        `refused with ${describePacket(connack)}, not 0x85 / 0x02`,
      );
      await expectClosed(ctx, connection);
    },
  },
  {
    id: 'large-payload',
    title: 'A QoS 1 message with a 1 MiB payload is delivered intact',
    rules: { 4: ['MQTT-4.5.0-1'], 5: ['MQTT-4.5.0-1'] },
    hostile: true,
    requires: (caps, version) => needsQoS1(caps, version) ?? fits(1_048_576 + 256)(caps),
    async run(ctx) {
      const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
      await subscribed(ctx, subscriber, { topicFilter: ctx.topic(), qos: 1 });
      const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
      const payload = Buffer.alloc(1_048_576, 7);
      await publish(ctx, publisher, ctx.topic(), payload, { qos: 1 });
      const got = await receive(ctx, subscriber);
      ensure(
        Buffer.compare(Buffer.from(got.payload), payload) === 0,
        `delivered ${got.payload.length} bytes`,
      );
    },
  },
]);
