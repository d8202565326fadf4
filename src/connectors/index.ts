// Connectors to outside systems and the sinks rule actions write through (docs/CONNECTORS.md).
import { ConnectorConfigError } from './config.js';
import { HttpConnector } from './http.js';
import { MqttConnector } from './mqtt.js';
import { NatsConnector } from './nats.js';
import { PostgresConnector } from './postgresql.js';
import { RedisConnector } from './redis.js';
import type { Connector, ConnectorConfig, ConnectorDeps, ConnectorType } from './types.js';

export { type BridgeLine, parseBridgeLine } from './bridge-lines.js';
export { ConnectorConfigError } from './config.js';
export { isMqttBridge, type MqttBridge } from './mqtt.js';
export type {
  Connector,
  ConnectorConfig,
  ConnectorCounters,
  ConnectorDeps,
  ConnectorStatus,
  ConnectorType,
  IngressMessage,
  Sink,
  SinkConfig,
  SinkCounters,
} from './types.js';

const FACTORIES: Record<
  ConnectorType,
  (config: ConnectorConfig, deps: ConnectorDeps) => Connector
> = {
  http: (config, deps) => new HttpConnector(config, deps),
  mqtt: (config, deps) => new MqttConnector(config, deps),
  postgresql: (config, deps) => new PostgresConnector(config, deps),
  redis: (config, deps) => new RedisConnector(config, deps),
  nats: (config, deps) => new NatsConnector(config, deps),
};

/** Creates a connector; throws ConnectorConfigError naming the key when the config is wrong. */
export function createConnector(config: ConnectorConfig, deps: ConnectorDeps): Connector {
  if (typeof config !== 'object' || config === null) {
    throw new ConnectorConfigError('a connector must be a map with name and type');
  }
  if (typeof config.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(config.name)) {
    throw new ConnectorConfigError(
      `connector name must be 1 to 64 letters, digits, '_', '.' or '-', not ${JSON.stringify(config.name)}`,
    );
  }
  const factory = Object.hasOwn(FACTORIES, config.type as string)
    ? FACTORIES[config.type]
    : undefined;
  if (!factory) {
    throw new ConnectorConfigError(
      `connector '${config.name}': type must be one of ${Object.keys(FACTORIES).join(', ')}, not ${JSON.stringify(config.type)}` +
        ((config.type as string) === 'kafka' ? ' (Kafka is left out: docs/CONNECTORS.md)' : ''),
    );
  }
  return factory(config, deps);
}
