// The DurabilityGate (src/broker/durability.ts): an acknowledgement leaves only once what it
// depends on is durable, in order per connection [MQTT-4.6.0-2] [MQTT-4.6.0-3]; a last write
// (a QoS 2 packet id in a cluster) is made only after the rest is durable, and the PUBREC
// waits for it too [MQTT-4.3.3-9].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurabilityGate } from '../../src/broker/durability.js';
import { PacketType } from '../../src/protocol/index.js';
import type { Packet } from '../../src/protocol/packets.js';
import { MemoryRetainedStore, MemorySessionStore } from '../../src/store/memory.js';

/** A session store whose flushes finish when the test says so. */
class HeldStore extends MemorySessionStore {
  readonly pending: (() => void)[] = [];
  override flush(): Promise<void> {
    return new Promise((resolve) => this.pending.push(resolve));
  }
  /** Lets the oldest flush finish, and the gate react. */
  async finishOne(): Promise<void> {
    this.pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const ack = (packetId: number): Packet =>
  ({ type: PacketType.Pubrec, packetId, reasonCode: 0, properties: {} }) as Packet;

function setUp() {
  const store = new HeldStore();
  const gate = new DurabilityGate(store, new MemoryRetainedStore(), () => {});
  const sent: number[] = [];
  const sink = {
    state: 'open',
    send: (p: Packet) => sent.push((p as { packetId: number }).packetId),
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return { store, gate, sent, sink, tick };
}

describe('DurabilityGate', () => {
  it('makes a last write once the rest is durable, and sends after it is durable too; later acknowledgements keep their place', async () => {
    const { store, gate, sent, sink, tick } = setUp();
    const writes: string[] = [];
    gate.sendAfterFlush(sink, ack(1), () => writes.push('id 1'));
    gate.send(sink, ack(2));
    await tick();
    assert.deepEqual(writes, [], 'not before the message is durable');
    await store.finishOne();
    assert.deepEqual(writes, ['id 1']);
    assert.deepEqual(sent, [], 'the PUBREC waits for its id');
    await tick();
    await store.finishOne();
    assert.deepEqual(sent, [1, 2], 'then it leaves, and the one behind it');
  });

  it('with nothing waiting, makes the last write at once and sends after one flush', async () => {
    const { store, gate, sent, sink, tick } = setUp();
    let written = false;
    gate.send(sink, ack(3), () => {
      written = true;
    });
    assert.equal(written, true);
    assert.deepEqual(sent, []);
    await tick();
    await store.finishOne();
    assert.deepEqual(sent, [3]);
  });

  it('without a last write, sends at once when nothing waits', () => {
    const { gate, sent, sink } = setUp();
    gate.send(sink, ack(4));
    assert.deepEqual(sent, [4]);
  });
});
