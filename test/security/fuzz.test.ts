// Bounded fuzzing of a live broker: random bytes and mutated valid packets (bit flips,
// truncation, bent length bytes, inserted garbage, odd chunking) over raw TCP, with and without
// a valid CONNECT first. Fixed seed, so a failure reproduces; CULEX_FUZZ_SEED and
// CULEX_FUZZ_RUNS change it. The broker runs in this process: a crash is an uncaught exception
// here. It must log no error, and a subscriber connected all along must keep getting messages.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { encode, type Packet, ProtocolVersion } from '../../src/protocol/index.js';
import { connectPacket, Harness, type RawClient, sleep, text } from '../conformance/raw-client.js';
import { watchBroker } from './fixtures/watch.js';
import { packet as anyPacket, streamPacket } from '../protocol/arbitraries.js';

const SEED = Number(process.env.CULEX_FUZZ_SEED ?? 20_261_123);
const RUNS = Number(process.env.CULEX_FUZZ_RUNS ?? 300);
/** How long a run waits for the broker to react before dropping the connection. */
const SETTLE_MS = 25;

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'none' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), value: fc.nat(255) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.constant({ kind: 'none' as const }),
);

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(bytes);
  if (out.length === 0) return out;
  switch (m.kind) {
    case 'flip':
      out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    case 'truncate':
      return out.subarray(0, m.at % out.length);
    case 'length':
      // The first Remaining Length byte.
      if (out.length > 1) out[1] = m.value;
      return out;
    case 'insert': {
      const at = m.at % (out.length + 1);
      return Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    }
    default:
      return out;
  }
}

type Piece =
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'packet'; packet: Packet; mutations: Mutation[] };

const piece = (version: ProtocolVersion, withConnect: boolean): fc.Arbitrary<Piece> =>
  fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('random' as const),
        bytes: fc.uint8Array({ maxLength: 64 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('packet' as const),
        packet: withConnect ? anyPacket(version) : streamPacket(version),
        mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
      }),
    },
  );

interface Run {
  version: ProtocolVersion;
  connectFirst: boolean;
  pieces: Piece[];
  /** Where the bytes are cut into separate writes. */
  cuts: number[];
}

const run: fc.Arbitrary<Run> = fc
  .record({
    version: fc.constantFrom(ProtocolVersion.V311, ProtocolVersion.V5),
    connectFirst: fc.boolean(),
  })
  .chain(({ version, connectFirst }) =>
    fc.record({
      version: fc.constant(version),
      connectFirst: fc.constant(connectFirst),
      pieces: fc.array(piece(version, !connectFirst), { minLength: 1, maxLength: 4 }),
      cuts: fc.array(fc.nat(300), { maxLength: 3 }),
    }),
  );

function wire(r: Run): Buffer {
  return Buffer.concat(
    r.pieces.map((p) =>
      p.kind === 'random'
        ? Buffer.from(p.bytes)
        : p.mutations.reduce<Buffer>(
            (bytes, m) => mutate(bytes, m),
            Buffer.from(encode(p.packet, r.version)),
          ),
    ),
  );
}

describe('security: fuzzing a live broker', () => {
  let h: Harness;
  let subscriber: RawClient;
  let publisher: RawClient;
  let served = 0;
  const stats = { runs: 0, closedByBroker: 0, bytes: 0 };
  const watch = watchBroker();
  const { errors, crashes, logger } = watch;

  before(async () => {
    watch.start();
    h = await Harness.start({ broker: { maxPacketSize: 64 * 1024, connectTimeout: 2 }, logger });
    subscriber = await h.connected({ clientId: 'fuzz-bystander' });
    await subscriber.subscribe([{ topicFilter: 'fuzz-bystander/#', qos: 1 }]);
    publisher = await h.connected({ version: 4, clientId: 'fuzz-publisher' });
  });

  after(async () => {
    await h.close();
    watch.stop();
  });

  async function othersStillServed(): Promise<void> {
    const payload = `alive ${++served}`;
    assert.equal(await publisher.publish('fuzz-bystander/x', payload, { qos: 1 }), 0);
    // Fuzzed SUBSCRIBEs cannot reach this topic, but skip anything else that might arrive.
    for (;;) {
      const got = await subscriber.receive();
      if (got.topic === 'fuzz-bystander/x' && text(got) === payload) return;
    }
  }

  /** One fuzz case on its own connection; resolves once the broker reacted or SETTLE_MS passed. */
  async function feed(r: Run, clientId: string): Promise<void> {
    const socket = net.connect({ port: h.port, host: '127.0.0.1', noDelay: true });
    socket.on('error', () => {});
    let closed = false;
    const whenClosed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        closed = true;
        resolve();
      }),
    );
    await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), whenClosed]);
    if (r.connectFirst) {
      const connack = new Promise((resolve) => socket.once('data', resolve));
      socket.write(encode(connectPacket({ version: r.version, clientId }), r.version));
      await Promise.race([connack, whenClosed, sleep(1_000)]);
    }
    const bytes = wire(r);
    stats.bytes += bytes.length;
    let from = 0;
    for (const cut of [...r.cuts.map((c) => c % (bytes.length + 1)), bytes.length].sort(
      (a, b) => a - b,
    )) {
      if (cut > from && !closed) socket.write(bytes.subarray(from, cut));
      from = Math.max(from, cut);
      if (r.cuts.length > 0) await sleep(1);
    }
    await Promise.race([whenClosed, sleep(SETTLE_MS)]);
    if (closed) stats.closedByBroker++;
    socket.destroy();
    await whenClosed;
  }

  it(`${RUNS} random and mutated inputs (seed ${SEED}): no crash, no error logged, others served`, async (t) => {
    await fc.assert(
      fc.asyncProperty(run, async (r) => {
        const n = ++stats.runs;
        await feed(r, `fuzz-${n}`);
        assert.deepEqual(crashes, [], 'uncaught exception');
        assert.deepEqual(errors, [], 'the broker logged an unexpected error');
        if (n % 50 === 0) await othersStillServed();
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    await othersStillServed();
    assert.equal(subscriber.closed, false);
    assert.equal(publisher.closed, false);
    // A fuzzer whose input the broker accepted every time would test little.
    assert.ok(
      stats.closedByBroker > RUNS / 4,
      `only ${stats.closedByBroker} of ${RUNS} runs refused`,
    );
    assert.deepEqual(errors, []);
    t.diagnostic(
      `${stats.runs} runs, ${stats.bytes} bytes, ${stats.closedByBroker} closed by the broker`,
    );
  });

  it('every connection the fuzzer left behind is gone', async () => {
    const deadline = Date.now() + 5_000;
    const open = () => h.server.broker.core.connections.size;
    // The subscriber and publisher stay.
    while (open() > 2 && Date.now() < deadline) await sleep(50);
    assert.equal(open(), 2);
  });
});
