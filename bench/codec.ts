// Codec micro-benchmark: Culex against mqtt-packet, side by side in one process. Decode and
// encode of PUBLISH (64 B and 4 KiB payloads, QoS 0 and 1, MQTT 3.1.1 and 5.0) and of a
// CONNECT + SUBSCRIBE mix. Prints a table, then one JSON line with the geometric-mean ratios
// (Culex ops/s ÷ mqtt-packet ops/s) over the PUBLISH cases.
import mqttPacket from 'mqtt-packet';
import {
  NO_PROPERTIES,
  type Packet,
  PacketDecoder,
  PacketType,
  type ProtocolVersion,
  encode,
} from '../src/protocol/index.js';

type MqttPacket = Parameters<typeof mqttPacket.generate>[0];

interface Case {
  name: string;
  publish: boolean;
  version: ProtocolVersion;
  /** The same packets in both models. */
  culex: Packet[];
  mqtt: MqttPacket[];
}

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const ROUNDS = 3;
let sink = 0;

function publishCase(size: number, qos: 0 | 1, version: ProtocolVersion): Case {
  const payload = Buffer.alloc(size, 0x61);
  const topic = 'sensors/building-7/floor-3/room-12/temperature';
  const culex: Packet = {
    type: PacketType.Publish,
    topic,
    payload,
    qos,
    retain: false,
    dup: false,
    ...(qos > 0 ? { packetId: 4242 } : {}),
    properties: NO_PROPERTIES,
  };
  const mqtt = {
    cmd: 'publish',
    topic,
    payload,
    qos,
    retain: false,
    dup: false,
    ...(qos > 0 ? { messageId: 4242 } : {}),
  } as MqttPacket;
  const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  return {
    name: `PUBLISH ${label} QoS ${qos} v${version}`,
    publish: true,
    version,
    culex: [culex],
    mqtt: [mqtt],
  };
}

function mixCase(version: ProtocolVersion): Case {
  const filters = ['a/b/c', 'sensors/+/temperature', 'alerts/#'];
  const culex: Packet[] = [
    {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: version,
      clean: true,
      keepAlive: 60,
      clientId: 'bench-client-0001',
      username: 'user',
      password: Buffer.from('secret'),
      properties: NO_PROPERTIES,
    },
    {
      type: PacketType.Subscribe,
      packetId: 7,
      subscriptions: filters.map((topicFilter) => ({
        topicFilter,
        qos: 1 as const,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0 as const,
      })),
      properties: NO_PROPERTIES,
    },
  ];
  const mqtt = [
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: version,
      clean: true,
      keepalive: 60,
      clientId: 'bench-client-0001',
      username: 'user',
      password: Buffer.from('secret'),
    },
    { cmd: 'subscribe', messageId: 7, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) },
  ] as MqttPacket[];
  return { name: `CONNECT+SUBSCRIBE v${version}`, publish: false, version, culex, mqtt };
}

/** Operations per second of `op`, best of ROUNDS rounds of ROUND_MS each. */
function measure(op: () => void): number {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(ROUND_MS) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 256; i++) op();
      ops += 256;
      now = process.hrtime.bigint();
    }
    best = Math.max(best, ops / (Number(now - start) / 1e9));
  }
  return best;
}

function culexDecode(c: Case): () => void {
  const wire = c.culex.map((p) => encode(p, c.version));
  const decoder = new PacketDecoder({ protocolVersion: c.version });
  return () => {
    for (const bytes of wire) {
      decoder.push(bytes);
      sink += decoder.next()!.type;
    }
  };
}

function mqttDecode(c: Case): () => void {
  const wire = c.mqtt.map((p) => mqttPacket.generate(p, { protocolVersion: c.version }));
  const parser = mqttPacket.parser({ protocolVersion: c.version });
  parser.on('packet', (p: { cmd: string }) => {
    sink += p.cmd.length;
  });
  parser.on('error', (err: Error) => {
    throw err;
  });
  return () => {
    for (const bytes of wire) parser.parse(bytes);
  };
}

function culexEncode(c: Case): () => void {
  return () => {
    for (const p of c.culex) sink += encode(p, c.version).length;
  };
}

function mqttEncode(c: Case): () => void {
  const opts = { protocolVersion: c.version };
  return () => {
    for (const p of c.mqtt) sink += mqttPacket.generate(p, opts).length;
  };
}

/** Both codecs must produce the same bytes, or the comparison means nothing. */
function checkSameBytes(c: Case): void {
  c.culex.forEach((p, i) => {
    const ours = encode(p, c.version);
    const theirs = mqttPacket.generate(c.mqtt[i], { protocolVersion: c.version });
    if (!ours.equals(theirs)) throw new Error(`${c.name}: encodings differ`);
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

function main(): void {
  const cases: Case[] = [];
  for (const version of [4, 5] as const) {
    for (const size of [64, 4096])
      for (const qos of [0, 1] as const) cases.push(publishCase(size, qos, version));
  }
  cases.push(mixCase(4), mixCase(5));
  const decodeRatios: number[] = [];
  const encodeRatios: number[] = [];
  console.log(`node ${process.version}, ${ROUNDS} rounds × ${ROUND_MS} ms, best round (ops/s)`);
  console.log(
    `${'case'.padEnd(28)}${'decode culex'.padStart(14)}${'mqtt-packet'.padStart(13)}${'ratio'.padStart(7)}` +
      `${'encode culex'.padStart(14)}${'mqtt-packet'.padStart(13)}${'ratio'.padStart(7)}`,
  );
  for (const c of cases) {
    checkSameBytes(c);
    const dc = measure(culexDecode(c));
    const dm = measure(mqttDecode(c));
    const ec = measure(culexEncode(c));
    const em = measure(mqttEncode(c));
    if (c.publish) {
      decodeRatios.push(dc / dm);
      encodeRatios.push(ec / em);
    }
    console.log(
      `${c.name.padEnd(28)}${fmt(dc)}  ${fmt(dm)}${(dc / dm).toFixed(2).padStart(7)}` +
        `${fmt(ec)}  ${fmt(em)}${(ec / em).toFixed(2).padStart(7)}`,
    );
  }
  if (sink === 0) console.log('');
  const decodeRatio = Number(geomean(decodeRatios).toFixed(2));
  const encodeRatio = Number(geomean(encodeRatios).toFixed(2));
  console.log(JSON.stringify({ decodeRatio, encodeRatio }));
}

main();
