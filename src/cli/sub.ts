// `culex sub`: mosquitto_sub's counterpart, plus --format json (one JSON object per line).
import { type Command, InvalidArgumentError } from 'commander';
import {
  type Message,
  type MqttClient,
  type QoS,
  ReasonCode,
  SubscribeError,
  connect,
  reasonCodeName,
} from '../client/index.js';
import { topicMatches } from '../topic/match.js';
import {
  type ConnectionFlags,
  addConnectionOptions,
  buildConnection,
  collect,
  exitOnUsageError,
  parseInteger,
  parseQoS,
  reportFailure,
  usageError,
} from './client-options.js';

interface SubFlags extends ConnectionFlags {
  topic: string[];
  filterOut: string[];
  qos: QoS;
  count?: number;
  timeout?: number;
  verbose?: boolean;
  eol: boolean;
  retainedOnly?: boolean;
  R?: boolean;
  format: 'text' | 'json';
  nl?: boolean;
  rap?: boolean;
  exitAfterSubscribe?: boolean;
}

/** mosquitto_sub's exit status when -W expires (MOSQ_ERR_TIMEOUT). */
const EXIT_TIMEOUT = 27;

export function registerSub(program: Command): void {
  const command = addConnectionOptions(
    program.command('sub').description('subscribe and print messages (like mosquitto_sub)'),
  )
    .option('-t, --topic <filter>', 'topic filter to subscribe to, repeatable', collect, [])
    .option(
      '-T, --filter-out <filter>',
      'do not print messages matching this filter, repeatable',
      collect,
      [],
    )
    .option('-q, --qos <qos>', 'maximum QoS requested: 0, 1 or 2', parseQoS, 0)
    .option('-C, --count <count>', 'exit after this many messages', parseInteger(1, 1e9))
    .option('-W, --timeout <seconds>', 'exit (status 27) after this long', parseInteger(1, 1e9))
    .option('-v, --verbose', 'print the topic before each payload')
    .option('-N, --no-eol', 'do not print a newline after each payload')
    .option('-R', 'do not print retained messages (stale ones, sent on subscribe)')
    .option('--retained-only', 'print only retained messages; exit at the first live one')
    .option('-E, --exit-after-subscribe', 'exit once subscribed')
    .option('--nl', 'No Local (5.0): do not receive own messages')
    .option('--rap', 'Retain As Published (5.0)')
    .option(
      '--format <format>',
      "output: 'text' (mosquitto_sub style) or 'json' (JSON lines)",
      parseFormat,
      'text',
    );
  exitOnUsageError(command);
  command.action(async (flags: SubFlags) => {
    try {
      await runSub(command, flags);
    } catch (error) {
      reportFailure(error);
    }
  });
}

function parseFormat(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json')
    throw new InvalidArgumentError("expected 'text' or 'json'");
  return value;
}

async function runSub(command: Command, flags: SubFlags): Promise<void> {
  const { urls, options, urlTopic } = buildConnection(flags);
  const filters = flags.topic.length > 0 ? flags.topic : urlTopic ? [urlTopic] : [];
  if (filters.length === 0) usageError(command, 'at least one topic filter is required (-t)');
  // Several brokers (-L repeated): a lost connection moves on to the next one, as long as
  // the run lasts, instead of ending it.
  const client = await connect(urls, urls.length > 1 ? { ...options, reconnect: {} } : options);
  // Whatever ends the run (a refusal, an error, -C, -W), the connection is closed, so the
  // process exits instead of idling on an open socket.
  try {
    const done = watch(client, flags);
    done.catch(() => {}); // a lost connection during SUBSCRIBE is reported by subscribe()
    if (!(await subscribe(client, filters, flags))) {
      process.exitCode = 1;
      return;
    }
    if (flags.exitAfterSubscribe) return;
    const status = await done;
    if (status !== 0) process.exitCode = status;
  } finally {
    await client.end({ force: !flags.exitAfterSubscribe });
  }
}

/**
 * Subscribes; each refused filter is reported on stderr. False when the broker refused every
 * filter: mosquitto_sub then prints "All subscription requests were denied." and exits.
 */
async function subscribe(client: MqttClient, filters: string[], flags: SubFlags) {
  try {
    await client.subscribe(filters, {
      qos: flags.qos,
      noLocal: flags.nl,
      retainAsPublished: flags.rap,
      properties:
        flags.userProperty.length > 0 ? { userProperties: flags.userProperty } : undefined,
    });
    return true;
  } catch (error) {
    if (!(error instanceof SubscribeError)) throw error;
    const refused = (code: number) => code >= ReasonCode.UnspecifiedError;
    error.reasonCodes.forEach((code, i) => {
      if (refused(code))
        process.stderr.write(`Subscription to '${filters[i]}' denied: ${reasonCodeName(code)}\n`);
    });
    if (!error.reasonCodes.every(refused)) return true;
    process.stderr.write('All subscription requests were denied.\n');
    return false;
  }
}

/** Prints messages until -C, -W, --retained-only's first live message, or the connection ends. */
function watch(client: MqttClient, flags: SubFlags): Promise<number> {
  return new Promise((resolve, reject) => {
    let printed = 0;
    const timer =
      flags.timeout === undefined
        ? undefined
        : setTimeout(() => resolve(EXIT_TIMEOUT), flags.timeout * 1000);
    const finish = (status: number) => {
      clearTimeout(timer);
      resolve(status);
    };
    let lost: Error | undefined;
    client.on('offline', (error) => {
      lost = error;
      if (client.options.reconnect !== false) return;
      clearTimeout(timer);
      reject(error);
    });
    client.on('end', () => {
      clearTimeout(timer);
      reject(lost ?? new Error('the connection ended'));
    });
    client.on('message', (message) => {
      if (flags.retainedOnly && !message.retain) return finish(0);
      if (flags.R && message.retain) return;
      if (flags.filterOut.some((filter) => topicMatches(filter, message.topic))) return;
      process.stdout.write(format(message, flags));
      if (flags.count !== undefined && ++printed >= flags.count) finish(0);
    });
  });
}

function format(message: Message, flags: SubFlags): string | Uint8Array {
  if (flags.format === 'json') return `${JSON.stringify(toJson(message))}\n`;
  const eol = flags.eol ? '\n' : '';
  if (flags.verbose) return `${message.topic} ${Buffer.from(message.payload).toString()}${eol}`;
  return eol ? Buffer.concat([message.payload, Buffer.from(eol)]) : message.payload;
}

/** The payload as text when it is valid UTF-8, else as base64 (payloadBase64). */
function toJson(message: Message): Record<string, unknown> {
  const bytes = Buffer.from(message.payload);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const isText = Buffer.from(text).equals(bytes);
  const { correlationData, ...properties } = message.properties;
  return {
    topic: message.topic,
    qos: message.qos,
    retain: message.retain,
    ...(isText ? { payload: text } : { payloadBase64: bytes.toString('base64') }),
    ...(Object.keys(properties).length > 0 || correlationData
      ? {
          properties: {
            ...properties,
            ...(correlationData && {
              correlationData: Buffer.from(correlationData).toString('base64'),
            }),
          },
        }
      : {}),
  };
}
