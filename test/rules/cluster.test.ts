// A rule in a 2-node cluster runs once per message, on the node that received it: messages
// that come from the other node reach the router, never the rule engine again.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster, collect, inbox, sleep } from '../cluster/harness.js';

const API_KEY = 'rules-cluster-key-0123';
const CONFIG = `
http:
  apiKeys: [{ name: test, key: ${API_KEY} }]
rules:
  - id: once
    sql: SELECT clientid FROM "once/#"
    actions: [{ type: republish, topic: 'count/\${node}', payload: '\${clientid}' }]
`;

describe('rules in a cluster', { timeout: 90_000 }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start('rules', []);
    const config = join(cluster.tempDir(), 'rules.yaml');
    writeFileSync(config, CONFIG.replace('${node}', 'n'));
    await cluster.startNode('A', 20_000, { config, http: true });
    await cluster.startNode('B', 20_000, { config, http: true });
  });
  after(() => cluster?.close());

  it('a message published on A, with subscribers on A and B, fires the rule once (on A)', async () => {
    const onA = await cluster.connect('A', { clientId: 'rules-sub-a', protocolVersion: 5 });
    const onB = await cluster.connect('B', { clientId: 'rules-sub-b', protocolVersion: 5 });
    const gotA = inbox(onA);
    const gotB = inbox(onB);
    await onA.subscribeAsync(['once/#', 'count/#'], { qos: 1 });
    await onB.subscribeAsync(['once/#', 'count/#'], { qos: 1 });
    await sleep(500); // the subscriptions' interest reaches the other node
    const pub = await cluster.connect('A', { clientId: 'rules-pub', protocolVersion: 5 });
    await pub.publishAsync('once/1', 'x', { qos: 1 });
    await collect(gotB, 2);
    await sleep(500); // a second firing, if any, would arrive meanwhile
    for (const got of [gotA, gotB]) {
      const counts = got.filter((m) => m.topic.startsWith('count/'));
      assert.equal(counts.length, 1, JSON.stringify(got.map((m) => m.topic)));
      assert.equal(counts[0]!.payload.toString(), 'rules-pub');
    }
    const matched = async (node: string) => {
      const res = await fetch(`${cluster.node(node).httpUrl}/metrics`, {
        headers: { authorization: `Bearer ${API_KEY}` },
        signal: AbortSignal.timeout(5000),
      });
      return /^culex_rule_matched_total\{rule="once"\} (\d+)$/m.exec(await res.text())?.[1];
    };
    assert.equal(await matched('A'), '1');
    assert.equal(await matched('B'), '0');
  });
});
