// The subscriptions this client holds, kept so they can be made again when the broker
// lost the session (Session Present 0 after a reconnect).
import { PacketType, type QoS, ReasonCode } from '../protocol/constants.js';
import type {
  Properties,
  SubackPacket,
  SubscribePacket,
  Subscription,
} from '../protocol/packets.js';
import { validateTopicFilter } from '../topic/validate.js';
import { SubscribeError, invalidArgument } from './errors.js';

export interface SubscribeOptions {
  /** Maximum QoS requested; default 0. */
  qos?: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
  /** SUBSCRIBE properties (5.0): subscriptionIdentifiers, userProperties. */
  properties?: Properties;
}

/** One filter with its own options, overriding those given for the whole call. */
export interface SubscriptionRequest extends Omit<SubscribeOptions, 'properties'> {
  topicFilter: string;
}

export type SubscribeRequestPacket = Omit<SubscribePacket, 'packetId'>;

export class Subscriptions {
  /** Granted subscriptions by filter, with the properties of the SUBSCRIBE that made them. */
  readonly #active = new Map<string, { subscription: Subscription; properties: Properties }>();

  build(
    filters: string | readonly (string | SubscriptionRequest)[],
    options: SubscribeOptions,
  ): SubscribeRequestPacket {
    const list = typeof filters === 'string' ? [filters] : filters;
    // [MQTT-3.8.3-3] a SUBSCRIBE carries at least one filter.
    if (list.length === 0) throw invalidArgument('No topic filters');
    const subscriptions = list.map((entry) => {
      const request = typeof entry === 'string' ? { topicFilter: entry } : entry;
      // [MQTT-3.8.3-1] filters are well-formed UTF-8 topic filters.
      const invalid = validateTopicFilter(request.topicFilter);
      if (invalid) throw invalidArgument(invalid.message, invalid.reasonCode);
      return {
        topicFilter: request.topicFilter,
        qos: request.qos ?? options.qos ?? 0,
        noLocal: request.noLocal ?? options.noLocal ?? false,
        retainAsPublished: request.retainAsPublished ?? options.retainAsPublished ?? false,
        retainHandling: request.retainHandling ?? options.retainHandling ?? 0,
      } satisfies Subscription;
    });
    return { type: PacketType.Subscribe, subscriptions, properties: options.properties ?? {} };
  }

  /** Records the granted filters; throws SubscribeError when any was refused. */
  onSuback(packet: SubscribeRequestPacket, suback: SubackPacket): number[] {
    const codes = suback.reasonCodes;
    packet.subscriptions.forEach((subscription, i) => {
      const code = codes[i] ?? ReasonCode.UnspecifiedError;
      if (code < ReasonCode.UnspecifiedError) {
        this.#active.set(subscription.topicFilter, { subscription, properties: packet.properties });
      }
    });
    if (codes.some((code) => code >= ReasonCode.UnspecifiedError)) {
      const filters = packet.subscriptions.map((s) => s.topicFilter);
      throw new SubscribeError(filters, codes, suback.properties.reasonString);
    }
    return codes;
  }

  remove(topicFilters: readonly string[]): void {
    for (const filter of topicFilters) this.#active.delete(filter);
  }

  /** One SUBSCRIBE per distinct properties, so Subscription Identifiers survive. */
  resubscribePackets(): SubscribeRequestPacket[] {
    const groups = new Map<Properties, Subscription[]>();
    for (const { subscription, properties } of this.#active.values()) {
      const group = groups.get(properties);
      if (group) group.push(subscription);
      else groups.set(properties, [subscription]);
    }
    return [...groups].map(([properties, subscriptions]) => ({
      type: PacketType.Subscribe,
      subscriptions,
      properties,
    }));
  }
}
