// The shapes the client's public API speaks in: received messages, per-call options and
// the events it emits. Kept apart from the client so that helpers can name them without
// importing the client class.
import type { QoS } from '../protocol/constants.js';
import type { ConnackPacket, DisconnectPacket, Properties } from '../protocol/packets.js';

/** An application message received from the broker. */
export interface Message {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  properties: Properties;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

export interface EndOptions {
  /** Skip waiting for unacknowledged messages (default false: wait up to `timeout`). */
  force?: boolean;
  /** ms to wait for in-flight messages before closing anyway; default 5 000. */
  timeout?: number;
  reasonCode?: number;
  properties?: Properties;
}

export interface ClientEvents {
  connect: ConnackPacket;
  message: Message;
  /** A reconnect attempt is about to be made, after `delay` ms, to `server` (a URL). */
  reconnect: { attempt: number; delay: number; server: string };
  /** The connection was lost; the client reconnects unless reconnect is off. */
  offline: Error | undefined;
  /** The server sent DISCONNECT (5.0). */
  disconnect: DisconnectPacket;
  error: Error;
  /** The client is closed for good: end() was called or reconnecting gave up. */
  end: undefined;
}

const textEncoder = new TextEncoder();

export function toBytes(payload: string | Uint8Array | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  if (typeof payload !== 'string') return payload;
  return typeof Buffer !== 'undefined' ? Buffer.from(payload) : textEncoder.encode(payload);
}
