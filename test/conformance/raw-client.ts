// A tiny raw MQTT client for the black-box suites: a net.Socket speaking packets built with
// the codec (or hand-written bytes), with every wait bounded by a timeout.
import assert from 'node:assert/strict';
import net from 'node:net';
import { pubResponse, subscription } from '../../src/check/steps.js';
import { InputWaiter } from '../../src/check/waiter.js';
import { type CreateBrokerOptions, type CulexServer, createBroker } from '../../src/index.js';
import {
  encode,
  type ConnackPacket,
  type Packet,
  PacketDecoder,
  type PacketOf,
  PacketType,
  type Properties,
  type ProtocolVersion,
  type QoS,
  type Subscription,
  type Will,
} from '../../src/protocol/index.js';

export const DEFAULT_TIMEOUT = 2_000;

const typeName = (type: number): string =>
  Object.entries(PacketType).find(([, v]) => v === type)?.[0] ?? `type ${type}`;

export class RawClient {
  readonly packets: Packet[] = [];
  /** Every byte received, in order, for byte-level checks. */
  readonly received: Buffer[] = [];
  closed = false;
  decodeError: Error | undefined;
  private readonly decoder: PacketDecoder;
  private readonly input = new InputWaiter();
  private nextPacketId = 1;

  private constructor(
    readonly socket: net.Socket,
    public version: ProtocolVersion,
  ) {
    this.decoder = new PacketDecoder({ protocolVersion: version });
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.input.wake();
    });
  }

  /** Opens a TCP connection; nothing is sent yet. */
  static open(port: number, version: ProtocolVersion = 5): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('TCP connect timed out'));
      }, DEFAULT_TIMEOUT);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawClient(socket, version));
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    try {
      this.decoder.push(chunk);
      for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next())
        this.packets.push(p);
    } catch (err) {
      this.decodeError = err as Error;
    }
    this.input.wake();
  }

  /** Waits until `ready()` holds, re-checking on input and close; false on timeout. */
  private waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.input.until(ready, timeoutMs);
  }

  /** A fresh packet id for this client's QoS 1/2 PUBLISHes, SUBSCRIBEs and UNSUBSCRIBEs. */
  packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id === 65535 ? 1 : id + 1;
    return id;
  }

  send(packet: Packet | Uint8Array): void {
    const bytes = packet instanceof Uint8Array ? packet : encode(packet, this.version);
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next packet, whatever its type. */
  async next(timeoutMs = DEFAULT_TIMEOUT): Promise<Packet> {
    await this.waitUntil(() => this.packets.length > 0 || this.closed, timeoutMs);
    if (this.decodeError) throw this.decodeError;
    const packet = this.packets.shift();
    if (packet !== undefined) return packet;
    throw new Error(this.closed ? 'connection closed' : `no packet within ${timeoutMs} ms`);
  }

  /** The next packet, asserting its type. */
  async expect<T extends PacketType>(type: T, timeoutMs = DEFAULT_TIMEOUT): Promise<PacketOf<T>> {
    let packet: Packet;
    try {
      packet = await this.next(timeoutMs);
    } catch (err) {
      throw new Error(`expected ${typeName(type)}: ${(err as Error).message}`);
    }
    assert.equal(
      typeName(packet.type),
      typeName(type),
      `expected ${typeName(type)}, got ${JSON.stringify(packet, replacer)}`,
    );
    return packet as PacketOf<T>;
  }

  /**
   * The first packet of `type` with `packetId`, taken from anywhere in the queue: other packets
   * (PUBLISHes interleaved with a QoS 2 handshake) stay where they are.
   */
  async take<T extends PacketType>(
    type: T,
    packetId: number,
    timeoutMs = DEFAULT_TIMEOUT,
  ): Promise<PacketOf<T>> {
    const find = () =>
      this.packets.findIndex(
        (p) => p.type === type && (p as { packetId?: number }).packetId === packetId,
      );
    await this.waitUntil(() => find() >= 0 || this.closed, timeoutMs);
    if (this.decodeError) throw this.decodeError;
    const at = find();
    if (at < 0)
      throw new Error(
        `expected ${typeName(type)} ${packetId}: ${this.closed ? 'closed' : 'timeout'}`,
      );
    return this.packets.splice(at, 1)[0] as PacketOf<T>;
  }

  /** Asserts that no packet arrives for `ms` (the connection may stay open). */
  async expectNothing(ms = 300): Promise<void> {
    await this.waitUntil(() => this.packets.length > 0, ms);
    assert.equal(
      this.packets.length,
      0,
      `unexpected packet ${JSON.stringify(this.packets[0], replacer)}`,
    );
  }

  /** Asserts the server closes the connection; returns the packets that came before the close. */
  async expectClose(timeoutMs = DEFAULT_TIMEOUT): Promise<Packet[]> {
    const ok = await this.waitUntil(() => this.closed, timeoutMs);
    assert.ok(ok, `connection not closed within ${timeoutMs} ms`);
    return this.packets.splice(0);
  }

  /** Every packet that arrives within `ms`. */
  async collect(ms: number): Promise<Packet[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.packets.splice(0);
  }

  async subscribe(
    filters: (string | (Partial<Subscription> & { topicFilter: string }))[],
    properties: Properties = {},
  ): Promise<number[]> {
    const packetId = this.packetId();
    const subscriptions = filters.map((f) => subscription(f));
    this.send({ type: PacketType.Subscribe, packetId, subscriptions, properties });
    const suback = await this.expect(PacketType.Suback);
    assert.equal(suback.packetId, packetId);
    return suback.reasonCodes;
  }

  /** Publishes and completes the QoS flow as publisher; returns the PUBACK/PUBREC reason code. */
  async publish(
    topic: string,
    payload: string | Uint8Array,
    options: { qos?: QoS; retain?: boolean; properties?: Properties } = {},
  ): Promise<number | undefined> {
    const qos = options.qos ?? 0;
    const packetId = qos > 0 ? this.packetId() : undefined;
    this.send({
      type: PacketType.Publish,
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos,
      retain: options.retain ?? false,
      dup: false,
      packetId,
      properties: options.properties ?? {},
    });
    if (qos === 0) return undefined;
    if (qos === 1) {
      const ack = await this.expect(PacketType.Puback);
      assert.equal(ack.packetId, packetId);
      return ack.reasonCode;
    }
    const rec = await this.expect(PacketType.Pubrec);
    assert.equal(rec.packetId, packetId);
    if (rec.reasonCode >= 0x80) return rec.reasonCode;
    this.send(pubResponse(PacketType.Pubrel, packetId!));
    const comp = await this.expect(PacketType.Pubcomp);
    assert.equal(comp.packetId, packetId);
    return rec.reasonCode;
  }

  /** Acknowledges a received QoS 1/2 PUBLISH as a subscriber (QoS 2: PUBREC, PUBREL, PUBCOMP). */
  async acknowledge(publish: PacketOf<typeof PacketType.Publish>): Promise<void> {
    if (publish.qos === 1) this.send(pubResponse(PacketType.Puback, publish.packetId!));
    if (publish.qos !== 2) return;
    this.send(pubResponse(PacketType.Pubrec, publish.packetId!));
    await this.take(PacketType.Pubrel, publish.packetId!);
    this.send(pubResponse(PacketType.Pubcomp, publish.packetId!));
  }

  /** The next PUBLISH, acknowledged. */
  async receive(timeoutMs = DEFAULT_TIMEOUT): Promise<PacketOf<typeof PacketType.Publish>> {
    const publish = await this.expect(PacketType.Publish, timeoutMs);
    await this.acknowledge(publish);
    return publish;
  }

  disconnect(reasonCode = 0, properties: Properties = {}): void {
    this.send({ type: PacketType.Disconnect, reasonCode, properties });
    this.socket.end();
  }

  /** Drops the connection without DISCONNECT (an abnormal close). */
  destroy(): void {
    this.socket.destroy();
  }
}

