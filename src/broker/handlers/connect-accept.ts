// The accepting half of CONNECT: takeover, session choice, negotiated limits and CONNACK.
import { ReasonCode } from '../../protocol/constants.js';
import { MqttError } from '../../protocol/errors.js';
import { type ConnectPacket, NO_PROPERTIES, type Properties } from '../../protocol/packets.js';
import type { Connection } from '../connection.js';
import type { Message } from '../message.js';
import type { AuthResult, ClientInfo } from '../ports.js';
import type { Session } from '../session.js';
import { TopicAliases } from '../topic-alias.js';

/** Shared by every client without attributes; never mutated. */
const NO_ATTRIBUTES: Record<string, unknown> = Object.freeze({});

type Accepted = Extract<AuthResult, { ok: true }>;

export function completeConnect(
  connection: Connection,
  packet: ConnectPacket,
  result: Accepted,
  extra?: Properties,
): Promise<void> | undefined {
  const info: ClientInfo = {
    clientId: connection.clientId,
    username: result.username ?? packet.username,
    remoteAddress: connection.remoteAddress,
    protocolVersion: packet.protocolVersion,
    attributes: result.attributes ?? NO_ATTRIBUTES,
  };
  connection.info = info;
  const will = packet.will ? willMessage(connection, packet) : undefined;
  const authorizer = connection.core.adapters.authorizer;
  if (will === undefined || authorizer === undefined)
    return accept(connection, packet, will, extra);
  // Will messages are authorized like any PUBLISH, at CONNECT time.
  const verdict = authorizer.authorizePublish(info, will.topic, will);
  if (verdict instanceof Promise)
    return verdict.then((ok) => acceptIfAllowed(connection, packet, will, ok, extra));
  return acceptIfAllowed(connection, packet, will, verdict, extra);
}

function acceptIfAllowed(
  connection: Connection,
  packet: ConnectPacket,
  will: Message,
  allowed: boolean,
  extra?: Properties,
): Promise<void> | undefined {
  if (!allowed) {
    connection.core.stats.aclDenials++;
    // The authorizer logs the denial with its rule; this line is for debugging only.
    connection.core.log.debug(
      { clientId: connection.clientId, topic: will.topic },
      'will topic not authorized',
    );
    throw new MqttError(ReasonCode.NotAuthorized, 'will topic not authorized');
  }
  return accept(connection, packet, will, extra);
}

function accept(
  connection: Connection,
  packet: ConnectPacket,
  will: Message | undefined,
  extra?: Properties,
): Promise<void> | undefined {
  if (connection.state !== 'authenticating') return undefined;
  const { options, cluster } = connection.core;
  if (packet.protocolVersion !== 5 && packet.keepAlive > options.maxKeepAlive) {
    // 3.1.1 has no Server Keep Alive: refuse, as Mosquitto does.
    throw new MqttError(ReasonCode.ClientIdentifierNotValid, 'keep alive above the server maximum');
  }
  if (cluster === undefined) return admit(connection, packet, will, extra);
  // [MQTT-3.1.4-3] one connection per client id in the whole cluster: claim it first, and
  // take the session over from the node that held it. The will goes to the cluster too, so
  // that another node sends it if this one dies.
  const { bus } = cluster;
  const id = connection.clientId;
  const keeping =
    will === undefined
      ? bus.dropWill(id)
      : bus.keepWill(
          id,
          will,
          Math.min(
            packet.will!.properties.willDelayInterval ?? 0,
            requestedExpiry(connection, packet),
          ),
        );
  // Adopted as soon as it arrives (it catches up on redeliveries it missed: redelivered.ts).
  const claimed = bus.claim(id, !packet.clean).then((claim) => {
    if (claim.session !== undefined) cluster.adopt(claim.session, claim.from!);
    return claim;
  });
  return Promise.all([claimed, keeping]).then(
    ([claim]) => {
      admit(connection, packet, will, extra);
      // A CONNECT on another node came later and won: as if it had come after this one.
      if (claim.lost() && connection.state === 'connected')
        connection.core.disconnect(connection, ReasonCode.SessionTakenOver);
    },
    (err) => {
      connection.core.log.warn({ clientId: connection.clientId, err }, 'cluster claim failed');
      throw new MqttError(ReasonCode.ServerUnavailable, 'cluster unavailable');
    },
  );
}

/** The Session Expiry Interval the session will get (negotiate() decides the same way). */
function requestedExpiry(connection: Connection, packet: ConnectPacket): number {
  const { options } = connection.core;
  if (packet.protocolVersion !== 5) return packet.clean ? 0 : options.persistentSessionExpiry;
  return Math.min(packet.properties.sessionExpiryInterval ?? 0, options.maxSessionExpiryInterval);
}

