// NATS subscriptions made lighter (src/cluster/interests.ts lighten): against a real
// nats-server, a lightened subscription still gets its messages and ends as it should.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { Interests, lighten } from '../../src/cluster/interests.js';
import { natsForTests } from './nats.js';

describe('cluster interests: NATS subscriptions without their own pending promises', () => {
  const nats = natsForTests();
  const nc = () => nats.nc();

  it('shares one settled promise for the three nats.js keeps per subscription (a nats.js that renamed them makes this fail: the saving is gone)', () => {
    const a = lighten(nc().subscribe('light.a', { callback: () => {} }));
    const b = lighten(nc().subscribe('light.b', { callback: () => {} }));
    for (const name of ['signal', 'iterClosed', 'closed']) {
      const fa = (a as unknown as Record<string, unknown>)[name];
      assert.ok(fa instanceof Promise, `${name} is still a promise`);
      assert.equal(fa, (b as unknown as Record<string, unknown>)[name], `${name} is shared`);
    }
    a.unsubscribe();
    b.unsubscribe();
  });

  it('a lightened subscription gets messages until its last interest goes, then none', async () => {
    const interests = new Interests(nc());
    const got: string[] = [];
    const options = () => ({
      callback: (_err: unknown, msg: { string(): string }) => got.push(msg.string()),
    });
    interests.change('f', 1, () => ['light.f'], options);
    interests.change('f', 1, () => ['light.f'], options);
    await nc().flush();
    nc().publish('light.f', 'one');
    await nc().flush();
    await until(() => got.length === 1);
    interests.change('f', -1, () => ['light.f'], options);
    nc().publish('light.f', 'two');
    await nc().flush();
    await until(() => got.length === 2);
    interests.change('f', -1, () => ['light.f'], options);
    await nc().flush();
    nc().publish('light.f', 'three');
    await nc().flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(got, ['one', 'two'], 'one copy each while subscribed, none after');
    assert.equal(nc().stats().inMsgs >= 2, true);
  });

  it('the connection still closes with lightened subscriptions open', async () => {
    const other = await connect({ servers: nats.url() });
    lighten(other.subscribe('light.open', { callback: () => {} }));
    await other.close();
    assert.equal(other.isClosed(), true);
  });
});

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