export { type PublishOptions, publishPacket } from '../../src/check/steps.js';
export { pubResponse, subscription };

export interface ConnectOptions {
  version?: ProtocolVersion;
  clientId?: string;
  clean?: boolean;
  keepAlive?: number;
  properties?: Properties;
  will?: Partial<Will> & { topic: string };
  username?: string;
  password?: string;
}

export function connectPacket(options: ConnectOptions = {}): PacketOf<typeof PacketType.Connect> {
  const version = options.version ?? 5;
  const will = options.will;
  return {
    type: PacketType.Connect,
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: options.clean ?? true,
    keepAlive: options.keepAlive ?? 0,
    clientId: options.clientId ?? '',
    will: will && {
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      properties: {},
      ...will,
    },
    username: options.username,
    password: options.password === undefined ? undefined : Buffer.from(options.password),
    properties: options.properties ?? {},
  };
}

/** Opens a connection, sends CONNECT and reads the CONNACK (whatever its code). */
export async function connect(
  port: number,
  options: ConnectOptions = {},
): Promise<{ client: RawClient; connack: ConnackPacket }> {
  const client = await RawClient.open(port, options.version ?? 5);
  client.send(connectPacket(options));
  const connack = await client.expect(PacketType.Connack);
  return { client, connack };
}

