// PUBLISH from a client (MQTT 5.0 section 3.3): checks, authorization, routing, acknowledgement.
import { PacketType, ReasonCode } from '../../protocol/constants.js';
import { MqttError, protocolError } from '../../protocol/errors.js';
import { NO_PROPERTIES, type PublishPacket } from '../../protocol/packets.js';
import { validateTopicName } from '../../topic/index.js';
import { qos2Id } from '../qos2-seen.js';
import type { Connection } from '../connection.js';
import { authzComplete } from '../hooks.js';
import type { Message } from '../message.js';

export function handlePublish(
  connection: Connection,
  packet: PublishPacket,
): Promise<void> | undefined {
  const core = connection.core;
  const { options } = core;
  if (connection.throttle !== undefined)
    connection.pauseFor(connection.throttle.onPublish(core.now()));
  // [MQTT-3.2.2-11] [MQTT-3.2.2-14] beyond our Maximum QoS or Retain Available: disconnect.
  if (packet.qos > options.maximumQoS)
    throw new MqttError(ReasonCode.QoSNotSupported, 'QoS not supported', 'MQTT-3.2.2-11');
  if (packet.retain && !options.retainAvailable)
    throw new MqttError(ReasonCode.RetainNotSupported, 'retain not supported', 'MQTT-3.2.2-14');
  // [MQTT-3.3.4-6] a Subscription Identifier is for the server to send, never to receive.
  if (packet.properties.subscriptionIdentifiers !== undefined)
    throw protocolError('Subscription Identifier in a PUBLISH from a client', 'MQTT-3.3.4-6');
  const topic = connection.aliases
    ? connection.aliases.resolve(packet.topic, packet.properties.topicAlias)
    : packet.topic;
  if (topic === '') throw protocolError('empty topic name', 'MQTT-4.7.3-1');
  const invalid = validateTopicName(topic, {
    maxLength: options.maxTopicLength,
    maxLevels: options.maxTopicLevels,
  });
  if (invalid !== undefined) throw invalid;
  if (packet.qos === 2 && !acceptQos2(connection, packet.packetId!)) return undefined;
  const message = toMessage(connection, packet, topic);
  const authorizer = core.adapters.authorizer;
  // Clients may not publish into the broker's own $SYS tree.
  if (topic.startsWith('$SYS')) return reject(connection, packet);
  if (authorizer === undefined) return authorized(connection, packet, message, true);
  const verdict = authorizer.authorizePublish(connection.info!, topic, message);
  if (typeof verdict === 'boolean') return authorized(connection, packet, message, verdict);
  return verdict.then((ok) => authorized(connection, packet, message, ok));
}

function authorized(
  connection: Connection,
  packet: PublishPacket,
  message: Message,
  ok: boolean,
): undefined {
  authzComplete(connection, message.topic, 'publish', ok);
  return ok ? route(connection, packet, message) : reject(connection, packet);
}

/** Duplicate QoS 2 PUBLISH: answer PUBREC again, deliver nothing [MQTT-4.3.3-9]. */
function acceptQos2(connection: Connection, packetId: number): boolean {
  const session = connection.session!;
  if (session.incomingQos2.has(packetId)) {
    acknowledge(connection, PacketType.Pubrec, packetId, ReasonCode.Success);
    return false;
  }
  // [MQTT-3.3.4-8] more unacknowledged QoS 2 PUBLISHes than our Receive Maximum.
  if (
    connection.protocolVersion === 5 &&
    session.incomingQos2.size >= connection.core.options.receiveMaximum
  ) {
    throw new MqttError(
      ReasonCode.ReceiveMaximumExceeded,
      'Receive Maximum exceeded',
      'MQTT-3.3.4-8',
    );
  }
  return true;
}

function toMessage(connection: Connection, packet: PublishPacket, topic: string): Message {
  const interval = packet.properties.messageExpiryInterval;
  return {
    topic,
    payload: packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    properties: packet.properties,
    expiresAt: interval === undefined ? undefined : connection.core.now() + interval * 1000,
    origin: connection.clientId,
  };
}

