// Mosquitto-style bridges through mqtt connectors: a local message matching a connector's
// `out` (or `both`) topic line is forwarded to the remote broker; what the connector brings in
// is published here and fed to `$bridges/mqtt:<name>` rules. A message that came in through a
// bridge never goes back out through the same bridge (loop safety, with No Local remotely).
import type { Message } from '../broker/message.js';
import type { Connector } from '../connectors/index.js';
import { SubscriptionIndex } from '../topic/index.js';
import { payloadOf } from './fields.js';

/** An mqtt connector with egress: forward() sends a local message out (it maps the topic). */
export interface Forwarding {
  forward(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): void;
}

/** The local topic filters of `topic` lines that go out: `pattern [in|out|both] [qos] [local-prefix] [remote-prefix]`. */
export function egressFilters(lines: unknown): string[] {
  if (!Array.isArray(lines)) return [];
  const filters: string[] = [];
  for (const line of lines) {
    if (typeof line !== 'string') continue;
    const [pattern, direction = 'out', , localPrefix = ''] = line.trim().split(/\s+/);
    if (pattern === undefined || (direction !== 'out' && direction !== 'both')) continue;
    // Mosquitto: "" stands for no prefix.
    filters.push((localPrefix === '""' ? '' : localPrefix) + pattern);
  }
  return filters;
}

export class Bridges {
  private readonly index = new SubscriptionIndex<Connector & Forwarding>();
  /** The bridge whose ingress is being published now (synchronous), not to send it back. */
  private incomingFrom: string | undefined;

  get forwarding(): boolean {
    return this.index.size > 0;
  }

  /** Adds a connector's out lines, when it is an mqtt connector that can forward. */
  add(connector: Connector, topics: unknown): void {
    if (typeof (connector as Partial<Forwarding>).forward !== 'function') return;
    for (const filter of egressFilters(topics))
      this.index.add(filter, connector.name, connector as Connector & Forwarding);
  }

  remove(connector: Connector, topics: unknown): void {
    for (const filter of egressFilters(topics)) this.index.remove(filter, connector.name);
  }

  forward(message: Message): void {
    if (this.index.size === 0) return;
    const targets = this.index.match(message.topic);
    for (let i = 0; i < targets.length; i++) {
      const bridge = targets[i]!;
      // Two out lines of one bridge may both match: forward once.
      if (bridge.name === this.incomingFrom || targets.indexOf(bridge) < i) continue;
      bridge.forward(message.topic, payloadOf(message), message.qos, message.retain);
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
