// CONNECT (MQTT 5.0 section 3.1, 3.1.1 section 3.1): protocol checks, authentication, session
// takeover and CONNACK.
import { randomBytes } from 'node:crypto';
import { ReasonCode } from '../../protocol/constants.js';
import { MqttError, protocolError } from '../../protocol/errors.js';
import type { ConnectPacket, Properties } from '../../protocol/packets.js';
import { validateTopicName } from '../../topic/index.js';
import type { Connection } from '../connection.js';
import type { AuthResult, ConnectRequest } from '../ports.js';
import { startEnhancedAuth } from './auth.js';
import { completeConnect } from './connect-accept.js';

export function handleConnect(
  connection: Connection,
  packet: ConnectPacket,
): Promise<void> | undefined {
  // [MQTT-3.1.0-2] a second CONNECT is a Protocol Error.
  if (connection.state !== 'awaiting-connect')
    throw protocolError('second CONNECT', 'MQTT-3.1.0-2');
  connection.protocolVersion = packet.protocolVersion;
  // Known before any refusal, so a refusing CONNACK fits it too [MQTT-3.2.2-19].
  if (packet.properties.maximumPacketSize !== undefined)
    connection.clientMaximumPacketSize = packet.properties.maximumPacketSize;
  connection.clientId = checkClientId(connection, packet);
  const core = connection.core;
  const refusal = core.admission.refusal(
    connection.clientId,
    connection.remoteAddress,
    core.clients.size,
    core.now(),
  );
  if (refusal !== undefined) throw new MqttError(refusal, 'connection refused by a server limit');
  checkWill(connection, packet);
  if (
    connection.core.banned.isBanned(connection.clientId, packet.username, connection.remoteAddress)
  )
    throw new MqttError(ReasonCode.Banned, 'banned');
  connection.state = 'authenticating';
  if (packet.properties.authenticationMethod !== undefined) {
    return startEnhancedAuth(connection, packet, connectRequest(connection, packet));
  }
  const identity = certificateIdentity(connection);
  if (identity !== undefined)
    return finishAuthentication(connection, packet, { ok: true, username: identity });
  const authenticator = connection.core.adapters.authenticator;
  if (authenticator === undefined) return finishAuthentication(connection, packet, { ok: true });
  const result = authenticator.authenticate(connectRequest(connection, packet));
  if (!(result instanceof Promise)) return finishAuthentication(connection, packet, result);
  return result.then((r) => finishAuthentication(connection, packet, r));
}

function connectRequest(connection: Connection, packet: ConnectPacket): ConnectRequest {
  return {
    clientId: connection.clientId,
    username: packet.username,
    password: packet.password,
    protocolVersion: packet.protocolVersion,
    remoteAddress: connection.remoteAddress,
    certificate: connection.transport.certificate,
    transport: connection.transport.transport,
  };
}

export function finishAuthentication(
  connection: Connection,
  packet: ConnectPacket,
  result: AuthResult,
  extra?: Properties,
): Promise<void> | undefined {
  if (connection.state !== 'authenticating') return undefined;
  const listener = connection.core.events.clientCheckAuthnComplete;
  if (listener !== undefined) listener(connection, packet.username, result);
  if (!result.ok) {
    connection.core.stats.authFailures++;
    connection.core.log.info(
      {
        clientId: connection.clientId,
        remoteAddress: connection.remoteAddress,
        username: packet.username,
        reasonCode: result.reasonCode,
        reason: result.reasonString ?? 'not authorized',
      },
      'authentication failed',
    );
    throw new MqttError(result.reasonCode, result.reasonString ?? 'not authorized', 'MQTT-3.1.4-2');
  }
  return completeConnect(connection, packet, result, extra);
}

/** The verified certificate's name to use as user name, when configured and present. */
function certificateIdentity(connection: Connection): string | undefined {
  const mode = connection.core.options.useIdentityAsUsername;
  const certificate = connection.transport.certificate;
  if (mode === 'none' || certificate === undefined) return undefined;
  return mode === 'cn' ? certificate.commonName : certificate.subjectAltNames[0];
}

/** Client identifier rules [MQTT-3.1.3-3] .. [MQTT-3.1.3-9]; returns the id to use. */
function checkClientId(connection: Connection, packet: ConnectPacket): string {
  const { clientId, protocolVersion } = packet;
  if (clientId.length > connection.core.options.maxClientIdLength) {
    throw new MqttError(
      ReasonCode.ClientIdentifierNotValid,
      'client identifier too long',
      'MQTT-3.1.3-5',
    );
  }
  if (clientId !== '') return clientId;
  // 3.1 requires an identifier; 3.1.1 allows none only with Clean Session [MQTT-3.1.3-7] [MQTT-3.1.3-8].
  if (protocolVersion === 3 || (protocolVersion === 4 && !packet.clean)) {
    throw new MqttError(
      ReasonCode.ClientIdentifierNotValid,
      'empty client identifier needs Clean Session',
      'MQTT-3.1.3-8',
    );
  }
  // [MQTT-3.1.3-6] assign a unique identifier.
  return `culex-${randomBytes(9).toString('base64url')}`;
}

function checkWill(connection: Connection, packet: ConnectPacket): void {
  const will = packet.will;
  if (will === undefined) return;
  const { options } = connection.core;
  const invalid = validateTopicName(will.topic, {
    maxLength: options.maxTopicLength,
    maxLevels: options.maxTopicLevels,
  });
  if (invalid !== undefined) throw invalid;
  // [MQTT-3.2.2-12] [MQTT-3.2.2-13] a will beyond our Maximum QoS or Retain Available is refused.
  if (will.qos > options.maximumQoS)
    throw new MqttError(ReasonCode.QoSNotSupported, 'will QoS not supported', 'MQTT-3.2.2-12');
  if (will.retain && !options.retainAvailable)
    throw new MqttError(ReasonCode.RetainNotSupported, 'retain not supported', 'MQTT-3.2.2-13');
}
