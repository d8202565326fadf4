// `culex start --workers 2`: two broker processes on one MQTT port (connections land on both),
// a message published through one worker reaches a subscriber on the other, a SIGKILLed
// worker is started again, and SIGTERM to the supervisor leaves no process behind (workers and
// the nats-server it runs).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort, stopChild } from '../../bench/broker-process.js';
import { collect, inbox, propagated, real, sleep, until } from '../cluster/harness.js';
import { running } from '../../src/cli/nats-server.js';
import { culex, entry, run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'culex-workers-'));
const KEY = 'workers-test-key-0123456789';

interface Supervisor {
  child: ChildProcess;
  output: () => string;
}

/** Every supervisor started, and nats-servers left by a SIGKILLed one: after() stops them,
 * also when a test failed half-way. */
const started: Supervisor[] = [];
const strayNats: number[] = [];

async function startWorkers(
  port: number,
  httpPort: number,
  workers = 2,
  data = 'data',
): Promise<Supervisor> {
  const config = join(dir, 'culex.yaml');
  writeFileSync(config, `http:\n  apiKeys: [{ name: t, key: ${KEY} }]\n`);
  const args = ['start', '--workers', String(workers), '-c', config, '--data-dir', join(dir, data)];
  args.push('--port', String(port), '--ws-port', '0', '--http-port', String(httpPort));
  args.push('--store', 'memory', '--node-name', 'wt', '--log-level', 'warn');
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  started.push({ child, output: () => output });
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const ready = `${workers} workers ready`;
  await until(() => output.includes(ready) || child.exitCode !== null, 'ready', 30_000);
  assert.ok(output.includes(ready), output);
  return { child, output: () => output };
}

/** PIDs of a process's children (workers and nats-server), from /proc. */
function children(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(' ').map(Number);
}

const workerOf = (pid: number) =>
  /CULEX_WORKER_INDEX=(\d+)/.exec(readFileSync(`/proc/${pid}/environ`, 'latin1'))?.[1];

