// The byte-stream interface the client speaks MQTT over, and how one is opened for a URL.
// Node sockets live in transport-node.ts, loaded only on Node, so the browser bundle carries
// no Node built-ins: there the WebSocket below (globalThis.WebSocket) is the only transport.
import { ConnectionError } from './errors.js';
import type { BrokerAddress, TlsOptions } from './options.js';

export interface TransportHandlers {
  onData(chunk: Uint8Array): void;
  /** The transport's send buffer emptied after write() returned false. */
  onDrain(): void;
  /** Called once, when the transport is closed for any reason. */
  onClose(error?: Error): void;
}

export interface Transport {
  /** Queues bytes; false means the send buffer is above its high-water mark. */
  write(data: Uint8Array): boolean;
  /** Flushes what is queued, then closes. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
}

export interface TransportOptions {
  tls?: TlsOptions;
  /** ms before a TCP/TLS/WebSocket handshake counts as failed. */
  timeout: number;
}

export type OpenTransport = (
  address: BrokerAddress,
  options: TransportOptions,
  handlers: TransportHandlers,
) => Promise<Transport>;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Opens a transport for the address: Node sockets on Node, the WebSocket API elsewhere. */
export async function openTransport(
  address: BrokerAddress,
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  if (isNode) {
    const node = await import('./transport-node.js');
    return node.openNodeTransport(address, options, handlers);
  }
  if (address.scheme !== 'ws' && address.scheme !== 'wss') {
    throw new ConnectionError(
      'CONNECTION_LOST',
      `${address.scheme}:// needs Node; use ws:// or wss://`,
    );
  }
  return openWebSocket(address, options, handlers);
}

/** The WHATWG WebSocket: browsers, Deno, Node 22+. */
export function openWebSocket(
  address: BrokerAddress,
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  const url = `${address.scheme}://${formatHost(address.host)}:${address.port}${address.path}`;
  // [MQTT-6.0.0-3] the client offers the "mqtt" subprotocol.
  const socket = new globalThis.WebSocket(url, 'mqtt');
  socket.binaryType = 'arraybuffer';
  return new Promise((resolve, reject) => {
    let open = false;
    const timer = setTimeout(() => {
      socket.close();
      reject(new ConnectionError('CONNECT_TIMEOUT', `WebSocket handshake with ${url} timed out`));
    }, options.timeout);
    socket.onopen = () => {
      open = true;
      clearTimeout(timer);
      resolve(webSocketTransport(socket, handlers));
    };
    socket.onerror = () => {
      if (open) return; // onclose follows and reports it
      clearTimeout(timer);
      reject(new ConnectionError('CONNECTION_LOST', `WebSocket connection to ${url} failed`));
    };
  });
}

function webSocketTransport(socket: WebSocket, handlers: TransportHandlers): Transport {
  let closed = false;
  socket.onmessage = (event) => handlers.onData(new Uint8Array(event.data as ArrayBuffer));
  socket.onclose = (event) => {
    if (closed) return;
    closed = true;
    const clean = event.code === 1000 || event.code === 1005;
    handlers.onClose(clean ? undefined : new Error(`WebSocket closed with code ${event.code}`));
  };
  return {
    write(data) {
      if (socket.readyState !== 1) return true;
      socket.send(data as Uint8Array<ArrayBuffer>);
      return true;
    },
    end() {
      socket.close(1000);
    },
    destroy() {
      socket.close();
    },
  };
}

export const formatHost = (host: string) => (host.includes(':') ? `[${host}]` : host);
