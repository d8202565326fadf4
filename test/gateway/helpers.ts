// The gateway tests' harness: a broker with a TCP and an MQTT-SN listener on ephemeral
// loopback ports, MQTT.js 5.0 clients on the TCP side, and a raw UDP peer speaking bytes.
import { createSocket, type Socket } from 'node:dgram';
import mqtt, { type MqttClient } from 'mqtt';
import { type CulexServer, createBroker } from '../../src/server.js';
import type { ListenerConfig } from '../../src/config.js';
import type { MqttSnGateway } from '../../src/gateway/index.js';
import { decodeSn, encodeSn, type SnPacket } from '../../src/mqttsn/index.js';

export interface Harness {
  server: CulexServer;
  snPort: number;
  host: string;
  gateway: MqttSnGateway;
  mqttUrl: string;
  close(): Promise<void>;
}

export async function startHarness(
  gateway: Partial<ListenerConfig> = {},
  host = '127.0.0.1',
  createOptions: Parameters<typeof createBroker>[0] = {},
): Promise<Harness> {
  const server = await createBroker({
    ...createOptions,
    listeners: [
      { type: 'tcp', port: 0, host: '127.0.0.1' },
      { type: 'mqttsn', port: 0, host, ...gateway },
    ],
  });
  const sn = server.listeners.find((l) => l.type === 'mqttsn')!;
  return {
    server,
    snPort: sn.port,
    host,
    gateway: (sn.listening as { gateway: MqttSnGateway }).gateway,
    mqttUrl: `mqtt://127.0.0.1:${server.address('tcp').port}`,
    close: () => server.close(),
  };
}

/** An MQTT.js 5.0 client; `messages` collects what arrives. */
export async function mqttClient(
  url: string,
  clientId: string,
): Promise<{
  client: MqttClient;
  messages: { topic: string; payload: string; qos: number; retain: boolean }[];
}> {
  const client = await mqtt.connectAsync(url, { clientId, protocolVersion: 5, reconnectPeriod: 0 });
  const messages: { topic: string; payload: string; qos: number; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }),
  );
  return { client, messages };
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A UDP peer that sends and receives MQTT-SN messages (or any bytes). */
export class RawPeer {
  readonly socket: Socket;
  readonly received: SnPacket[] = [];
  private waiting: (() => void) | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('message', (datagram) => {
      this.received.push(decodeSn(datagram));
      this.waiting?.();
    });
  }

  send(packet: SnPacket | Buffer): void {
    this.socket.send(Buffer.isBuffer(packet) ? packet : encodeSn(packet), this.port, this.host);
  }

  /** The next message received (in order), within `ms`. */
  async next(ms = 3000): Promise<SnPacket> {
    const deadline = Date.now() + ms;
    while (this.received.length === 0) {
      if (Date.now() > deadline) throw new Error('no MQTT-SN message arrived');
      await new Promise<void>((r) => {
        this.waiting = r;
        setTimeout(r, 20);
      });
    }
    return this.received.shift()!;
  }

  /** Sends and returns the next message received. */
  async request(packet: SnPacket, ms?: number): Promise<SnPacket> {
    this.send(packet);
    return this.next(ms);
  }

  close(): void {
    this.socket.close();
  }
}
