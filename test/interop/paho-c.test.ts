// Interop with the Eclipse Paho C client (Debian's paho.mqtt.c-examples: paho_c_pub/paho_c_sub
// on the asynchronous MQTTAsync API, paho_cs_pub/paho_cs_sub on the synchronous MQTTClient),
// over tcp:// and ws://, MQTT 3.1.1 and 5.0. Paho C reads one MQTT packet per WebSocket frame
// and drops the rest of the frame, so over ws:// every case here fails if the broker puts
// several packets in one frame. One more client, fixtures/paho_c_pubsub.c, built here against
// libpaho-mqtt3c, subscribes and publishes on one connection (the samples never do both).
// Checks of QoS and RETAIN read Paho's own protocol trace (--trace protocol, on stderr).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { QoS } from '../../src/protocol/index.js';
import { Harness, sleep } from '../conformance/raw-client.js';
import { Child, fixturePath, installed } from './processes.js';

const SAMPLES = ['paho_c_pub', 'paho_c_sub', 'paho_cs_pub', 'paho_cs_sub'];
const missing = SAMPLES.every(installed) ? undefined : 'paho.mqtt.c-examples is not installed';

/** A message line of paho_c_sub / paho_cs_sub: "[n ]topic<TAB>payload". */
const MESSAGE_LINE = /(\S+)\t(.*)$/;
/** Paho's trace of an incoming PUBLISH: its QoS and RETAIN flag. */
const TRACED_PUBLISH = /<- PUBLISH msgid: \d+ qos: (\d) retained: (\d)/g;

function messagesOf(child: Child): string[][] {
  return child.lines.flatMap((line) => {
    const match = MESSAGE_LINE.exec(line);
    return match === null ? [] : [[match[1]!, match[2]!]];
  });
}

/** Waits until a subscriber sample has printed `count` messages: [topic, payload] each. */
async function messages(child: Child, count: number, timeoutMs = 5_000): Promise<string[][]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = messagesOf(child);
    if (found.length >= count) return found;
    if (child.exitCode !== undefined || Date.now() > deadline)
      throw new Error(`${found.length} of ${count} messages: ${child.lines.join(' | ')}`);
    await sleep(10);
  }
}