function admit(
  connection: Connection,
  packet: ConnectPacket,
  will: Message | undefined,
  extra?: Properties,
): undefined {
  if (connection.state !== 'authenticating') return undefined;
  const core = connection.core;
  takeOver(connection);
  const { session, present } = chooseSession(connection, packet);
  const negotiated = negotiate(connection, packet, session, extra);
  if (will !== undefined)
    connection.will = { message: will, delay: packet.will!.properties.willDelayInterval ?? 0 };
  connection.session = session;
  connection.sendEncoded(core.connacks.encode(packet.protocolVersion, present, negotiated));
  connection.state = 'connected';
  core.clients.set(connection.clientId, connection);
  core.wills.cancel(connection.clientId);
  core.stats.connectionsTotal++;
  core.persistSession(session);
  session.attach(connection);
  core.logConnection(connection, 'client connected', {
    clean: packet.clean,
    sessionPresent: present,
    keepAlive: connection.keepAlive,
  });
  core.hooks.onClientConnected?.(connection.info!);
  core.sysEvents?.connected(connection.info!);
  const { clientConnack, clientConnected } = core.events;
  if (clientConnack !== undefined) clientConnack(connection, ReasonCode.Success, packet);
  if (clientConnected !== undefined) clientConnected(connection, packet);
  return undefined;
}

/** [MQTT-3.1.4-3] an existing connection with the same client id is closed (0x8E in 5.0). */
function takeOver(connection: Connection): void {
  const core = connection.core;
  const existing = core.clients.get(connection.clientId);
  if (existing === undefined || existing === connection) return;
  core.log.info({ clientId: connection.clientId }, 'session taken over');
  core.disconnect(existing, ReasonCode.SessionTakenOver);
}

/** [MQTT-3.1.2-4] .. [MQTT-3.1.2-6]: Clean Start discards, otherwise the session resumes. */
function chooseSession(
  connection: Connection,
  packet: ConnectPacket,
): { session: Session; present: boolean } {
  const core = connection.core;
  const existing = core.sessions.get(connection.clientId);
  if (existing !== undefined && !packet.clean) return { session: existing, present: true };
  if (existing !== undefined) core.endSession(existing);
  return { session: core.newSession(connection.clientId), present: false };
}

/** Applies the client's requests; returns the CONNACK properties of this connection alone. */
function negotiate(
  connection: Connection,
  packet: ConnectPacket,
  session: Session,
  extra: Properties | undefined,
): Properties {
  const { options } = connection.core;
  const requested = packet.properties;
  session.protocolVersion = packet.protocolVersion;
  connection.keepAlive = packet.keepAlive;
  // 3.1 / 3.1.1 CONNACKs carry no properties: nothing to build for them.
  if (packet.protocolVersion !== 5) {
    session.expiryInterval = packet.clean ? 0 : options.persistentSessionExpiry;
    return NO_PROPERTIES;
  }
  const props: Properties = { ...extra };
  let expiry = requested.sessionExpiryInterval ?? 0;
  if (expiry > options.maxSessionExpiryInterval)
    expiry = props.sessionExpiryInterval = options.maxSessionExpiryInterval;
  session.expiryInterval = expiry;
  // [MQTT-3.1.2-21] the client must use the Server Keep Alive we send.
  if (
    packet.keepAlive > options.maxKeepAlive ||
    (packet.keepAlive === 0 && options.maxKeepAlive < 65535)
  ) {
    connection.keepAlive = props.serverKeepAlive = options.maxKeepAlive;
  }
  if (packet.clientId === '') props.assignedClientIdentifier = connection.clientId;
  // [MQTT-3.3.4-9] never more unacknowledged QoS 1/2 PUBLISHes than the client's Receive Maximum.
  // Our own in-flight bound applies too: each message in flight is memory held for the client.
  connection.sendQuota = Math.min(requested.receiveMaximum ?? 65535, options.maxInflightMessages);
  if (requested.maximumPacketSize !== undefined)
    connection.clientMaximumPacketSize = requested.maximumPacketSize;
  connection.aliases = new TopicAliases(
    options.topicAliasMaximum,
    requested.topicAliasMaximum ?? 0,
  );
  return props;
}

function willMessage(connection: Connection, packet: ConnectPacket): Message {
  const will = packet.will!;
  // Will Delay Interval is for us, not for the subscribers.
  const { willDelayInterval: _delay, ...properties } = will.properties;
  return {
    topic: will.topic,
    payload: Buffer.from(will.payload),
    qos: will.qos,
    retain: will.retain,
    properties,
    origin: connection.clientId,
  };
}
