// `culex pub` / `culex sub` with -L repeated: the first broker that accepts is used, and
// `culex sub` follows a broker that goes away to the next one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CulexServer, createBroker } from '../../src/server.js';
import { freePort } from '../client/brokers.js';
import { culex, culexSub } from './run.js';

const start = () => createBroker({ listeners: [{ type: 'tcp', port: 0, host: '127.0.0.1' }] });
const urlOf = (server: CulexServer) => `mqtt://127.0.0.1:${server.address('tcp').port}`;

describe('culex pub/sub with several brokers (-L repeated)', () => {
  let first: CulexServer;
  let second: CulexServer;
  before(async () => {
    first = await start();
    second = await start();
  });
  after(async () => {
    await first.close();
    await second.close();
  });

  it('pub and sub skip a broker that refuses the connection', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const live = `${urlOf(second)}/cli/fo/retained`;
    const pub = await culex(['pub', '-L', dead, '-L', live, '-m', 'kept', '-r', '-q', '1']);
    assert.equal(pub.status, 0, pub.stderr);
    const sub = await culex(['sub', '-L', dead, '-L', live, '-C', '1']);
    assert.equal(sub.status, 0, sub.stderr);
    assert.equal(sub.stdout, 'kept\n');
    await culex(['pub', '-L', live, '-n', '-r']);
  });

  it('sub moves to the next broker when its broker shuts down, and subscribes there', async () => {
    const args = ['-L', urlOf(first), '-L', urlOf(second), '-V', '5', '-t', 'cli/fo/live'];
    const sub = await culexSub([...args, '-C', '1', '-W', '8']);
    await first.close();
    let exited = false;
    const done = sub.done.then((result) => {
      exited = true;
      return result;
    });
    // The resubscription on the second broker takes a moment; publish until it is heard.
    for (let i = 0; i < 30 && !exited; i++) {
      await culex(['pub', '-L', urlOf(second), '-t', 'cli/fo/live', '-m', 'there']);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const result = await done;
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'there\n');
  });
});