/** [QoS, RETAIN] of every PUBLISH the client traced as received. */
function tracedPublishes(child: Child): number[][] {
  return [...child.stderr.matchAll(TRACED_PUBLISH)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('interop: Eclipse Paho C', { skip: missing }, () => {
  let h: Harness;
  let scratch: string;
  let pubsub: string;
  const children: Child[] = [];
  let n = 0;
  before(async () => {
    h = await Harness.start();
    scratch = mkdtempSync(join(tmpdir(), 'culex-paho-c-'));
    pubsub = join(scratch, 'paho_c_pubsub');
    const built = spawnSync(
      'cc',
      ['-O1', '-o', pubsub, fixturePath('paho_c_pubsub.c'), '-lpaho-mqtt3c'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(built.status, 0, `cc paho_c_pubsub.c (gcc, libpaho-mqtt-dev): ${built.stderr}`);
  });
  after(async () => {
    for (const c of children) c.kill();
    await h.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const start = (command: string, args: string[]) => {
    const child = Child.start(command, args);
    children.push(child);
    return child;
  };

  for (const transport of ['tcp', 'ws'] as const) {
    for (const version of ['311', '5'] as const) {
      const uri = () =>
        transport === 'tcp' ? `tcp://127.0.0.1:${h.port}` : `ws://127.0.0.1:${h.wsPort}/mqtt`;
      const common = (clientId: string, qos: QoS) => [
        '-c',
        uri(),
        '-V',
        version,
        '-i',
        clientId,
        '-q',
        String(qos),
        '--trace',
        'protocol',
      ];

      /** Runs paho_c_pub or paho_cs_pub to completion; checks it saw its PUBACK / PUBCOMP. */
      async function publish(
        sample: string,
        topic: string,
        payload: string,
        qos: QoS,
        retain = false,
      ) {
        const args = [...common(`${sample}-${++n}`, qos), '-t', topic, '-m', payload];
        const child = start(sample, retain ? [...args, '-r'] : args);
        assert.equal(await child.exit(), 0, child.stderr.slice(-2_000));
        const ack = ['', '<- PUBACK', '<- PUBCOMP'][qos]!;
        if (ack !== '') assert.match(child.stderr, new RegExp(ack), `${sample} saw no ${ack}`);
      }

      async function subscribers(filter: string, qos: QoS): Promise<Child[]> {
        const subs = ['paho_c_sub', 'paho_cs_sub'].map((sample) => {
          const clientId = `${sample}-${++n}`;
          return { clientId, child: start(sample, [...common(clientId, qos), '-t', filter]) };
        });
        for (const s of subs) await h.subscribed(s.clientId, filter);
        return subs.map((s) => s.child);
      }

      describe(`${transport}:// MQTT ${version}`, () => {
        for (const qos of [0, 1, 2] as const) {
          it(`QoS ${qos}: paho_c_pub and paho_cs_pub publish retained; paho_c_sub and paho_cs_sub get the burst of retained messages that follows SUBACK, then a live one [MQTT-6.0.0-2]`, async () => {
            const base = `pahoc/${transport}/${version}/retained/${qos}`;
            await publish('paho_c_pub', `${base}/a`, 'one', qos, true);
            await publish('paho_cs_pub', `${base}/b`, 'two', qos, true);
            await publish('paho_cs_pub', `${base}/c`, 'three', qos, true);
            const subs = await subscribers(`${base}/#`, qos);
            for (const sub of subs)
              assert.deepEqual(
                (await messages(sub, 3)).sort(),
                [`${base}/a`, `${base}/b`, `${base}/c`].map((t, i) => [
                  t,
                  ['one', 'two', 'three'][i],
                ]),
              );
            await publish('paho_cs_pub', `${base}/live`, 'four', qos);
            for (const sub of subs) {
              assert.deepEqual((await messages(sub, 4))[3], [`${base}/live`, 'four']);
              assert.deepEqual(tracedPublishes(sub), [
                [qos, 1],
                [qos, 1],
                [qos, 1],
                [qos, 0],
              ]);
              await sub.killAndWait();
            }
            for (const t of ['a', 'b', 'c']) h.server.publish(`${base}/${t}`, '', { retain: true });
          });
        }

        it('a burst of live messages at QoS 0, 1 and 2 in one tick reaches paho_c_sub and paho_cs_sub whole, in order', async () => {
          const base = `pahoc/${transport}/${version}/burst`;
          const subs = await subscribers(`${base}/#`, 2);
          for (const qos of [0, 1, 2] as const)
            h.server.publish(`${base}/${qos}`, `m${qos}`, { qos });
          for (const sub of subs) {
            assert.deepEqual(await messages(sub, 3), [
              [`${base}/0`, 'm0'],
              [`${base}/1`, 'm1'],
              [`${base}/2`, 'm2'],
            ]);
            assert.deepEqual(tracedPublishes(sub), [
              [0, 0],
              [1, 0],
              [2, 0],
            ]);
            await sub.killAndWait();
          }
        });

        for (const qos of [0, 1, 2] as const) {
          it(`QoS ${qos}: one Paho C client subscribed and publishing on one connection takes the retained messages, then gets every PUBACK / PUBCOMP (MQTTClient_waitForCompletion) and its own messages back`, async () => {
            const base = `pahoc/${transport}/${version}/pubsub/${qos}`;
            for (const t of ['r1', 'r2'])
              h.server.publish(`${base}/${t}`, t, { qos, retain: true });
            const client = start(pubsub, [
              uri(),
              version,
              `paho-c-pubsub-${++n}`,
              `${base}/#`,
              `${base}/live`,
              String(qos),
              '2',
              '5',
            ]);
            assert.equal(await client.exit(10_000), 0, client.stderr);
            const received = client.lines.filter((l) => l.startsWith('received '));
            assert.deepEqual(received, [
              `received ${base}/r1 r1 ${qos} 1`,
              `received ${base}/r2 r2 ${qos} 1`,
              ...[0, 1, 2, 3, 4].map((i) => `received ${base}/live m-${i} ${qos} 0`),
            ]);
            for (const t of ['r1', 'r2']) h.server.publish(`${base}/${t}`, '', { retain: true });
          });
        }
      });
    }
  }
});