function route(connection: Connection, packet: PublishPacket, message: Message): undefined {
  const core = connection.core;
  // A new retained topic beyond maxRetainedMessages: 0x97 tells a 5.0 publisher; 3.1.1 has no
  // way to hear it, so its message still goes out, only not retained.
  if (message.retain && message.payload.length > 0 && !core.retained.accepts(message.topic)) {
    if (connection.protocolVersion === 5)
      return refuse(connection, packet, ReasonCode.QuotaExceeded);
  }
  // In a cluster, a QoS 2 resend may reach another node than the first copy did: both get
  // the same id there, so that the nodes that routed the first drop the second.
  const session = connection.session!;
  if (packet.qos === 2 && core.cluster !== undefined && session.persistent) {
    const resend = packet.dup || session.recent?.mayBeResend(packet.packetId!, core.now()) === true;
    message.id = qos2Id(message, packet.packetId!, resend);
  }
  const writesBefore = core.storeWrites;
  const delivered = core.publish(message, connection.info);
  // [MQTT-3.3.4-1] acknowledge per QoS; 0x10 tells a 5.0 publisher nobody was listening.
  // In a cluster, subscribers on other nodes are not counted here: never claim there are none.
  const reason =
    delivered === 0 && core.cluster === undefined
      ? ReasonCode.NoMatchingSubscribers
      : ReasonCode.Success;
  if (packet.qos === 1)
    acknowledge(connection, PacketType.Puback, packet.packetId!, reason, writesBefore);
  else if (packet.qos === 2) {
    const packetId = packet.packetId!;
    session.incomingQos2.add(packetId);
    // [MQTT-4.3.3-9] remembered across restarts too, so a resent PUBLISH is not delivered twice.
    const remember = session.persistent
      ? () => core.sessionStore.saveIncomingQos2(connection.clientId, packetId)
      : undefined;
    // In a cluster, stored only once every node holding a matching persistent session has
    // confirmed the message: stored before, the id makes the resend of a publisher whose node
    // died first (before it could redeliver) look routed, and the message is lost. The PUBREC
    // then waits for the id too: else a node dying right after it leaves the publisher's
    // PUBREL unknown where the session resumes (PUBCOMP 0x92, an error to MQTT.js). Alone,
    // the id is stored with the message and the PUBREC waits for both.
    if (core.cluster === undefined) remember?.();
    const lastWrite = core.cluster === undefined ? undefined : remember;
    acknowledge(connection, PacketType.Pubrec, packetId, reason, writesBefore, lastWrite);
  }
  return undefined;
}

/** Not authorized: 0x87 in 5.0; 3.1.1 acknowledges normally and drops [MQTT-3.3.5-2]. */
function reject(connection: Connection, packet: PublishPacket): undefined {
  const core = connection.core;
  core.stats.aclDenials++;
  // The authorizer logs the denial with its rule (once); this line is for debugging only.
  core.log.debug({ clientId: connection.clientId, topic: packet.topic }, 'publish not authorized');
  return refuse(connection, packet, ReasonCode.NotAuthorized);
}

/** Drops the message; 5.0 is told why, 3.1.1 is acknowledged normally [MQTT-3.3.5-2]. */
function refuse(connection: Connection, packet: PublishPacket, reasonCode: number): undefined {
  const reason = connection.protocolVersion === 5 ? reasonCode : ReasonCode.Success;
  if (packet.qos === 1) acknowledge(connection, PacketType.Puback, packet.packetId!, reason);
  else if (packet.qos === 2) acknowledge(connection, PacketType.Pubrec, packet.packetId!, reason);
  return undefined;
}

function acknowledge(
  connection: Connection,
  type: typeof PacketType.Puback | typeof PacketType.Pubrec,
  packetId: number,
  reasonCode: number,
  writesBefore = connection.core.storeWrites,
  lastWrite?: () => void,
): void {
  const packet = { type, packetId, reasonCode, properties: NO_PROPERTIES };
  connection.core.acknowledge(connection, packet, writesBefore, lastWrite);
}