/** Runs `check` every 100 ms until it holds; fails after `ms`. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(100);
  }
}

function connect(port: number, clientId: string): Promise<MqttClient> {
  const client = mqtt.connect({ port, host: '127.0.0.1', clientId, reconnectPeriod: 0 });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

describe('culex start --workers 2', () => {
  const clients: MqttClient[] = [];
  let supervisor: Supervisor | undefined;
  after(async () => {
    for (const client of clients) client.end(true);
    // SIGTERM: a SIGKILLed supervisor would leave its nats-server behind.
    for (const { child } of started)
      if (child.exitCode === null && child.signalCode === null)
        await stopChild(child, 'SIGTERM', 20_000);
    for (const pid of strayNats) if (running(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares the port, routes between workers, restarts a SIGKILLed worker, stops on SIGTERM', {
    timeout: 90_000,
  }, async () => {
    const [port, httpPort] = [await freePort(), await freePort()];
    supervisor = await startWorkers(port, httpPort);
    const api = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
        headers: { authorization: `Bearer ${KEY}` },
        signal: AbortSignal.timeout(5_000),
      });
      return (await res.json()) as Record<string, unknown> & { items?: ClientItem[] };
    };
    type ClientItem = { clientId: string; node: string };
    const nodeOf = async () => {
      const body = await api('/api/v1/cluster/clients?clientId=w-&limit=100');
      assert.ok(body.items, `${JSON.stringify(body)} ${supervisor?.output()}`);
      return new Map(body.items!.map((c) => [c.clientId, c.node]));
    };

    for (let i = 0; i < 4; i++) clients.push(await connect(port, `w-${i}`));
    let nodes = await nodeOf();
    assert.deepEqual(new Set(nodes.values()), new Set(['wt-w1', 'wt-w2']), 'both workers accept');

    const subscriber = clients.find((c) => nodes.get(c.options.clientId!) === 'wt-w1')!;
    const publisher = clients.find((c) => nodes.get(c.options.clientId!) === 'wt-w2')!;
    await subscriber.subscribeAsync('workers/t', { qos: 1 });
    const got = inbox(subscriber);
    // The subscription reaches worker 2 through NATS a moment after SUBACK.
    await propagated(publisher, 'workers/t', got, 10_000);
    await publisher.publishAsync('workers/t', 'across', { qos: 1 });
    await collect(got, got.length + 1);
    assert.deepEqual(
      real(got).map((m) => m.payload.toString()),
      ['across'],
    );

    // Retained messages are the cluster's: one kept through worker 2 reaches a subscriber on 1.
    await publisher.publishAsync('workers/r', 'kept', { qos: 1, retain: true });
    // A live copy may come first: worker 2's NATS publish can reach the server after worker
    // 1's subscription for the topic did. What counts is the retained copy.
    const received = inbox(subscriber);
    const retained = () => received.filter((m) => m.topic === 'workers/r' && m.packet.retain);
    await eventually(async () => {
      await subscriber.unsubscribeAsync('workers/r');
      await subscriber.subscribeAsync('workers/r', { qos: 1 });
      await sleep(100);
      return retained().length > 0;
    }, 'the retained message through worker 1');
    assert.equal(retained()[0]!.payload.toString(), 'kept');

    const pids = children(supervisor.child.pid!);
    const worker2 = pids.find((pid) => workerOf(pid) === '2')!;
    const nats = pids.find((pid) => workerOf(pid) === undefined)!;
    process.kill(worker2, 'SIGKILL');
    await until(
      () => children(supervisor!.child.pid!).some((p) => p !== worker2 && workerOf(p) === '2'),
      'worker 2 forked again',
      10_000,
    );
    const killedAt = Date.now();
    const restarted = async () => {
      const { nodes } = (await api('/api/v1/cluster/nodes')) as {
        nodes: { name: string; state: string; startedAt: number }[];
      };
      return nodes.some((n) => n.name === 'wt-w2' && n.state === 'up' && n.startedAt > killedAt);
    };
    await eventually(restarted, 'worker 2 registered again as a cluster node');
    // It serves again: new connections land on it.
    let back = false;
    for (let i = 4; i < 12 && !back; i++) {
      clients.push(await connect(port, `w-${i}`));
      nodes = await nodeOf();
      back = nodes.get(`w-${i}`) === 'wt-w2';
    }
    assert.ok(back, 'a connection landed on the restarted worker 2');
    assert.match(supervisor.output(), /worker 2 \(pid \d+\) exited \(SIGKILL\); restart in/);

    const all = [...children(supervisor.child.pid!), nats];
    await stopChild(supervisor.child, 'SIGTERM', 20_000);
    assert.equal(supervisor.child.exitCode, 0);
    await until(() => all.every((pid) => !running(pid)), 'no process left', 5_000);
  });

  it('without --cluster and without nats-server on PATH, names the binary and how to install it', async () => {
    const args = ['start', '--workers', '2', '--data-dir', join(dir, 'nonats'), '--http-port', '0'];
    const { status, stderr } = await run('env', [
      'PATH=/nonexistent',
      process.execPath,
      entry,
      ...args,
    ]);
    assert.equal(status, 1);
    assert.match(
      stderr,
      /nats-server is not on PATH: install it \(Debian\/Ubuntu: apt-get install nats-server/,
    );
    assert.match(stderr, /\(CULEX_E_NATS_SERVER_MISSING\)\n$/);
  });

  it('refuses a --workers value that is no count', async () => {
    const { status, stderr } = await culex(['start', '--workers', '0', '--http-port', '0']);
    assert.equal(status, 1);
    assert.equal(
      stderr,
      `culex: invalid value "0" for '--workers': expected a whole number from 1 to 1024, or auto (CULEX_E_CONFIG_BAD_VALUE)\n`,
    );
  });

  it('a start after a SIGKILLed supervisor stops the nats-server that supervisor left', {
    timeout: 60_000,
  }, async () => {
    const [port, httpPort] = [await freePort(), await freePort()];
    // A data directory of its own: a supervisor another test left would look stale here.
    const first = await startWorkers(port, httpPort, 1, 'data-stale');
    const pids = children(first.child.pid!);
    const nats = pids.find((pid) => workerOf(pid) === undefined)!;
    strayNats.push(nats);
    await stopChild(first.child, 'SIGKILL');
    // Its worker goes with it (the IPC channel closes); its nats-server cannot know.
    await until(() => pids.every((pid) => pid === nats || !running(pid)), 'worker gone', 10_000);
    assert.ok(running(nats));
    supervisor = await startWorkers(port, httpPort, 1, 'data-stale');
    assert.ok(!running(nats), 'the stale nats-server was stopped');
    assert.match(supervisor.output(), /stopping nats-server pid \d+ left by a previous run/);
    await stopChild(supervisor.child, 'SIGTERM', 20_000);
    supervisor = undefined;
  });
});
