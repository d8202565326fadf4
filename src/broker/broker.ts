// The transport-agnostic broker: accepts byte streams, owns the timers, and offers the
// embedding API (publish, inspect, close). Adapters come in through CoreAdapters.
import { ReasonCode } from '../protocol/constants.js';
import { type ByteStream, Connection, type TransportInfo } from './connection.js';
import { BrokerCore, type CoreAdapters } from './core.js';
import type { Message } from './message.js';
import { type BrokerOptions, defaultBrokerOptions } from './options.js';
import type { Properties } from '../protocol/packets.js';
import type { QoS } from '../protocol/constants.js';
import { SysPublisher } from './sys.js';
import { BrokerAdmin } from './admin.js';
import { answer, type NodeRequest } from './cluster-admin.js';

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

export class Broker {
  readonly core: BrokerCore;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly sys: SysPublisher;
  private closed = false;

  constructor(options: Partial<BrokerOptions>, adapters: CoreAdapters) {
    this.core = new BrokerCore({ ...defaultBrokerOptions, ...options }, adapters);
    this.sys = new SysPublisher(this.core);
  }

  get options(): BrokerOptions {
    return this.core.options;
  }

  /** Loads persisted state and starts the timers; call before accepting connections. */
  async open(): Promise<void> {
    const core = this.core;
    await core.retained.load(core.now());
    await core.restoreSessions();
    if (core.cluster) {
      const admin = new BrokerAdmin(this);
      core.cluster.bus.serve((request: NodeRequest) => answer(admin, request));
      await core.cluster.bus.start(core.cluster);
    }
    this.sweepTimer = setInterval(() => core.sweep(), 1000);
    this.sweepTimer.unref();
    this.sys.start();
  }

  /** Takes a new client byte stream (TCP socket, TLS socket, WebSocket stream). */
  accept(stream: ByteStream, transport: TransportInfo): void {
    if (
      this.closed ||
      !this.core.admission.accepted(transport.remoteAddress, this.core.connections.size)
    ) {
      stream.destroy();
      return;
    }
    const connection = new Connection(this.core, stream, transport);
    this.core.connections.add(connection);
  }

  /** Publishes as the broker itself (no client). Returns how many sessions received it. */
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions = {}): number {
    const properties = options.properties ?? {};
    const interval = properties.messageExpiryInterval;
    const message: Message = {
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      properties,
      expiresAt: interval === undefined ? undefined : this.core.now() + interval * 1000,
    };
    return this.core.publish(message);
  }

  /** Disconnects a client (DISCONNECT 0x98 Administrative Action in 5.0); false if not connected. */
  kick(clientId: string, reasonCode: number = ReasonCode.AdministrativeAction): boolean {
    const connection = this.core.clients.get(clientId);
    if (connection === undefined) return false;
    this.core.disconnect(connection, reasonCode);
    return true;
  }

  /** Graceful shutdown: 5.0 clients get DISCONNECT 0x8B, then stores are flushed and closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.sys.stop();
    for (const connection of [...this.core.connections]) {
      if (connection.state === 'connected')
        this.core.disconnect(connection, ReasonCode.ServerShuttingDown);
      else connection.close();
    }
    for (const connection of this.core.connections) connection.flush();
    await this.core.sessionStore.flush();
    await this.core.adapters.retainedStore.flush();
    await this.core.sessionStore.close();
    await this.core.adapters.retainedStore.close();
    await this.core.cluster?.bus.close();
  }
}
