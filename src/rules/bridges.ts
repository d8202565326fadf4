// Mosquitto-style bridges through mqtt connectors: a local message matching a connector's
// `out` (or `both`) topic line is forwarded to the remote broker; what the connector brings in
// is published here and fed to `$bridges/mqtt:<name>` rules. A message that came in through a
// bridge never goes back out through the same bridge (loop safety, with No Local remotely).
import { type Message, ownPayload } from '../broker/message.js';
import type { Connector } from '../connectors/index.js';
import { SubscriptionIndex } from '../topic/index.js';

/** An mqtt connector with egress (src/connectors' MqttBridge): its `out` lines' local filters. */
export interface Forwarding {
  readonly localFilters: readonly string[];
  forward(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean): boolean;
}

function forwarding(connector: Connector): (Connector & Forwarding) | undefined {
  const bridge = connector as Connector & Partial<Forwarding>;
  return typeof bridge.forward === 'function' && Array.isArray(bridge.localFilters)
    ? (bridge as Connector & Forwarding)
    : undefined;
}

export class Bridges {
  private readonly index = new SubscriptionIndex<Connector & Forwarding>();
  /** The bridge whose ingress is being published now (synchronous), not to send it back. */
  private incomingFrom: string | undefined;

  get forwarding(): boolean {
    return this.index.size > 0;
  }

  /** Adds a connector's out lines, when it is an mqtt connector that forwards. */
  add(connector: Connector): void {
    const bridge = forwarding(connector);
    if (bridge === undefined) return;
    for (const filter of bridge.localFilters) this.index.add(filter, bridge.name, bridge);
  }

  remove(connector: Connector): void {
    const bridge = forwarding(connector);
    if (bridge === undefined) return;
    for (const filter of bridge.localFilters) this.index.remove(filter, bridge.name);
  }

  forward(message: Message): void {
    if (this.index.size === 0) return;
    const targets = this.index.match(message.topic);
    for (let i = 0; i < targets.length; i++) {
      const bridge = targets[i]!;
      // Two out lines of one bridge may both match: forward once.
      if (bridge.name === this.incomingFrom || targets.indexOf(bridge) < i) continue;
      // The bridge queues it: a payload that is a view of a socket chunk is copied, once.
      ownPayload(message);
      bridge.forward(message.topic, message.payload, message.qos, message.retain);
    }
  }

  /** Runs `publish` with the message marked as come from `connector`. */
  incoming(connector: string, publish: () => void): void {
    const outer = this.incomingFrom;
    this.incomingFrom = connector;
    try {
      publish();
    } finally {
      this.incomingFrom = outer;
    }
  }
}
