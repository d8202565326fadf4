// A message's input fields (src/rules/fields.ts): computed only when a rule reads them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../src/broker/message.js';
import type { ClientInfo } from '../../src/broker/ports.js';
import { messageFields, NEEDS_ALL, Needs, needsOf } from '../../src/rules/fields.js';
import { compileRule } from '../../src/sql/index.js';

const message: Message = {
  topic: 't/1',
  payload: Buffer.from('{"v":1}'),
  qos: 1,
  retain: false,
  properties: { userProperties: [['k', 'v']] },
  expiresAt: undefined,
  origin: 'c1',
};
const client: ClientInfo = {
  clientId: 'c1',
  username: 'u',
  remoteAddress: '127.0.0.1',
  protocolVersion: 5,
  attributes: {},
};

describe('messageFields', () => {
  it('needsOf: the costly fields a rule reads (all for SELECT *)', () => {
    const needs = (sql: string) => needsOf(compileRule(sql).reads);
    assert.equal(needs('SELECT clientid, topic, qos FROM "t/#"'), 0);
    assert.equal(needs('SELECT * FROM "t/#"'), NEEDS_ALL);
    assert.equal(needs('SELECT id FROM "t/#"'), Needs.id);
    assert.equal(needs('SELECT payload.v AS v FROM "t/#"'), Needs.payload);
    assert.equal(needs('SELECT 1 FROM "t/#" WHERE pub_props.x = 1'), Needs.pubProps);
    assert.equal(needs('SELECT publish_received_at FROM "t/#"'), Needs.time);
    assert.equal(needs('SELECT timestamp, id FROM "t/#"'), Needs.time | Needs.id);
  });

  it('computes only what is needed; the rest are there as always', () => {
    let clock = 0;
    const now = () => ++clock;
    const none = messageFields(message, client, 'n1', now, 0);
    assert.equal(clock, 0);
    assert.deepEqual(
      [none.id, none.payload, none.pub_props, none.timestamp, none.publish_received_at],
      [undefined, undefined, undefined, undefined, undefined],
    );
    assert.deepEqual(
      [none.clientid, none.username, none.peerhost, none.topic, none.qos, none.node],
      ['c1', 'u', '127.0.0.1', 't/1', 1, 'n1'],
    );
    const all = messageFields(message, client, 'n1', now, NEEDS_ALL);
    assert.equal(typeof all.id, 'string');
    assert.deepEqual(all.payload, message.payload);
    assert.deepEqual((all.pub_props as Record<string, unknown>)['User-Property'], { k: 'v' });
    assert.equal(all.timestamp, 1);
    assert.equal(all.publish_received_at, 1);
  });
});
