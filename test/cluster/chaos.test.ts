// The cluster chaos check in its short form (bench/cluster-chaos.ts): 3 NATS servers, 3 Culex
// nodes with sessions in the cluster, QoS 1 and QoS 2 messages crossing between nodes while a
// node is SIGKILLed and restarted. No acknowledged message may be lost, no QoS 2 message may
// arrive twice [MQTT-4.3.3-2] [MQTT-4.4.0-1]; QoS 1 duplicates are allowed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { it } from 'node:test';

const script = resolve(import.meta.dirname, '..', '..', 'bench', 'cluster-chaos.js');

interface Figures {
  published: number;
  acked: number;
  received: number;
  lost: number;
  duplicated: number;
}

/** Runs the chaos script; resolves with what it printed (it stops its own processes). */
function chaos(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => done({ code, output }));
  });
}

it('chaos: a node SIGKILLed and restarted under QoS 1/2 load loses no acknowledged message and duplicates no QoS 2 message', {
  timeout: 90_000,
}, async () => {
  const { code, output } = await chaos(['--seconds', '10', '--seed', '7', '--drain-seconds', '15']);
  const line = output
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"chaos"'));
  assert.ok(line, `no JSON summary; exit ${code}:\n${output}`);
  const { chaos: summary } = JSON.parse(line) as {
    chaos: { kills: unknown[]; qos1: Figures; qos2: Figures };
  };
  assert.ok(summary.kills.length >= 1, 'at least one node was killed');
  assert.ok(summary.qos1.acked > 0 && summary.qos2.acked > 0, 'messages were acknowledged');
  const report = output.slice(output.indexOf('\nkills:'));
  assert.equal(summary.qos1.lost, 0, `QoS 1 acknowledged and lost:\n${report}`);
  assert.equal(summary.qos2.lost, 0, `QoS 2 acknowledged and lost:\n${report}`);
  assert.equal(summary.qos2.duplicated, 0, `QoS 2 received twice:\n${report}`);
  assert.equal(code, 0, output);
});