/** connect() that asserts success and returns the client. */
export async function connected(port: number, options: ConnectOptions = {}): Promise<RawClient> {
  const { client, connack } = await connect(port, options);
  assert.equal(connack.reasonCode, 0, `CONNACK refused with ${connack.reasonCode}`);
  return client;
}

/** A broker on 127.0.0.1 with an ephemeral TCP port and $SYS off, plus cleanup of clients. */
export class Harness {
  readonly clients: RawClient[] = [];
  private constructor(readonly server: CulexServer) {}

  static async start(options: Omit<CreateBrokerOptions, 'listeners'> = {}): Promise<Harness> {
    const server = await createBroker({
      ...options,
      listeners: [
        { type: 'tcp', port: 0, host: '127.0.0.1' },
        { type: 'ws', port: 0, host: '127.0.0.1' },
      ],
      broker: { sysInterval: 0, ...options.broker },
    });
    return new Harness(server);
  }

  get port(): number {
    return this.server.address('tcp').port;
  }

  get wsPort(): number {
    return this.server.address('ws').port;
  }

  async connect(options: ConnectOptions = {}) {
    const result = await connect(this.port, options);
    this.clients.push(result.client);
    return result;
  }

  async connected(options: ConnectOptions = {}): Promise<RawClient> {
    const client = await connected(this.port, options);
    this.clients.push(client);
    return client;
  }

  async open(version: ProtocolVersion = 5): Promise<RawClient> {
    const client = await RawClient.open(this.port, version);
    this.clients.push(client);
    return client;
  }

  /** Waits until the broker holds `filter` for `clientId` (for clients that print nothing on SUBACK). */
  async subscribed(clientId: string, filter: string, ms = 3_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.server.broker.core.sessions.get(clientId)?.subscriptions.has(filter)) {
      if (Date.now() > deadline) throw new Error(`${clientId} did not subscribe to ${filter}`);
      await sleep(10);
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await this.server.close();
  }
}

export const text = (p: { payload: Uint8Array }): string => Buffer.from(p.payload).toString();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hex bytes, with '#' comments, as in test/protocol. */
export function bytes(...lines: string[]): Buffer {
  const hex = lines.map((line) => line.split('#')[0]).join(' ');
  const parts = hex.split(/\s+/).filter((part) => part.length > 0);
  for (const part of parts) assert.match(part, /^[0-9a-f]{2}$/i, `bad hex byte ${part}`);
  return Buffer.from(parts.map((part) => Number.parseInt(part, 16)));
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString();
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer')
    return '<bytes>';
  return value;
}
