// Interop with Mosquitto's command-line clients over TCP (they do not speak WebSocket):
// mosquitto_pub and mosquitto_sub at QoS 0/1/2, retained, 3.1.1 and 5.0, 5.0 properties,
// persistent sessions, shared subscriptions and the will of a killed mosquitto_sub.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness, text } from '../conformance/raw-client.js';
import { Child, installed } from './processes.js';

const missing =
  installed('mosquitto_pub') && installed('mosquitto_sub')
    ? undefined
    : 'mosquitto-clients are not installed';

describe('interop: mosquitto_pub / mosquitto_sub', { skip: missing }, () => {
  let h: Harness;
  const children: Child[] = [];
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    for (const c of children) c.kill();
    await h.close();
  });

  const run = (command: string, args: string[]) => {
    const child = Child.start(command, ['-h', '127.0.0.1', '-p', String(h.port), ...args]);
    children.push(child);
    return child;
  };

  async function pub(args: string[]) {
    const child = run('mosquitto_pub', args);
    assert.equal(await child.exit(), 0, child.stderr);
  }

  for (const [version, flag] of [
    [4, 'mqttv311'],
    [5, 'mqttv5'],
  ] as const) {
    describe(`-V ${flag}`, () => {
      it('mosquitto_sub -C 3 -v gets what mosquitto_pub sends at -q 0, 1 and 2, in order', async () => {
        const id = `msub-${flag}`;
        const sub = run('mosquitto_sub', [
          '-V',
          flag,
          '-i',
          id,
          '-t',
          `m${version}/q/#`,
          '-q',
          '2',
          '-C',
          '3',
          '-v',
          '-W',
          '10',
        ]);
        await h.subscribed(id, `m${version}/q/#`);
        for (const qos of ['0', '1', '2'])
          await pub(['-V', flag, '-t', `m${version}/q/${qos}`, '-m', `at qos ${qos}`, '-q', qos]);
        assert.equal(await sub.exit(), 0, sub.stderr);
        assert.deepEqual(sub.lines, [
          `m${version}/q/0 at qos 0`,
          `m${version}/q/1 at qos 1`,
          `m${version}/q/2 at qos 2`,
        ]);
      });

      it('the delivered QoS is the lower of mosquitto_pub -q and mosquitto_sub -q', async () => {
        const id = `mqos-${flag}`;
        const sub = run('mosquitto_sub', [
          '-V',
          flag,
          '-i',
          id,
          '-t',
          `m${version}/qos`,
          '-q',
          '1',
          '-C',
          '3',
          '-F',
          '%q %p',
          '-W',
          '10',
        ]);
        await h.subscribed(id, `m${version}/qos`);
        for (const qos of ['0', '1', '2'])
          await pub(['-V', flag, '-t', `m${version}/qos`, '-m', `sent ${qos}`, '-q', qos]);
        assert.equal(await sub.exit(), 0, sub.stderr);
        assert.deepEqual(sub.lines, ['0 sent 0', '1 sent 1', '1 sent 2']);
      });

      it('mosquitto_pub -r stores a retained message that a later mosquitto_sub sees with the retain flag; -r -n clears it', async () => {
        const topic = `m${version}/retained`;
        await pub(['-V', flag, '-t', topic, '-m', 'kept', '-q', '1', '-r']);
        const sub = run('mosquitto_sub', [
          '-V',
          flag,
          '-t',
          topic,
          '-C',
          '1',
          '-F',
          '%r %q %p',
          '-q',
          '2',
          '-W',
          '5',
        ]);
        assert.equal(await sub.exit(), 0, sub.stderr);
        assert.deepEqual(sub.lines, ['1 1 kept']);
        await pub(['-V', flag, '-t', topic, '-n', '-r', '-q', '1']);
        assert.equal(h.server.broker.core.retained.get(topic), undefined);
      });

      it('a persistent mosquitto_sub session (-c) receives the QoS 1 messages sent while it was away', async () => {
        const id = `mpersist-${flag}`;
        const topic = `m${version}/persist`;
        const session = version === 5 ? ['-c', '-x', '60'] : ['-c'];
        // -E: exit once subscribed.
        const first = run('mosquitto_sub', [
          '-V',
          flag,
          '-i',
          id,
          ...session,
          '-t',
          topic,
          '-q',
          '1',
          '-E',
        ]);
        assert.equal(await first.exit(), 0, first.stderr);
        for (let i = 0; i < 3; i++)
          await pub(['-V', flag, '-t', topic, '-m', `away ${i}`, '-q', '1']);
        const second = run('mosquitto_sub', [
          '-V',
          flag,
          '-i',
          id,
          ...session,
          '-t',
          topic,
          '-q',
          '1',
          '-C',
          '3',
          '-W',
          '5',
        ]);
        assert.equal(await second.exit(), 0, second.stderr);
        assert.deepEqual(second.lines, ['away 0', 'away 1', 'away 2']);
        const end = await h.connected({ version, clientId: id, clean: true });
        end.disconnect();
      });

      it('two mosquitto_sub on $share/group/topic split the messages', async () => {
        const filter = `$share/g${version}/m${version}/shared`;
        const member = (id: string) =>
          run('mosquitto_sub', [
            '-V',
            flag,
            '-i',
            id,
            '-t',
            filter,
            '-q',
            '1',
            '-C',
            '2',
            '-W',
            '10',
          ]);
        const a = member(`ma-${flag}`);
        const b = member(`mb-${flag}`);
        await h.subscribed(`ma-${flag}`, filter);
        await h.subscribed(`mb-${flag}`, filter);
        for (let i = 0; i < 4; i++)
          await pub(['-V', flag, '-t', `m${version}/shared`, '-m', `${i}`, '-q', '1']);
        assert.equal(await a.exit(), 0, a.stderr);
        assert.equal(await b.exit(), 0, b.stderr);
        assert.deepEqual([...a.lines, ...b.lines].sort(), ['0', '1', '2', '3']);
        assert.equal(a.lines.length, 2);
      });

      it('the will of a mosquitto_sub killed with SIGKILL is published; a normal exit publishes none', async () => {
        const topic = `m${version}/will`;
        const watcher = await h.connected({ version, clientId: `mwatch-${flag}` });
        await watcher.subscribe([{ topicFilter: topic, qos: 1 }]);
        const will = ['--will-topic', topic, '--will-payload', 'sub died', '--will-qos', '1'];
        // A normal exit (-C 1 after one message): DISCONNECT, so no will.
        const polite = run('mosquitto_sub', [
          '-V',
          flag,
          '-i',
          `mpolite-${flag}`,
          '-t',
          `m${version}/poke`,
          '-C',
          '1',
          '-W',
          '5',
          ...will,
        ]);
        await h.subscribed(`mpolite-${flag}`, `m${version}/poke`);
        await pub(['-V', flag, '-t', `m${version}/poke`, '-m', 'x']);
        assert.equal(await polite.exit(), 0, polite.stderr);
        await watcher.expectNothing(300);
        // Killed: the connection just drops, so the will goes out.
        const doomed = run('mosquitto_sub', [
          '-V',
          flag,
          '-i',
          `mdoomed-${flag}`,
          '-t',
          `m${version}/idle`,
          ...will,
        ]);
        await h.subscribed(`mdoomed-${flag}`, `m${version}/idle`);
        await doomed.killAndWait('SIGKILL');
        const got = await watcher.receive(3_000);
        assert.equal(text(got), 'sub died');
        assert.equal(got.qos, 1);
        watcher.disconnect();
      });
    });
  }

  it('-V mqttv5: user properties and content type from mosquitto_pub -D reach mosquitto_sub', async () => {
    const sub = run('mosquitto_sub', [
      '-V',
      'mqttv5',
      '-i',
      'mprops',
      '-t',
      'm5/props',
      '-C',
      '1',
      '-F',
      '%P|%C|%p',
      '-W',
      '5',
    ]);
    await h.subscribed('mprops', 'm5/props');
    await pub([
      '-V',
      'mqttv5',
      '-t',
      'm5/props',
      '-m',
      'body',
      '-D',
      'publish',
      'user-property',
      'key',
      'value',
      '-D',
      'publish',
      'content-type',
      'text/plain',
    ]);
    assert.equal(await sub.exit(), 0, sub.stderr);
    assert.deepEqual(sub.lines, ['key:value|text/plain|body']);
  });

  it('a 3.1.1 mosquitto_sub receives what a 5.0 mosquitto_pub sends, and the other way round', async () => {
    const old = run('mosquitto_sub', [
      '-V',
      'mqttv311',
      '-i',
      'mold',
      '-t',
      'mix/#',
      '-C',
      '1',
      '-v',
      '-W',
      '5',
    ]);
    const fresh = run('mosquitto_sub', [
      '-V',
      'mqttv5',
      '-i',
      'mnew',
      '-t',
      'mix/#',
      '-C',
      '2',
      '-v',
      '-W',
      '5',
    ]);
    await h.subscribed('mold', 'mix/#');
    await h.subscribed('mnew', 'mix/#');
    await pub([
      '-V',
      'mqttv5',
      '-t',
      'mix/from5',
      '-m',
      'five',
      '-q',
      '1',
      '-D',
      'publish',
      'user-property',
      'a',
      'b',
    ]);
    await pub(['-V', 'mqttv311', '-t', 'mix/from4', '-m', 'four', '-q', '1']);
    assert.equal(await old.exit(), 0, old.stderr);
    assert.equal(await fresh.exit(), 0, fresh.stderr);
    assert.deepEqual(old.lines, ['mix/from5 five']);
    assert.deepEqual(fresh.lines, ['mix/from5 five', 'mix/from4 four']);
  });
});
