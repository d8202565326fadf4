// The steps checks are made of: subscribe, publish as a publisher (completing its QoS flow),
// receive as a subscriber (acknowledging), and "the broker must close this connection".
import {
  type Packet,
  type PacketOf,
  PacketType,
  type Properties,
  type QoS,
  type Subscription,
} from '../protocol/index.js';
import { type CheckConnection, describePacket } from './connection.js';
import type { CheckContext, ConnectOptions } from './context.js';
import { CheckFailed, ensure } from './types.js';

export type PublishPacket = PacketOf<typeof PacketType.Publish>;
export type SubscriptionSpec = string | (Partial<Subscription> & { topicFilter: string });

export function subscription(spec: SubscriptionSpec): Subscription {
  const given = typeof spec === 'string' ? { topicFilter: spec } : spec;
  return { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0, ...given };
}

/** SUBSCRIBE and its SUBACK, which must echo the packet id [MQTT-3.8.4-2]; the reason codes. */
export async function subscribe(
  ctx: CheckContext,
  connection: CheckConnection,
  specs: SubscriptionSpec[],
  properties: Properties = {},
): Promise<number[]> {
  const packetId = connection.packetId();
  const subscriptions = specs.map(subscription);
  await connection.send({ type: PacketType.Subscribe, packetId, subscriptions, properties });
  const suback = await connection.expect(PacketType.Suback, ctx.timeout);
  ensure(suback.packetId === packetId, `SUBACK for packet id ${suback.packetId}, not ${packetId}`);
  return suback.reasonCodes;
}

/** subscribe() of one filter that must be granted the QoS asked for. */
export async function subscribed(
  ctx: CheckContext,
  connection: CheckConnection,
  spec: SubscriptionSpec,
  properties: Properties = {},
): Promise<void> {
  const wanted = subscription(spec);
  const [code] = await subscribe(ctx, connection, [wanted], properties);
  ensure(code === wanted.qos, `SUBACK ${code} for ${wanted.topicFilter} at QoS ${wanted.qos}`);
}

export async function unsubscribe(
  ctx: CheckContext,
  connection: CheckConnection,
  topicFilters: string[],
): Promise<number[]> {
  const packetId = connection.packetId();
  await connection.send({ type: PacketType.Unsubscribe, packetId, topicFilters, properties: {} });
  const unsuback = await connection.expect(PacketType.Unsuback, ctx.timeout);
  ensure(unsuback.packetId === packetId, `UNSUBACK for id ${unsuback.packetId}, not ${packetId}`);
  return unsuback.reasonCodes;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  properties?: Properties;
}

export function publishPacket(
  topic: string,
  payload: string | Uint8Array,
  options: PublishOptions = {},
): PublishPacket {
  const qos = options.qos ?? 0;
  return {
    type: PacketType.Publish,
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos,
    retain: options.retain ?? false,
    dup: options.dup ?? false,
    packetId: qos > 0 ? (options.packetId ?? 1) : undefined,
    properties: options.properties ?? {},
  };
}

export function pubResponse<T extends 4 | 5 | 6 | 7>(type: T, packetId: number, reasonCode = 0) {
  return { type, packetId, reasonCode, properties: {} } as unknown as PacketOf<T>;
}

/** Publishes and completes the publisher's QoS flow; the PUBACK/PUBREC reason code. */
export async function publish(
  ctx: CheckContext,
  connection: CheckConnection,
  topic: string,
  payload: string | Uint8Array,
  options: PublishOptions = {},
): Promise<number | undefined> {
  const qos = options.qos ?? 0;
  const packetId = qos > 0 ? (options.packetId ?? connection.packetId()) : undefined;
  await connection.send(publishPacket(topic, payload, { ...options, packetId }));
  if (qos === 0) return undefined;
  if (qos === 1)
    return (await connection.take(PacketType.Puback, packetId!, ctx.timeout)).reasonCode;
  const rec = await connection.take(PacketType.Pubrec, packetId!, ctx.timeout);
  if (rec.reasonCode >= 0x80) return rec.reasonCode;
  await connection.send(pubResponse(PacketType.Pubrel, packetId!));
  const comp = await connection.take(PacketType.Pubcomp, packetId!, ctx.timeout);
  ensure(comp.reasonCode === 0, `PUBCOMP ${comp.reasonCode} for a known packet id`);
  return rec.reasonCode;
}

/** Acknowledges a delivered QoS 1/2 PUBLISH as a subscriber. */
export async function acknowledge(
  ctx: CheckContext,
  connection: CheckConnection,
  p: PublishPacket,
) {
  if (p.qos === 1) await connection.send(pubResponse(PacketType.Puback, p.packetId!));
  if (p.qos !== 2) return;
  await connection.send(pubResponse(PacketType.Pubrec, p.packetId!));
  await connection.take(PacketType.Pubrel, p.packetId!, ctx.timeout);
  await connection.send(pubResponse(PacketType.Pubcomp, p.packetId!));
}

/** The next packet, a PUBLISH, acknowledged. */
export async function receive(
  ctx: CheckContext,
  connection: CheckConnection,
  what = 'the message',
) {
  const p = await connection.expect(PacketType.Publish, ctx.timeout, `(${what})`);
  await acknowledge(ctx, connection, p);
  return p;
}

export const text = (p: { payload: Uint8Array }) => Buffer.from(p.payload).toString();

/** A subscriber on `filter` and a separate publisher, both connected. */
export async function pair(
  ctx: CheckContext,
  filter: SubscriptionSpec,
  properties: Properties = {},
) {
  const subscriber = await ctx.connected({ clientId: ctx.clientId('s') });
  await subscribed(ctx, subscriber, filter, properties);
  const publisher = await ctx.connected({ clientId: ctx.clientId('p') });
  return { subscriber, publisher };
}

/**
 * The broker must close the connection: a DISCONNECT (or CONNACK) with a reason code of 0x80
 * or more may come first; anything else, or an open connection, fails.
 */
export async function expectClosed(ctx: CheckContext, connection: CheckConnection): Promise<void> {
  const closed = await connection.waitClose(ctx.timeout);
  const answered = connection.packets.filter((p) => !isRefusal(p));
  if (answered.length > 0)
    throw new CheckFailed(
      `answered with ${answered.map(describePacket).join(', ')}${closed ? '' : ' and kept the connection open'}`,
    );
  if (!closed) throw new CheckFailed(`kept the connection open for ${ctx.timeout} ms`);
}

function isRefusal(p: Packet): boolean {
  const code = (p as { reasonCode?: number }).reasonCode ?? 0;
  return (p.type === PacketType.Disconnect || p.type === PacketType.Connack) && code >= 0x80;
}

/** Clean Session 0 (3.1.1), or Clean Start 0 with a Session Expiry Interval (5.0). */
export function persistentOptions(
  ctx: CheckContext,
  clientId: string,
  expiry = 300,
): ConnectOptions {
  ctx.persistent(clientId);
  const properties = ctx.version === 5 ? { sessionExpiryInterval: expiry } : {};
  return { clientId, clean: false, properties };
}
