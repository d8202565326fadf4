// MQTT over WebSocket (MQTT 5.0 section 6): binary frames, subprotocol "mqtt", path /mqtt.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { WebSocketServer } from 'ws';
import type { Broker } from '../broker/broker.js';
import type { TransportInfo } from '../broker/connection.js';
import { type Listening, startListening } from './tcp.js';
import { WebSocketByteStream } from './ws-stream.js';

export interface WsOptions {
  path: string;
}

export function listenWs(
  broker: Broker,
  port: number,
  host: string,
  options: WsOptions,
): Promise<Listening> {
  const server = createServer(upgradeDeadline(broker), (_req, res) => {
    res
      .writeHead(426, { 'content-type': 'text/plain' })
      .end('MQTT over WebSocket: connect with subprotocol "mqtt"\n');
  });
  attachWebSocket(broker, server, options, 'ws');
  return startListening(server, port, host);
}

/**
 * A socket gets the broker's connect timeout for its HTTP upgrade request, as a TCP one has
 * for its CONNECT (Node's own defaults keep a silent socket for a minute or more): headers
 * must be complete by then, and a silent socket times out (ws clears that on upgrade).
 */
export function upgradeDeadline(broker: Broker) {
  const ms = broker.options.connectTimeout * 1000;
  if (!(ms > 0)) return {};
  return {
    headersTimeout: ms,
    requestTimeout: ms,
    connectionsCheckingInterval: Math.min(ms, 1000),
  };
}

export function attachWebSocket(
  broker: Broker,
  server: Server,
  options: WsOptions,
  transport: TransportInfo['transport'],
  certificateOf?: (req: IncomingMessage) => TransportInfo['certificate'],
): void {
  const silentFor = broker.options.connectTimeout * 1000;
  if (silentFor > 0) server.setTimeout(silentFor);
  const wss = new WebSocketServer({
    server,
    path: options.path,
    perMessageDeflate: false,
    maxPayload: broker.options.maxPacketSize + 8,
    // [MQTT-6.0.0-3] .. [MQTT-6.0.0-4]: the subprotocol is "mqtt" (3.1 clients may say "mqttv3.1").
    handleProtocols: (protocols) =>
      protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
  });
  wss.on('connection', (ws, req) => {
    (req.socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    broker.accept(new WebSocketByteStream(ws, req.socket), {
      transport,
      remoteAddress: req.socket.remoteAddress ?? 'unknown',
      remotePort: req.socket.remotePort,
      certificate: certificateOf?.(req),
    });
  });
  server.on('close', () => wss.close());
}
