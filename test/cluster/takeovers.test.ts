// Redeliveries for a lost node wait until this node's takeovers from it are done
// (src/cluster/takeovers.ts): a session on its way would otherwise miss them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Takeovers } from '../../src/cluster/takeovers.js';

describe('takeovers', () => {
  it('runs a redelivery at once when nothing is being taken from that node', () => {
    const takeovers = new Takeovers();
    let ran = 0;
    takeovers.after('n2', () => ran++);
    assert.equal(ran, 1);
  });

  it('holds a redelivery until the takeovers from that node have been adopted', async () => {
    const takeovers = new Takeovers();
    const order: string[] = [];
    let finish!: () => void;
    const work = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const first = takeovers.from('n2', () => work);
    const second = takeovers.from('n2', async () => 'session');
    takeovers.after('n2', () => order.push('redelivered'));
    takeovers.after('n3', () => order.push('other node'));
    // The caller adopts in the same turn the takeover settles; the redelivery comes after.
    await second.then(() => order.push('adopted second'));
    finish();
    await first.then(() => order.push('adopted first'));
    assert.deepEqual(order, ['other node', 'adopted second', 'adopted first']);
    await nextTurn();
    assert.deepEqual(order, ['other node', 'adopted second', 'adopted first', 'redelivered']);
  });

  it('ends a takeover that failed too', async () => {
    const takeovers = new Takeovers();
    await assert.rejects(takeovers.from('n2', async () => Promise.reject(new Error('kv'))));
    await nextTurn();
    let ran = false;
    takeovers.after('n2', () => {
      ran = true;
    });
    assert.equal(ran, true);
  });
});
