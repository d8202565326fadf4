// Flags shared by `culex pub` and `culex sub`, spelled as in mosquitto_pub / mosquitto_sub,
// and their translation into a broker URL and ClientOptions.
import { readFileSync } from 'node:fs';
import { type Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { ClientOptions, QoS, UserProperty } from '../client/index.js';
import { ConnectionRefusedError, ProtocolVersion } from '../client/index.js';

export interface ConnectionFlags {
  host: string;
  port?: number;
  /** -L, repeatable: several brokers, tried in turn. */
  url: string[];
  id?: string;
  idPrefix?: string;
  keepalive: number;
  username?: string;
  pw?: string;
  protocolVersion: ProtocolVersion;
  disableCleanSession?: boolean;
  sessionExpiryInterval?: number;
  willTopic?: string;
  willPayload?: string;
  willQos?: QoS;
  willRetain?: boolean;
  cafile?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  userProperty: UserProperty[];
  connectTimeout: number;
}

export function parseInteger(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export const parseQoS = (value: string): QoS => parseInteger(0, 2)(value) as QoS;

/** mosquitto accepts 31, 311, 5 and the mqttvNN spellings. */
export function parseProtocolVersion(value: string): ProtocolVersion {
  const versions: Record<string, ProtocolVersion> = {
    '5': ProtocolVersion.V5,
    mqttv5: ProtocolVersion.V5,
    '311': ProtocolVersion.V311,
    mqttv311: ProtocolVersion.V311,
    '31': ProtocolVersion.V31,
    mqttv31: ProtocolVersion.V31,
  };
  const version = versions[value.toLowerCase()];
  if (version === undefined) throw new InvalidArgumentError('expected 5, 311 or 31');
  return version;
}

function collectUserProperty(value: string, previous: UserProperty[]): UserProperty[] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected name=value');
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds the connection flags, mosquitto's spelling; the help flag is --help only (-h is host). */
export function addConnectionOptions(command: Command): Command {
  return command
    .helpOption('--help', 'show help')
    .option('-h, --host <host>', 'broker host', 'localhost')
    .option(
      '-p, --port <port>',
      'broker port (default 1883, 8883 with TLS)',
      parseInteger(1, 65_535),
    )
    .option(
      '-L, --url <url>',
      'mqtt(s)://[user[:password]@]host[:port]/topic, or ws(s)://; repeat it for brokers to try in turn',
      collect,
      [],
    )
    .option('-i, --id <id>', 'client identifier')
    .option('-I, --id-prefix <prefix>', 'client identifier prefix (a random suffix is added)')
    .option('-k, --keepalive <seconds>', 'keep-alive interval', parseInteger(0, 65_535), 60)
    .option('-u, --username <username>', 'user name')
    .option('-P, --pw <password>', 'password')
    .addOption(
      new Option('-V, --protocol-version <version>', 'MQTT version: 5, 311 or 31')
        .argParser(parseProtocolVersion)
        .default(ProtocolVersion.V311, '311'),
    )
    .option('-c, --disable-clean-session', 'keep the session (clean session / clean start off)')
    .option(
      '-x, --session-expiry-interval <seconds>',
      'session expiry (5.0)',
      parseInteger(0, 4_294_967_295),
    )
    .option('--will-topic <topic>', 'will topic')
    .option('--will-payload <payload>', 'will payload')
    .option('--will-qos <qos>', 'will QoS', parseQoS)
    .option('--will-retain', 'retain the will')
    .option('--cafile <file>', 'CA certificates (PEM) to verify the broker; implies TLS')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--key <file>', 'client private key (PEM)')
    .option('--insecure', 'do not verify the broker certificate')
    .option(
      '--user-property <name=value>',
      'user property (5.0) on each PUBLISH (pub) or the SUBSCRIBE (sub), repeatable',
      collectUserProperty,
      [],
    )
    .option(
      '--connect-timeout <seconds>',
      'give up connecting after this long',
      parseInteger(1, 3_600),
      10,
    );
}

export interface Connection {
  /** One broker, or several (-L repeated) tried in turn. */
  urls: string[];
  options: ClientOptions;
  /** The topic from the path of the first -L that has one. */
  urlTopic?: string;
}

export function buildConnection(flags: ConnectionFlags): Connection {
  const secure = flags.cafile !== undefined || flags.cert !== undefined;
  const urls: string[] = [];
  let urlTopic: string | undefined;
  for (const url of flags.url) {
    const parsed = new URL(url);
    const isWs = parsed.protocol === 'ws:' || parsed.protocol === 'wss:';
    if (!isWs && parsed.pathname.length > 1) {
      urlTopic ??= decodeURIComponent(parsed.pathname.slice(1));
      parsed.pathname = '';
    }
    urls.push(parsed.href);
  }
  if (urls.length === 0) {
    const scheme = secure ? 'mqtts' : 'mqtt';
    const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
    urls.push(`${scheme}://${host}:${flags.port ?? (secure ? 8883 : 1883)}`);
  }
  const v5 = flags.protocolVersion === ProtocolVersion.V5;
  const options: ClientOptions = {
    protocolVersion: flags.protocolVersion,
    clientId: flags.id ?? clientIdFor(flags),
    clean: !flags.disableCleanSession,
    keepAlive: flags.keepalive,
    username: flags.username,
    password: flags.pw,
    connectTimeout: flags.connectTimeout * 1000,
    reconnect: false,
    properties: v5 ? connectProperties(flags) : undefined,
    will: flags.willTopic ? willOptions(flags) : undefined,
    tls: tlsOptions(flags),
  };
  return { urls, options, urlTopic };
}

function clientIdFor(flags: ConnectionFlags): string | undefined {
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  if (flags.idPrefix) return `${flags.idPrefix}${suffix}`;
  // 3.1.1 needs an id unless clean; a fixed default would make two instances kick each other.
  return flags.protocolVersion === ProtocolVersion.V5 ? undefined : `culex-${suffix}`;
}

/** mosquitto_sub/pub 2: -c without -x in 5.0 keeps the session forever, as 3.1.1's -c does. */
const SESSION_NEVER_EXPIRES = 4_294_967_295;

function connectProperties(flags: ConnectionFlags): ClientOptions['properties'] {
  const keep = flags.disableCleanSession ? SESSION_NEVER_EXPIRES : undefined;
  return { sessionExpiryInterval: flags.sessionExpiryInterval ?? keep };
}

function willOptions(flags: ConnectionFlags): ClientOptions['will'] {
  return {
    topic: flags.willTopic!,
    payload: flags.willPayload ?? '',
    qos: flags.willQos ?? 0,
    retain: flags.willRetain ?? false,
  };
}

function tlsOptions(flags: ConnectionFlags): ClientOptions['tls'] {
  if (!flags.cafile && !flags.cert && !flags.insecure) return undefined;
  return {
    ca: flags.cafile ? readFileSync(flags.cafile, 'utf8') : undefined,
    cert: flags.cert ? readFileSync(flags.cert, 'utf8') : undefined,
    key: flags.key ? readFileSync(flags.key, 'utf8') : undefined,
    rejectUnauthorized: !flags.insecure,
  };
}

/**
 * Exit codes: 0 success, 1 refused connection or any other failure (printed as
 * "Connection refused: NotAuthorized (0x87)" or "Error: ..."), 2 bad usage (commander's
 * message, printed by commander itself).
 */
export function exitOnUsageError(command: Command): Command {
  return command.exitOverride((error: CommanderError) => {
    const informational = ['commander.helpDisplayed', 'commander.help', 'commander.version'];
    process.exit(informational.includes(error.code) ? 0 : 2);
  });
}

export function reportFailure(error: unknown): void {
  if (error instanceof ConnectionRefusedError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`Error: ${describe(error)}\n`);
  process.exitCode = 1;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The client library's TLS hint, in this command's terms.
  return message.replace(
    'use mqtts:// or wss://',
    'give --cafile FILE (or --insecure), or -L mqtts://',
  );
}

/** Usage mistakes found after parsing (missing -t, say) exit 2 like commander's own. */
export function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: 2, code: 'culex.usage' });
}

export { CommanderError };
