// Client → broker: one handler per MQTT-SN message of a known client (MQTT-SN section 6),
// translated to MQTT 5.0 on the client's connection. MsgIds are Packet Identifiers unchanged.
import { PacketType } from '../protocol/constants.js';
import { NO_PROPERTIES } from '../protocol/packets.js';
import { validateTopicFilter, validateTopicName } from '../topic/index.js';
import {
  SnMsgType as M,
  type SnPacket,
  type SnPacketOf,
  SnReturnCode,
  shortTopicId,
  TopicIdType,
} from '../mqttsn/index.js';
import type { SnClient } from './client.js';
import { isShortName, resolveTopic } from './topics.js';

/** Handles a message of a connected (active, asleep or awake) client. */
export function fromClient(client: SnClient, packet: SnPacket) {
  switch (packet.type) {
    case M.Register:
      return onRegister(client, packet);
    case M.Regack:
      return client.outbox.registered(packet.msgId, packet.topicId, packet.returnCode);
    case M.Publish:
      return onPublish(client, packet);
    case M.Puback:
      // 6.10: the client lost that registration; the next message on the topic registers again.
      if (packet.returnCode === SnReturnCode.InvalidTopicId) client.registry.forget(packet.topicId);
      client.outbox.unacked.acknowledged(packet.msgId);
      return ack(client, PacketType.Puback, packet.msgId);
    case M.Pubrec:
      client.outbox.unacked.acknowledged(packet.msgId);
      return ack(client, PacketType.Pubrec, packet.msgId);
    case M.Pubrel:
      return ack(client, PacketType.Pubrel, packet.msgId);
    case M.Pubcomp:
      client.outbox.unacked.acknowledged(packet.msgId);
      return ack(client, PacketType.Pubcomp, packet.msgId);
    case M.Subscribe:
      return onSubscribe(client, packet);
    case M.Unsubscribe:
      return onUnsubscribe(client, packet);
    case M.Pingreq:
      return onPingreq(client, packet);
    case M.Disconnect:
      // 6.14: a Duration means asleep; without one the client leaves for good (6.12).
      return packet.duration === undefined ? client.disconnect() : client.sleep(packet.duration);
    case M.WillTopicUpd:
      return onWillTopicUpdate(client, packet);
    case M.WillMsgUpd:
      return onWillMessageUpdate(client, packet);
    default:
      client.gateway.drop('unexpected');
  }
}

function ack(client: SnClient, type: 4 | 5 | 6 | 7, packetId: number) {
  if (packetId === 0) return client.gateway.drop('malformed');
  client.toBroker({ type, packetId, reasonCode: 0, properties: NO_PROPERTIES });
}

/** 6.5: a topic name (no wildcards) gets a topic id for this client. */
function onRegister(client: SnClient, p: SnPacketOf<typeof M.Register>) {
  const reply = (topicId: number, returnCode: SnReturnCode) =>
    client.send({ type: M.Regack, topicId, msgId: p.msgId, returnCode });
  if (validateTopicName(p.topicName) !== undefined) return reply(0, SnReturnCode.NotSupported);
  const topicId = client.registry.register(p.topicName);
  if (topicId === undefined) return reply(0, SnReturnCode.Congestion);
  reply(topicId, SnReturnCode.Accepted);
}

/** 6.7: QoS 0/1/2 PUBLISH of a connected client; QoS −1 goes the connectionless way (6.8). */
function onPublish(client: SnClient, p: SnPacketOf<typeof M.Publish>) {
  const gateway = client.gateway;
  if (p.qos === -1) return gateway.publishConnectionless(p);
  const topic = resolveTopic(
    client.registry,
    (id) => gateway.predefined.nameOf(id),
    p.topicIdType,
    p.topicId,
  );
  const reply = (returnCode: SnReturnCode) =>
    client.send({ type: M.Puback, topicId: p.topicId, msgId: p.msgId, returnCode });
  if (topic === undefined || validateTopicName(topic) !== undefined) {
    gateway.drop('invalidTopic');
    return reply(SnReturnCode.InvalidTopicId);
  }
  if (p.qos > 0) {
    if (p.msgId === 0) return gateway.drop('malformed');
    if (!client.inflight.has(p.msgId) && client.inflight.size >= client.inflightLimit)
      return reply(SnReturnCode.Congestion);
    client.inflight.set(p.msgId, p.topicId);
  }
  client.toBroker({
    type: PacketType.Publish,
    topic,
    payload: p.data,
    qos: p.qos,
    retain: p.retain,
    dup: p.dup,
    packetId: p.qos === 0 ? undefined : p.msgId,
    properties: NO_PROPERTIES,
  });
}

