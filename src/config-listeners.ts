// The `listeners` section: one entry per listener (tcp, ws, tls, wss, mqttsn), checked key
// by key; MQTT-SN gateway options sit flat on their listener.
import { CulexError, ErrorCode } from './errors.js';
import { type GatewayOptions, defaultGatewayOptions } from './gateway/options.js';
import { applySection, port, type Rule } from './config-rules.js';

export type ListenerType = 'tcp' | 'ws' | 'tls' | 'wss' | 'mqttsn';

export interface ListenerConfig {
  type: ListenerType;
  host: string;
  port: number;
  /** WebSocket path (ws, wss). */
  path?: string;
  /** TLS (tls, wss): PEM files. */
  cert?: string;
  key?: string;
  ca?: string;
  verify?: 'none' | 'optional' | 'required';
  /** MQTT-SN gateway options (mqttsn), flat on the listener. */
  gatewayId?: number;
  advertiseInterval?: number;
  advertiseHost?: string;
  advertisePort?: number;
  predefinedTopics?: Record<number, string>;
  maxClients?: number;
  maxTopicsPerClient?: number;
  maxSleepBuffer?: number;
  datagramRate?: number;
  maxAddresses?: number;
  sessionExpiryInterval?: number;
  retryInterval?: number;
  allowQosMinusOne?: boolean;
  username?: string;
  password?: string;
}

/** The MQTT-SN gateway's keys, checked by the type of their default, plus its ranges. */
const gatewayRanges: Partial<Record<keyof GatewayOptions, [number, number]>> = {
  gatewayId: [0, 255],
  advertiseInterval: [0, 65535],
  advertisePort: [1, 65535],
  maxClients: [1, 10_000_000],
  maxTopicsPerClient: [1, 65534],
  maxSleepBuffer: [1, 65535],
  datagramRate: [0, 1_000_000],
  maxAddresses: [1, 10_000_000],
  sessionExpiryInterval: [0, 0xffffffff],
  retryInterval: [1, 3600],
};

const gatewayRules: Record<string, Rule> = {
  ...Object.fromEntries(
    Object.entries(gatewayRanges).map(([key, [min, max]]): [string, Rule] => [
      key,
      { kind: 'number', min, max },
    ]),
  ),
  advertiseHost: { kind: 'string' },
  allowQosMinusOne: { kind: 'boolean' },
  username: { kind: 'string' },
  password: { kind: 'string' },
};

const listenerRules: Record<string, Rule> = {
  ...gatewayRules,
  type: { kind: 'enum', values: ['tcp', 'ws', 'tls', 'wss', 'mqttsn'] },
  host: { kind: 'string' },
  port,
  path: { kind: 'string' },
  cert: { kind: 'string' },
  key: { kind: 'string' },
  ca: { kind: 'string' },
  verify: { kind: 'enum', values: ['none', 'optional', 'required'] },
};

export function parseListener(value: unknown, index: number): ListenerConfig {
  const listener: Record<string, unknown> = { host: '0.0.0.0' };
  const where = `listeners[${index}]`;
  const { predefinedTopics, ...rest } = (value ?? {}) as Record<string, unknown>;
  const allowed = [...Object.keys(listenerRules), 'predefinedTopics'];
  applySection(listener, value === null ? value : rest, listenerRules, where, false, allowed);
  if (predefinedTopics !== undefined)
    listener.predefinedTopics = parsePredefinedTopics(
      predefinedTopics,
      `${where}.predefinedTopics`,
    );
  const gatewayKeys = Object.keys(listener).filter((k) => k in defaultGatewayOptions);
  if (listener.type !== 'mqttsn' && gatewayKeys.length > 0)
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `'${where}.${gatewayKeys[0]}' applies to listeners of type mqttsn only`,
    );
  if (listener.type === undefined || listener.port === undefined) {
    throw new CulexError(ErrorCode.ConfigBadValue, `'listeners[${index}]' needs 'type' and 'port'`);
  }
  if ((listener.type === 'tls' || listener.type === 'wss') && (!listener.cert || !listener.key)) {
    throw new CulexError(
      ErrorCode.ConfigBadValue,
      `'listeners[${index}]' of type ${listener.type} needs 'cert' and 'key'`,
    );
  }
  if ((listener.type === 'ws' || listener.type === 'wss') && listener.path === undefined)
    listener.path = '/mqtt';
  return listener as unknown as ListenerConfig;
}

/** MQTT-SN pre-defined topic ids: a mapping of ids 1–65534 to topic names. */
function parsePredefinedTopics(value: unknown, where: string): Record<number, string> {
  const bad = (why: string) =>
    new CulexError(ErrorCode.ConfigBadValue, `invalid value for '${where}': ${why}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad('expected a mapping of topic ids (1-65534) to topic names');
  const table: Record<number, string> = {};
  for (const [key, name] of Object.entries(value)) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 1 || id > 0xfffe)
      throw bad(`topic id ${JSON.stringify(key)} is not a number from 1 to 65534`);
    if (typeof name !== 'string' || name === '' || /[+#]/.test(name))
      throw bad(`topic ${id} must be a topic name without wildcards`);
    table[id] = name;
  }
  return table;
}
