// The embedding API's hooks and the logger port.
import type { Message } from './message.js';
import type { ClientInfo } from './ports.js';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export interface BrokerHooks {
  /** Every message accepted from a client or `broker.publish()`, after authorization. */
  onMessage?(message: Message, client: ClientInfo | undefined): void;
  onClientConnected?(client: ClientInfo): void;
  onClientDisconnected?(
    client: ClientInfo,
    reason: 'normal' | 'error' | 'takeover' | 'shutdown',
  ): void;
}
