// MQTT over TLS (mqtts) and WebSocket over TLS (wss): TLS 1.2 or newer, optional client
// certificates, and certificates reloaded in place (SIGHUP) without dropping connections.
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTlsServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Broker } from '../broker/broker.js';
import type { TransportInfo } from '../broker/connection.js';
import { acceptSocket, type Listening, startListening } from './tcp.js';
import { attachWebSocket, upgradeDeadline } from './ws.js';

export interface TlsOptions {
  cert: string;
  key: string;
  ca?: string;
  /** Client certificates: none asked, optional (asked, not required), required. */
  verify: 'none' | 'optional' | 'required';
}

export interface TlsListening extends Listening {
  /** Re-reads the certificate files; new handshakes use them, open connections stay. */
  reload(): void;
}

function secureContextOptions(options: TlsOptions) {
  return {
    cert: readFileSync(options.cert),
    key: readFileSync(options.key),
    ca: options.ca ? readFileSync(options.ca) : undefined,
  };
}

function serverOptions(broker: Broker, options: TlsOptions) {
  return {
    ...secureContextOptions(options),
    // A socket that never finishes its handshake is dropped like one that never sends
    // CONNECT (Node's default would keep it 120 s).
    handshakeTimeout: broker.options.connectTimeout * 1000 || undefined,
    minVersion: 'TLSv1.2' as const,
    requestCert: options.verify !== 'none',
    rejectUnauthorized: options.verify === 'required',
  };
}

/** The names of a verified client certificate, usable as username. */
export function certificateNames(socket: TLSSocket): TransportInfo['certificate'] {
  if (!socket.authorized) return undefined;
  const peer: PeerCertificate = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const subjectAltNames = (peer.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|email|URI|IP Address):/, ''))
    .filter((s) => s !== '');
  const cn = peer.subject?.CN;
  return { commonName: Array.isArray(cn) ? cn[0] : cn, subjectAltNames };
}

export async function listenTls(
  broker: Broker,
  port: number,
  host: string,
  options: TlsOptions,
): Promise<TlsListening> {
  const server = createTlsServer(serverOptions(broker, options), (socket) =>
    acceptSocket(broker, socket, 'tls', certificateNames(socket)),
  );
  // Without a listener a handshake timeout leaves the socket open.
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  const listening = await startListening(server, port, host);
  return { ...listening, reload: () => server.setSecureContext(secureContextOptions(options)) };
}

export async function listenWss(
  broker: Broker,
  port: number,
  host: string,
  options: TlsOptions & { path: string },
): Promise<TlsListening> {
  const server = createHttpsServer(
    { ...serverOptions(broker, options), ...upgradeDeadline(broker) },
    (_req, res) => {
      res
        .writeHead(426, { 'content-type': 'text/plain' })
        .end('MQTT over WebSocket: connect with subprotocol "mqtt"\n');
    },
  );
  attachWebSocket(broker, server as never, { path: options.path }, 'wss', (req) =>
    certificateNames(req.socket as TLSSocket),
  );
  const listening = await startListening(server as never, port, host);
  return { ...listening, reload: () => server.setSecureContext(secureContextOptions(options)) };
}
