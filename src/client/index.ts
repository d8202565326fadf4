// culex/client: an MQTT 3.1.1 / 5.0 client for Node and browsers.
//
//   const client = await connect('mqtt://localhost:1883', { clientId: 'c1' });
//   await client.subscribe('sensors/#', { qos: 1 });
//   await client.publish('sensors/a', '21.5', { qos: 1 });
//   for await (const m of client.messages('sensors/#')) console.log(m.topic);
import { MqttClient } from './client.js';
import type { ClientOptions } from './options.js';

/**
 * Connects and resolves once a broker accepted the connection (CONNACK success). Given
 * several URLs, the client tries them in order and uses the first that accepts; after a lost
 * connection it reconnects to the next one, round robin.
 */
export async function connect(
  url: string | URL | readonly (string | URL)[],
  options: ClientOptions = {},
): Promise<MqttClient> {
  const client = new MqttClient(url, options);
  await client.start();
  return client;
}

export { ProtocolVersion, ReasonCode } from '../protocol/constants.js';
export type { QoS } from '../protocol/constants.js';
export type {
  ConnackPacket,
  DisconnectPacket,
  Properties,
  UserProperty,
} from '../protocol/packets.js';
export {
  MqttClient,
  type ClientEvents,
  type EndOptions,
  type Message,
  type PublishOptions,
} from './client.js';
export {
  type ClientErrorCode,
  ConnectionError,
  ConnectionRefusedError,
  MqttClientError,
  PublishError,
  ServerDisconnectError,
  SubscribeError,
  reasonCodeName,
} from './errors.js';
export type { MessageStream } from './message-stream.js';
export type {
  BrokerAddress,
  ClientOptions,
  ReconnectOptions,
  TlsOptions,
  WillOptions,
} from './options.js';
export type { PublishResult } from './outbound.js';
export type { RequestOptions } from './request.js';
export type { SubscribeOptions, SubscriptionRequest } from './subscriptions.js';
