// The byte stream a check speaks over: TCP, TLS, or WebSocket (binary frames, subprotocol
// "mqtt" [MQTT-6.0.0-4]). Only opening differs; the rest is write, end, destroy.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';

export interface Target {
  /** mqtt:, mqtts:, ws: or wss: */
  url: URL;
  username?: string;
  password?: string;
  /** TLS options for mqtts: and wss: (CA, client certificate, verification). */
  tls?: tls.ConnectionOptions;
}

export interface Wire {
  write(bytes: Uint8Array): void;
  end(): void;
  destroy(): void;
}

export interface WireEvents {
  data(chunk: Buffer): void;
  close(): void;
}

export const DEFAULT_PORTS: Record<string, number> = {
  'mqtt:': 1883,
  'mqtts:': 8883,
  'ws:': 80,
  'wss:': 443,
};

/** Opens a connection to the target; rejects after `timeoutMs` or on a network error. */
export function openWire(target: Target, events: WireEvents, timeoutMs: number): Promise<Wire> {
  const { protocol } = target.url;
  if (protocol === 'ws:' || protocol === 'wss:') return openWebSocket(target, events, timeoutMs);
  const host = target.url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.url.port || DEFAULT_PORTS[protocol]);
  const socket =
    protocol === 'mqtts:'
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...target.tls })
      : net.connect({ host, port });
  socket.setNoDelay(true);
  const ready = protocol === 'mqtts:' ? 'secureConnect' : 'connect';
  return settle(socket, ready, timeoutMs, () => {
    socket.on('data', events.data);
    socket.on('close', events.close);
    return {
      write: (bytes) => void (socket.destroyed || socket.write(bytes)),
      end: () => void socket.end(),
      destroy: () => void socket.destroy(),
    };
  });
}

function openWebSocket(target: Target, events: WireEvents, timeoutMs: number): Promise<Wire> {
  const ws = new WebSocket(target.url, ['mqtt'], { ...target.tls, handshakeTimeout: timeoutMs });
  ws.binaryType = 'nodebuffer';
  const destroy = () => ws.terminate();
  return settle(ws, 'open', timeoutMs, () => {
    ws.on('message', (data) => events.data(data as Buffer));
    ws.on('close', events.close);
    return {
      write: (bytes) => ws.readyState === WebSocket.OPEN && ws.send(bytes),
      end: () => ws.close(),
      destroy,
    };
  });
}

interface Openable {
  once(event: string, listener: (arg?: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  destroy?(): void;
  terminate?(): void;
}

/** Resolves with `make()` once `ready` fires; rejects on error or timeout, closing the stream. */
function settle(stream: Openable, ready: string, timeoutMs: number, make: () => Wire) {
  return new Promise<Wire>((resolve, reject) => {
    const close = () => (stream.terminate ? stream.terminate() : stream.destroy?.());
    const timer = setTimeout(() => {
      close();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    let opened = false;
    stream.on('error', (err) => {
      if (opened) return; // a close follows; the connection reports that
      clearTimeout(timer);
      close();
      reject(err);
    });
    stream.once(ready, () => {
      opened = true;
      clearTimeout(timer);
      resolve(make());
    });
  });
}
