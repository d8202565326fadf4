// Node transports: TCP (mqtt://), TLS (mqtts://) and WebSocket (ws://, wss://, via `ws`).
// Loaded lazily by transport.ts so that browser bundles never reach these imports.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { ConnectionError } from './errors.js';
import type { BrokerAddress, TlsOptions } from './options.js';
import {
  formatHost,
  type Transport,
  type TransportHandlers,
  type TransportOptions,
} from './transport.js';

export function openNodeTransport(
  address: BrokerAddress,
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  if (address.scheme === 'ws' || address.scheme === 'wss') {
    return openWs(address, options, handlers);
  }
  return openSocket(address, options, handlers);
}

function tlsContext(
  address: BrokerAddress,
  options: TlsOptions | undefined,
): tls.ConnectionOptions {
  const toBuffer = (v: string | Uint8Array) => (typeof v === 'string' ? v : Buffer.from(v));
  return {
    ca: options?.ca === undefined ? undefined : [options.ca].flat().map(toBuffer),
    cert: options?.cert === undefined ? undefined : toBuffer(options.cert),
    key: options?.key === undefined ? undefined : toBuffer(options.key),
    rejectUnauthorized: options?.rejectUnauthorized ?? true,
    servername: options?.servername ?? (net.isIP(address.host) ? undefined : address.host),
  };
}

function openSocket(
  address: BrokerAddress,
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  const secure = address.scheme === 'mqtts';
  const socket: net.Socket = secure
    ? tls.connect({ host: address.host, port: address.port, ...tlsContext(address, options.tls) })
    : net.connect({ host: address.host, port: address.port });
  // MQTT is request/response heavy; the client batches writes itself, so Nagle only adds delay.
  socket.setNoDelay(true);
  const where = `${formatHost(address.host)}:${address.port}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError('CONNECT_TIMEOUT', `Connecting to ${where} timed out`));
    }, options.timeout);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(
        new ConnectionError(
          'CONNECTION_LOST',
          `Cannot connect to ${where}: ${error.message}`,
          error,
        ),
      );
    };
    socket.once('error', onError);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socketTransport(socket, handlers));
    });
  });
}

function socketTransport(socket: net.Socket, handlers: TransportHandlers): Transport {
  let failure: Error | undefined;
  socket.on('data', handlers.onData);
  socket.on('drain', handlers.onDrain);
  socket.on('error', (error) => {
    failure = error;
  });
  socket.on('close', () => handlers.onClose(failure));
  return {
    write: (data) => socket.write(data),
    end: () => {
      socket.end();
    },
    destroy: () => {
      socket.destroy();
    },
  };
}

function openWs(
  address: BrokerAddress,
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  const url = `${address.scheme}://${formatHost(address.host)}:${address.port}${address.path}`;
  const tlsOptions = address.scheme === 'wss' ? tlsContext(address, options.tls) : {};
  // [MQTT-6.0.0-3] the client offers the "mqtt" subprotocol.
  const socket = new WebSocket(url, 'mqtt', { ...tlsOptions, handshakeTimeout: options.timeout });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(
        new ConnectionError('CONNECTION_LOST', `Cannot connect to ${url}: ${error.message}`, error),
      );
    socket.once('error', onError);
    socket.once('open', () => {
      socket.off('error', onError);
      resolve(wsTransport(socket, handlers));
    });
  });
}

function wsTransport(socket: WebSocket, handlers: TransportHandlers): Transport {
  let failure: Error | undefined;
  socket.on('message', (data: Buffer) => handlers.onData(data));
  socket.on('error', (error) => {
    failure = error;
  });
  socket.on('close', (code) => {
    const clean = code === 1000 || code === 1005;
    handlers.onClose(
      failure ?? (clean ? undefined : new Error(`WebSocket closed with code ${code}`)),
    );
  });
  return {
    // `ws` exposes no drain event; the client's own batching bounds what it hands over.
    write(data) {
      socket.send(data);
      return true;
    },
    end: () => socket.close(1000),
    destroy: () => socket.terminate(),
  };
}
