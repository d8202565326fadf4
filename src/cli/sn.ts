// `culex sn pub` and `culex sn sub`: an MQTT-SN v1.2 client over UDP, for trying the gateway
// (a `{ type: mqttsn }` listener) as a device would.
import { type Command, InvalidArgumentError } from 'commander';
import { MqttSnClient, publishQosMinusOne, type SnClientOptions } from '../client/mqttsn.js';
import type { SnQoS } from '../mqttsn/index.js';
import { collect, parseInteger, reportFailure, usageError } from './client-options.js';

type SubFlags = SnFlags & {
  topic: string[];
  qos: 0 | 1 | 2;
  count?: number;
  timeout?: number;
  verbose?: boolean;
};

interface SnFlags {
  host: string;
  port: number;
  id?: string;
  keepalive: number;
  predefined: Record<number, string>;
}

/** `--predefined 1=sensors/temp`, repeatable: the gateway's pre-defined topic ids. */
function collectPredefined(
  value: string,
  previous: Record<number, string>,
): Record<number, string> {
  const eq = value.indexOf('=');
  const id = Number(value.slice(0, eq));
  if (eq <= 0 || !Number.isInteger(id) || id < 1 || id > 0xfffe || eq === value.length - 1)
    throw new InvalidArgumentError('expected ID=TOPIC with an id from 1 to 65534');
  return { ...previous, [id]: value.slice(eq + 1) };
}

const parseSnQoS = (value: string): SnQoS => {
  if (!/^(-1|0|1|2)$/.test(value)) throw new InvalidArgumentError('expected -1, 0, 1 or 2');
  return Number(value) as SnQoS;
};

function addSnOptions(command: Command): Command {
  return command
    .option('-h, --host <host>', 'gateway host', '127.0.0.1')
    .option('-p, --port <port>', 'gateway UDP port', parseInteger(1, 65535), 1884)
    .option('-i, --id <clientId>', 'client id (default: culex-sn-<pid>)')
    .option('-k, --keepalive <seconds>', 'keep alive', parseInteger(0, 65535), 60)
    .option(
      '--predefined <id=topic>',
      'a pre-defined topic id of the gateway, repeatable',
      collectPredefined,
      {},
    );
}

function clientOptions(flags: SnFlags): SnClientOptions {
  return {
    host: flags.host,
    port: flags.port,
    clientId: flags.id ?? `culex-sn-${process.pid}`,
    keepAlive: flags.keepalive,
    predefinedTopics: flags.predefined,
  };
}

export function registerSn(program: Command): void {
  const sn = program.command('sn').description('MQTT-SN v1.2 client over UDP');
  const pub = sn.command('pub').description('publish one message to an MQTT-SN gateway');
  addSnOptions(pub)
    .option(
      '-t, --topic <topic>',
      'topic name (two characters: a short name; --predefined: its id)',
    )
    .option('-m, --message <text>', 'payload', '')
    .option('-q, --qos <qos>', 'QoS: -1 (no connection), 0, 1 or 2', parseSnQoS, 0)
    .option('-r, --retain', 'retain the message')
    .action(
      async (
        flags: SnFlags & { topic?: string; message: string; qos: SnQoS; retain?: boolean },
      ) => {
        if (flags.topic === undefined) usageError(pub, 'give a topic with -t');
        try {
          await publish(flags, flags.topic);
        } catch (error) {
          reportFailure(error);
        }
      },
    );
  const sub = sn.command('sub').description('subscribe and print messages from an MQTT-SN gateway');
  addSnOptions(sub)
    .option('-t, --topic <filter>', 'topic filter, repeatable', collect, [])
    .option('-q, --qos <qos>', 'maximum QoS requested: 0, 1 or 2', parseInteger(0, 2), 0)
    .option('-C, --count <count>', 'exit after this many messages', parseInteger(1, 1e9))
    .option('-W, --timeout <seconds>', 'exit (status 27) after this long', parseInteger(1, 1e9))
    .option('-v, --verbose', 'print the topic before each payload')
    .action(async (flags: SubFlags) => {
      if (flags.topic.length === 0) usageError(sub, 'give at least one topic filter with -t');
      try {
        await subscribe(flags);
      } catch (error) {
        reportFailure(error);
      }
    });
}

async function publish(
  flags: SnFlags & { message: string; qos: SnQoS; retain?: boolean },
  topic: string,
): Promise<void> {
  if (flags.qos === -1) {
    const predefined = Object.entries(flags.predefined).find(([, name]) => name === topic)?.[0];
    if (predefined === undefined && topic.length !== 2)
      throw new Error(
        `QoS -1 needs a two-character topic or one given with --predefined, not '${topic}'`,
      );
    const ref = predefined === undefined ? { short: topic } : { predefined: Number(predefined) };
    await publishQosMinusOne(flags.host, flags.port, ref, flags.message, flags.retain);
    return;
  }
  const client = await MqttSnClient.connect(clientOptions(flags));
  try {
    await client.publish(topic, flags.message, { qos: flags.qos, retain: flags.retain });
    await client.disconnect();
  } finally {
    client.close();
  }
}

async function subscribe(flags: SubFlags): Promise<void> {
  const client = await MqttSnClient.connect(clientOptions(flags));
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const timer =
      flags.timeout === undefined
        ? undefined
        : setTimeout(() => {
            process.exitCode = 27;
            resolve();
          }, flags.timeout * 1000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    client.on('message', (m) => {
      const text = m.payload.toString();
      process.stdout.write(flags.verbose ? `${m.topic} ${text}\n` : `${text}\n`);
      if (flags.count !== undefined && ++received >= flags.count) done();
    });
    client.on('disconnect', () => {
      process.stderr.write('Error: the gateway ended the connection\n');
      process.exitCode = 1;
      done();
    });
    process.once('SIGINT', done);
    Promise.all(flags.topic.map((t) => client.subscribe(t, flags.qos))).catch((error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  await client.disconnect().catch(() => client.close());
}
