// $SYS topics: periodic statistics (Mosquitto's $SYS/broker/...) and client presence events
// (EMQX's $SYS/brokers/<node>/clients/<clientid>/connected|disconnected).
import type { BrokerCore } from './core.js';
import type { Message } from './message.js';
import type { ClientInfo } from './ports.js';

export const CULEX_VERSION = '0.1.0';

export class SysPublisher {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly core: BrokerCore) {
    core.sysEvents = {
      connected: (info) => this.presence(info, 'connected'),
      disconnected: (info, reason) => this.presence(info, 'disconnected', reason),
    };
  }

  start(): void {
    const seconds = this.core.options.sysInterval;
    this.publish('$SYS/broker/version', `culex ${CULEX_VERSION}`);
    if (seconds <= 0) return;
    this.publishStats();
    this.timer = setInterval(() => this.publishStats(), seconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  publishStats(): void {
    const { stats } = this.core;
    const figures: Record<string, number> = {
      uptime: Math.floor((this.core.now() - stats.startedAt) / 1000),
      'clients/connected': this.core.clients.size,
      'clients/total': this.core.sessions.size,
      'clients/disconnected': this.core.sessions.size - this.core.clients.size,
      'messages/received': stats.messagesReceived,
      'messages/sent': stats.messagesSent,
      'publish/messages/received': stats.publishReceived,
      'publish/messages/sent': stats.publishSent,
      'publish/messages/dropped': Object.values(stats.dropped).reduce((a, b) => a + b, 0),
      'bytes/received': stats.bytesReceived,
      'bytes/sent': stats.bytesSent,
      'subscriptions/count': this.core.router.subscriptionCount,
      'retained messages/count': this.core.retained.size,
    };
    // In a cluster each node's figures are also under its own name, for every node to see.
    const node = this.core.cluster ? `$SYS/brokers/${this.core.options.nodeName}/` : undefined;
    for (const [name, value] of Object.entries(figures)) {
      const text = name === 'uptime' ? `${value} seconds` : String(value);
      this.publish(`$SYS/broker/${name}`, text);
      if (node !== undefined) this.publish(`${node}${name}`, text);
    }
  }

  private presence(info: ClientInfo, event: 'connected' | 'disconnected', reason?: string): void {
    // Presence events are not retained: with no '$' subscription nobody can receive them
    // (in a cluster, a subscription may be on another node).
    if (!this.core.router.hasDollarSubscriptions && this.core.cluster === undefined) return;
    const payload = JSON.stringify({
      clientid: info.clientId,
      username: info.username ?? null,
      ipaddress: info.remoteAddress,
      proto_ver: info.protocolVersion,
      ts: this.core.now(),
      ...(reason ? { reason } : {}),
    });
    this.publish(
      `$SYS/brokers/${this.core.options.nodeName}/clients/${info.clientId}/${event}`,
      payload,
      false,
    );
  }

  private publish(topic: string, payload: string, retain = true): void {
    const message: Message = {
      topic,
      payload: Buffer.from(payload),
      qos: 0,
      retain,
      properties: {},
    };
    // $SYS retained values live in memory only: stale figures after a restart would mislead.
    if (retain) this.core.retained.setVolatile(message);
    if (this.core.router.hasDollarSubscriptions) this.core.router.route(message);
    if (topic.startsWith('$SYS/brokers/')) this.core.cluster?.bus.forward(message);
  }
}