/** The filter a SUBSCRIBE/UNSUBSCRIBE names, and the TopicId its SUBACK reports (6.9). */
function filterOf(
  client: SnClient,
  p: SnPacketOf<typeof M.Subscribe | typeof M.Unsubscribe>,
  register: boolean,
): { filter: string; topicId: number } | SnReturnCode {
  if (p.topicIdType === TopicIdType.Predefined) {
    const name = client.gateway.predefined.nameOf(p.topic as number);
    return name === undefined
      ? SnReturnCode.InvalidTopicId
      : { filter: name, topicId: p.topic as number };
  }
  const filter = p.topic as string;
  if (p.topicIdType === TopicIdType.Short) {
    if (!isShortName(filter)) return SnReturnCode.InvalidTopicId;
    return { filter, topicId: shortTopicId(filter) };
  }
  if (validateTopicFilter(filter) !== undefined) return SnReturnCode.NotSupported;
  // A name without wildcards gets its topic id now; with wildcards, REGISTER comes per topic.
  if (!register || filter.includes('+') || filter.includes('#')) return { filter, topicId: 0 };
  const topicId = client.registry.register(filter);
  return topicId === undefined ? SnReturnCode.Congestion : { filter, topicId };
}

function onSubscribe(client: SnClient, p: SnPacketOf<typeof M.Subscribe>) {
  if (p.msgId === 0) return client.gateway.drop('malformed');
  const refuse = (returnCode: SnReturnCode) =>
    client.send({ type: M.Suback, qos: 0, topicId: 0, msgId: p.msgId, returnCode });
  if (p.qos === -1) return refuse(SnReturnCode.NotSupported);
  if (client.subscribing.size >= client.inflightLimit) return refuse(SnReturnCode.Congestion);
  const target = filterOf(client, p, true);
  if (typeof target === 'number') return refuse(target);
  client.subscribing.set(p.msgId, target.topicId);
  client.toBroker({
    type: PacketType.Subscribe,
    packetId: p.msgId,
    subscriptions: [
      {
        topicFilter: target.filter,
        qos: p.qos,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      },
    ],
    properties: NO_PROPERTIES,
  });
}

function onUnsubscribe(client: SnClient, p: SnPacketOf<typeof M.Unsubscribe>) {
  if (p.msgId === 0) return client.gateway.drop('malformed');
  const target = filterOf(client, p, false);
  // MQTT-SN's UNSUBACK has no ReturnCode: a filter that names nothing is unsubscribed anyway.
  if (typeof target === 'number') return client.send({ type: M.Unsuback, msgId: p.msgId });
  client.toBroker({
    type: PacketType.Unsubscribe,
    packetId: p.msgId,
    topicFilters: [target.filter],
    properties: NO_PROPERTIES,
  });
}

/** 6.11 keep-alive; with a client id from a sleeping client, 6.14's wake-up. */
function onPingreq(client: SnClient, p: SnPacketOf<typeof M.Pingreq>) {
  if (p.clientId !== undefined && p.clientId !== client.clientId)
    return client.gateway.drop('spoofed');
  if (p.clientId !== undefined && client.state === 'asleep') return client.wake();
  client.send({ type: M.Pingresp });
}

/** 6.4: a new will topic (empty: no will any more). */
function onWillTopicUpdate(client: SnClient, p: SnPacketOf<typeof M.WillTopicUpd>) {
  const reply = (returnCode: SnReturnCode) => client.send({ type: M.WillTopicResp, returnCode });
  if (p.willTopic === '') {
    client.will = undefined;
    return reply(SnReturnCode.Accepted);
  }
  if (validateTopicName(p.willTopic) !== undefined) return reply(SnReturnCode.NotSupported);
  const payload = client.will?.payload ?? Buffer.alloc(0);
  client.will = { topic: p.willTopic, payload, qos: p.qos, retain: p.retain };
  reply(SnReturnCode.Accepted);
}

/** 6.4: a new will message, for the will topic in force. */
function onWillMessageUpdate(client: SnClient, p: SnPacketOf<typeof M.WillMsgUpd>) {
  const reply = (returnCode: SnReturnCode) => client.send({ type: M.WillMsgResp, returnCode });
  if (client.will === undefined) return reply(SnReturnCode.NotSupported);
  client.will.payload = Buffer.from(p.willMessage);
  reply(SnReturnCode.Accepted);
}
