// Acknowledgements that wait for other nodes (src/cluster/durable-acks.ts): a PUBACK/PUBREC
// leaves once every node that must confirm a batch did, or once the batch was redelivered
// for it and that redelivery is kept in the cluster; never before [MQTT-4.3.2-4].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterMessage } from '../../src/broker/ports.js';
import { type NodeLiveness, PendingAcks } from '../../src/cluster/durable-acks.js';

const batch = [{ id: 'm1', topic: 't', qos: 1 } as ClusterMessage];

/** PendingAcks over a liveness table, with redeliveries settled by the test. */
function acks(liveness: Record<string, NodeLiveness>, timeoutMs = 30) {
  const sent: { nodes: string[]; keep(): void; fail(): void }[] = [];
  const pending = new PendingAcks(
    timeoutMs,
    (node) => liveness[node] ?? 'gone',
    (nodes) =>
      new Promise<void>((keep, reject) => {
        sent.push({ nodes: [...nodes], keep, fail: () => reject(new Error('stream down')) });
      }),
  );
  return { pending, sent };
}

/** The flush of `pending`, looked at later (a failure is not unhandled meanwhile). */
function flush(pending: PendingAcks): Promise<void> {
  const flushed = pending.flush();
  flushed.catch(() => {});
  return flushed;
}

/** 'done', 'failed: …' or 'waiting' after the turns in between. */
async function state(flushed: Promise<void>): Promise<string> {
  return Promise.race([
    flushed.then(
      () => 'done',
      (err: Error) => `failed: ${err.name}`,
    ),
    sleep(5).then(() => 'waiting'),
  ]);
}

describe('acknowledgements waiting for other nodes', () => {
  it('wait for every node that must confirm', async () => {
    const { pending } = acks({ n2: 'up', n3: 'up' });
    pending.expect(1, new Set(['n2', 'n3']), batch);
    const flushed = flush(pending);
    pending.acked(1, 'n2');
    assert.equal(await state(flushed), 'waiting');
    pending.acked(1, 'n3');
    assert.equal(await state(flushed), 'done');
  });

  /** The batch is redelivered for n2, and the acknowledgement waits until that is kept. */
  async function waitsForRedelivery(liveness: NodeLiveness): Promise<void> {
    const { pending, sent } = acks({ n2: liveness });
    pending.expect(1, new Set(['n2']), batch);
    const flushed = flush(pending);
    while (sent.length === 0) await sleep(10);
    assert.deepEqual(
      sent.map((s) => s.nodes),
      [['n2']],
    );
    assert.equal(await state(flushed), 'waiting');
    sent[0]!.keep();
    assert.equal(await state(flushed), 'done');
  }

  it('for a node already gone, wait until its redelivery is kept, not a moment less', () =>
    waitsForRedelivery('gone'));

  it(
    'for a node that is up but never confirms, redeliver after the timeout and wait for it',
    {
      timeout: 5_000,
    },
    () => waitsForRedelivery('up'),
  );

  it('a redelivery that cannot be kept fails the acknowledgement (its publishers are closed)', async () => {
    const { pending, sent } = acks({ n2: 'gone' });
    pending.expect(1, new Set(['n2']), batch);
    const flushed = flush(pending);
    sent[0]!.fail();
    assert.equal(await state(flushed), 'failed: ClusterAckTimeout');
  });

  it('a node that stays silent fails the acknowledgement after three timeouts, unredelivered', {
    timeout: 5_000,
  }, async () => {
    const { pending, sent } = acks({ n2: 'silent' }, 10);
    pending.expect(1, new Set(['n2']), batch);
    await assert.rejects(pending.flush(), { name: 'ClusterAckTimeout' });
    assert.equal(sent.length, 0);
  });
});
