// The clients of bench:chaos, over MQTT.js: persistent subscribers that count every message
// they receive, and publishers of numbered QoS 1 / QoS 2 messages that remember which were
// acknowledged. All are MQTT 5.0 with Clean Start false and a session expiry of 300 s, and
// keep one MqttClient for their whole life, so MQTT.js resends unacknowledged QoS 1/2
// PUBLISH (and PUBREL) from its in-flight store after each reconnect [MQTT-4.4.0-1]. A client
// knows every node: after a kill it tries the next one (its home node first).
import mqtt, { type IConnackPacket, type IDisconnectPacket, type MqttClient } from 'mqtt';

export type Qos = 1 | 2;

/** What happened to a client's connections: reconnects, DISCONNECT reasons, lost sessions. */
export interface ConnectionLog {
  connacks: number;
  /** CONNACKs after the first without Session Present: the broker lost the session. */
  sessionsLost: number;
  /** When and where each lost session was found: "12.3 s on port 4242". */
  lostAt: string[];
  /** DISCONNECT reason codes the server sent, counted (hex). */
  disconnects: Record<string, number>;
  closes: number;
}

function persistentClient(clientId: string, ports: number[]): MqttClient {
  return mqtt.connect({
    servers: ports.map((port) => ({ host: '127.0.0.1', port })),
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 300 },
    reconnectPeriod: 250,
    connectTimeout: 4_000,
    keepalive: 10,
    resubscribe: false,
  });
}

/** `clock`: ms since the start of the run. */
function follow(client: MqttClient, clock: () => number): ConnectionLog {
  const log: ConnectionLog = {
    connacks: 0,
    sessionsLost: 0,
    lostAt: [],
    disconnects: {},
    closes: 0,
  };
  client.on('error', () => {});
  client.on('packetreceive', (packet) => {
    if (packet.cmd !== 'connack') return;
    const connack = packet as IConnackPacket;
    if (connack.reasonCode !== undefined && connack.reasonCode !== 0) return;
    if (log.connacks++ > 0 && !connack.sessionPresent) {
      log.sessionsLost++;
      log.lostAt.push(`${(clock() / 1000).toFixed(2)} s on port ${client.options.port}`);
    }
  });
  client.on('disconnect', (packet: IDisconnectPacket) => {
    const code = `0x${(packet.reasonCode ?? 0).toString(16).padStart(2, '0')}`;
    log.disconnects[code] = (log.disconnects[code] ?? 0) + 1;
  });
  client.on('close', () => log.closes++);
  return log;
}

/** Waits until the client is connected (its in-flight store resent), or throws after `ms`. */
export async function connected(client: MqttClient, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!client.connected) {
    if (Date.now() > deadline) throw new Error(`${client.options.clientId} not connected`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class Subscriber {
  readonly client: MqttClient;
  readonly log: ConnectionLog;
  /** Times each message (key `publisher seq`) arrived. */
  readonly received = new Map<string, number>();
  /** How each message arrived, for the report of duplicates. */
  readonly deliveries = new Map<string, string[]>();
  /** Probe payloads seen (QoS 0, before the run). */
  readonly probes = new Set<string>();

  constructor(
    readonly clientId: string,
    ports: number[],
    /** Topic filter → subscription QoS. */
    private readonly filters: Record<string, { qos: Qos }>,
    /** ms since the start of the run. */
    clock: () => number,
  ) {
    this.client = persistentClient(clientId, ports);
    this.log = follow(this.client, clock);
    this.client.on('message', (_topic, payload, packet) => {
      const text = payload.toString();
      if (text.startsWith('probe ')) this.probes.add(text);
      else this.received.set(text, (this.received.get(text) ?? 0) + 1);
      const how = `packet id ${packet.messageId}${packet.dup ? ' DUP' : ''} at ${(clock() / 1000).toFixed(2)} s on port ${this.client.options.port}`;
      this.deliveries.set(text, [...(this.deliveries.get(text) ?? []), how]);
    });
    // The first CONNACK, and any later one that lost the session, need the subscriptions.
    this.client.on('connect', (packet) => {
      if (packet.sessionPresent) return;
      this.client.subscribe(this.filters, (err) => {
        if (!err) this.subacks++;
      });
    });
  }

  private subacks = 0;

  /** Waits for the first SUBACK, or throws after `ms`. */
  async subscribed(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.subacks === 0) {
      if (Date.now() > deadline) throw new Error(`${this.clientId} not subscribed`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** One message sent: where to, when, and when its PUBACK / PUBCOMP came. */
export interface Sent {
  key: string;
  qos: Qos;
  subscriber: string;
  sentAt: number;
  ackedAt?: number;
  error?: string;
}

export class Publisher {
  readonly client: MqttClient;
  readonly log: ConnectionLog;
  readonly sent: Sent[] = [];
  private seq = 0;
  private inFlight = 0;

  constructor(
    readonly clientId: string,
    ports: number[],
    private readonly maxInFlight: number,
    /** ms since the start of the run. */
    private readonly clock: () => number,
  ) {
    this.client = persistentClient(clientId, ports);
    this.log = follow(this.client, clock);
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Publishes the next numbered message, unless disconnected or too many are in flight. */
  publish(topic: string, qos: Qos, subscriber: string): boolean {
    if (!this.client.connected || this.inFlight >= this.maxInFlight) return false;
    const key = `${this.clientId} ${++this.seq}`;
    const sent: Sent = { key, qos, subscriber, sentAt: this.clock() };
    this.sent.push(sent);
    this.inFlight++;
    this.client.publish(topic, key, { qos }, (err) => {
      this.inFlight--;
      if (err) sent.error = err.message;
      else sent.ackedAt = this.clock();
    });
    return true;
  }

  probe(topic: string, subscriber: string): void {
    if (this.client.connected)
      this.client.publish(topic, `probe ${this.clientId} ${subscriber}`, { qos: 0 });
  }
}

export interface Target {
  publisher: Publisher;
  subscriber: Subscriber;
  /** The subscriber's QoS 1 topic and QoS 2 topic. */
  topics: [string, string];
}

/**
 * A subscriber and a publisher per node (home node first in their lists); each publisher
 * aims at the subscribers whose home is another node.
 */
export function makeClients(
  nodes: { name: string; port: number }[],
  run: string,
  maxInFlight: number,
  clock: () => number,
): { publishers: Publisher[]; subscribers: Subscriber[]; targets: Target[] } {
  const ports = (i: number) => nodes.map((_, k) => nodes[(i + k) % nodes.length]!.port);
  const topics = (name: string): [string, string] => [
    `chaos/${run}/${name}/q1`,
    `chaos/${run}/${name}/q2`,
  ];
  const subscribers = nodes.map((node, i) => {
    const [q1, q2] = topics(node.name);
    return new Subscriber(
      `${run}-sub-${node.name}`,
      ports(i),
      {
        [q1]: { qos: 1 },
        [q2]: { qos: 2 },
      },
      clock,
    );
  });
  const publishers = nodes.map(
    (node, i) => new Publisher(`${run}-pub-${node.name}`, ports(i), maxInFlight, clock),
  );
  const targets: Target[] = [];
  for (const [j, publisher] of publishers.entries()) {
    for (const [i, subscriber] of subscribers.entries()) {
      if (i !== j) targets.push({ publisher, subscriber, topics: topics(nodes[i]!.name) });
    }
  }
  return { publishers, subscribers, targets };
}
