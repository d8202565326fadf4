// `culex pub`: mosquitto_pub's counterpart.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Command, InvalidArgumentError } from 'commander';
import { type Properties, type QoS, connect } from '../client/index.js';
import {
  type ConnectionFlags,
  addConnectionOptions,
  buildConnection,
  exitOnUsageError,
  parseInteger,
  parseQoS,
  reportFailure,
  usageError,
} from './client-options.js';

interface PubFlags extends ConnectionFlags {
  topic?: string;
  message?: string;
  file?: string;
  stdinLine?: boolean;
  stdinFile?: boolean;
  nullMessage?: boolean;
  qos: QoS;
  retain?: boolean;
  repeat: number;
  repeatDelay: number;
  contentType?: string;
  messageExpiryInterval?: number;
  responseTopic?: string;
}

const parseSeconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number of seconds ≥ 0');
  return n;
};

export function registerPub(program: Command): void {
  const command = addConnectionOptions(
    program.command('pub').description('publish messages to a broker (like mosquitto_pub)'),
  )
    .option('-t, --topic <topic>', 'topic to publish to')
    .option('-m, --message <message>', 'message payload')
    .option('-f, --file <file>', 'send the contents of a file as the message')
    .option('-l, --stdin-line', 'send each line of standard input as a message')
    .option('-s, --stdin-file', 'send all of standard input as one message')
    .option('-n, --null-message', 'send an empty message')
    .option('-q, --qos <qos>', 'quality of service: 0, 1 or 2', parseQoS, 0)
    .option('-r, --retain', 'retain the message')
    .option('--repeat <count>', 'publish the message this many times', parseInteger(1, 1e9), 1)
    .option('--repeat-delay <seconds>', 'wait between repeats', parseSeconds, 0)
    .option('--content-type <type>', 'Content Type property (5.0)')
    .option(
      '--message-expiry-interval <seconds>',
      'Message Expiry Interval (5.0)',
      parseInteger(0, 4_294_967_295),
    )
    .option('--response-topic <topic>', 'Response Topic property (5.0)');
  exitOnUsageError(command);
  command.action(async (flags: PubFlags) => {
    try {
      await runPub(command, flags);
    } catch (error) {
      reportFailure(error);
    }
  });
}

async function runPub(command: Command, flags: PubFlags): Promise<void> {
  const sources = [flags.message, flags.file, flags.stdinLine, flags.stdinFile, flags.nullMessage];
  const given = sources.filter((s) => s !== undefined && s !== false).length;
  if (given !== 1) usageError(command, 'give exactly one of -m, -f, -l, -s or -n');
  const { urls, options, urlTopic } = buildConnection(flags);
  const topic = flags.topic ?? urlTopic;
  if (!topic) usageError(command, 'a topic is required (-t, or the path of -L)');
  const payload = flags.stdinLine ? undefined : readPayload(flags);
  const client = await connect(urls, options);
  try {
    const publish = (body: string | Uint8Array) =>
      client.publish(topic, body, {
        qos: flags.qos,
        retain: flags.retain,
        properties: properties(flags),
      });
    if (flags.stdinLine) await publishLines(publish);
    else await publishRepeated(payload!, flags, publish);
  } finally {
    await client.end();
  }
}

function readPayload(flags: PubFlags): string | Uint8Array {
  if (flags.message !== undefined) return flags.message;
  if (flags.file !== undefined) return readFileSync(flags.file);
  if (flags.stdinFile) return readFileSync(0);
  return '';
}

function properties(flags: PubFlags): Properties | undefined {
  const props: Properties = {};
  if (flags.userProperty.length > 0) props.userProperties = flags.userProperty;
  if (flags.contentType !== undefined) props.contentType = flags.contentType;
  if (flags.messageExpiryInterval !== undefined)
    props.messageExpiryInterval = flags.messageExpiryInterval;
  if (flags.responseTopic !== undefined) props.responseTopic = flags.responseTopic;
  return Object.keys(props).length > 0 ? props : undefined;
}

async function publishRepeated(
  payload: string | Uint8Array,
  flags: PubFlags,
  publish: (body: string | Uint8Array) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < flags.repeat; i++) {
    await publish(payload);
    if (flags.repeatDelay > 0 && i + 1 < flags.repeat) {
      await new Promise((resolve) => setTimeout(resolve, flags.repeatDelay * 1000));
    }
  }
}

/** -l: one message per line; the connection stays open until standard input ends. */
async function publishLines(publish: (body: string | Uint8Array) => Promise<unknown>) {
  const pending: Promise<unknown>[] = [];
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    pending.push(publish(line));
    // Keep a bounded number of acknowledgements outstanding on long streams.
    if (pending.length >= 1_000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}
