// What a running check gets: its own topic prefix and client ids, connections that are
// closed afterwards, and the cleanup of what it left on the broker (retained messages,
// persistent sessions), so a run leaves no state behind.
import {
  type ConnackPacket,
  type ConnectPacket,
  PacketType,
  type Properties,
  toConnectReturnCode,
  type Will,
} from '../protocol/index.js';
import { CheckConnection, describePacket, hex } from './connection.js';
import type { RateLimit } from './rate.js';
import {
  type Capabilities,
  type Check,
  CheckFailed,
  type CheckVersion,
  NotSupported,
} from './types.js';
import type { Target } from './wire.js';

export interface RunSettings {
  target: Target;
  /** How long to wait for an answer the spec requires, in ms. */
  timeout: number;
  /** How long to wait where the spec requires silence, in ms. */
  quiet: number;
  rate: RateLimit;
  caps: Capabilities;
  /** Prefix of every client id of the run (the user's, plus a random run id). */
  clientIdPrefix: string;
  /** Topic prefix unique to the run. */
  topicPrefix: string;
}

export interface ConnectOptions {
  version?: CheckVersion;
  clientId?: string;
  clean?: boolean;
  keepAlive?: number;
  properties?: Properties;
  will?: Partial<Will> & { topic: string };
}

export class CheckContext {
  private readonly connections: CheckConnection[] = [];
  private readonly retainedTopics = new Set<string>();
  private readonly sessions = new Map<string, CheckVersion>();

  constructor(
    readonly settings: RunSettings,
    readonly check: Check,
    private readonly index: number,
  ) {}

  get version(): CheckVersion {
    return this.check.version;
  }
  get caps(): Capabilities {
    return this.settings.caps;
  }
  get timeout(): number {
    return this.settings.timeout;
  }
  get quiet(): number {
    return this.settings.quiet;
  }

  /** A topic under the run's prefix, unique to this check. */
  topic(name = 't'): string {
    return `${this.settings.topicPrefix}/${this.index}/${name}`;
  }

  /** A client id unique to this check (short: 3.1.1 servers need accept only 23 bytes). */
  clientId(name = 'c'): string {
    return `${this.settings.clientIdPrefix}${this.index}${name}`;
  }

  /** Remembers a topic whose retained message the cleanup clears. */
  retained(topic: string): void {
    this.retainedTopics.add(topic);
  }

  /** Remembers a client id whose session the cleanup ends. */
  persistent(clientId: string, version = this.version): void {
    this.sessions.set(clientId, version);
  }

  /** A connection on which nothing is sent yet. */
  async open(version = this.version): Promise<CheckConnection> {
    const { target, rate, timeout } = this.settings;
    const connection = await CheckConnection.open(target, version, rate, timeout);
    this.connections.push(connection);
    return connection;
  }

  connectPacket(options: ConnectOptions = {}): ConnectPacket {
    const { username, password } = this.settings.target;
    const will = options.will;
    return {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: options.version ?? this.version,
      clean: options.clean ?? true,
      keepAlive: options.keepAlive ?? 60,
      clientId: options.clientId ?? this.clientId(),
      will: will && {
        payload: Buffer.alloc(0),
        qos: 0 as const,
        retain: false,
        properties: {},
        ...will,
      },
      username,
      password: password === undefined ? undefined : Buffer.from(password),
      properties: options.properties ?? {},
    };
  }

  /** Opens, sends CONNECT and reads the CONNACK, whatever its reason code. */
  async connect(options: ConnectOptions = {}) {
    const connection = await this.open(options.version);
    await connection.send(this.connectPacket(options));
    const connack = await connection.expect(PacketType.Connack, this.timeout);
    return { connection, connack };
  }

  /** connect() that must succeed; a broker refusing 5.0 makes the check "not supported". */
  async connected(options: ConnectOptions = {}): Promise<CheckConnection> {
    const { connection, connack } = await this.connect(options);
    refusedVersion(connection, connack);
    if (connack.reasonCode !== 0)
      throw new CheckFailed(`refused the CONNECT with ${describePacket(connack)}`);
    return connection;
  }

  /** Closes every connection, clears retained messages and ends persistent sessions. */
  async cleanup(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    this.connections.length = 0;
    const work: Promise<unknown>[] = [];
    if (this.retainedTopics.size > 0) work.push(this.clearRetained());
    for (const [clientId, version] of this.sessions) work.push(this.endSession(clientId, version));
    await Promise.allSettled(work);
    for (const connection of this.connections) connection.destroy();
  }

  private async clearRetained(): Promise<void> {
    const connection = await this.connected({ clientId: this.clientId('r'), version: 4 });
    for (const topic of this.retainedTopics) {
      const packetId = connection.packetId();
      await connection.send({
        type: PacketType.Publish,
        topic,
        payload: Buffer.alloc(0),
        qos: 1,
        retain: true,
        dup: false,
        packetId,
        properties: {},
      });
      await connection.take(PacketType.Puback, packetId, this.timeout);
    }
    await connection.disconnect();
  }

  /** Clean Start with Session Expiry 0 ends the session at once [MQTT-3.1.2-4]. */
  private async endSession(clientId: string, version: CheckVersion): Promise<void> {
    const connection = await this.connected({ clientId, version, clean: true });
    await connection.disconnect();
    // The server closes once it has processed the DISCONNECT: the session is gone by then.
    await connection.waitClose(this.timeout);
  }
}

/** A 5.0 CONNECT refused the way a 3.1.1-only broker may: "not supported", not a failure. */
export function refusedVersion(connection: CheckConnection, connack: ConnackPacket): void {
  if (connection.version !== 5) return;
  if (connection.legacyConnack)
    throw new NotSupported(
      `refuses MQTT 5.0 (CONNACK ${hex(toConnectReturnCode(connack.reasonCode))} in 3.1.1 format)`,
    );
  if (connack.reasonCode === 0x84) throw new NotSupported('refuses MQTT 5.0 (CONNACK 0x84)');
}
