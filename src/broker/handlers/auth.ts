// Enhanced authentication (MQTT 5.0 section 4.12): CONNECT with an Authentication Method,
// then AUTH packets both ways until the authenticator decides; also re-authentication.
import { PacketType, ReasonCode } from '../../protocol/constants.js';
import { MqttError, protocolError } from '../../protocol/errors.js';
import type { AuthPacket, ConnectPacket } from '../../protocol/packets.js';
import type { Connection } from '../connection.js';
import type { AuthStep, ConnectRequest, EnhancedAuthenticator } from '../ports.js';
import { finishAuthentication } from './connect.js';

interface Exchange {
  authenticator: EnhancedAuthenticator;
  connect: ConnectPacket | undefined;
  state: Map<string, unknown>;
}

const exchanges = new WeakMap<Connection, Exchange>();

function findAuthenticator(connection: Connection, method: string): EnhancedAuthenticator {
  const found = connection.core.adapters.enhancedAuthenticators?.find((a) => a.method === method);
  // [MQTT-4.12.0-?] an unsupported method is refused with 0x8C.
  if (found === undefined)
    throw new MqttError(
      ReasonCode.BadAuthenticationMethod,
      `authentication method ${method} not supported`,
    );
  return found;
}

export function startEnhancedAuth(
  connection: Connection,
  packet: ConnectPacket,
  request: ConnectRequest,
): Promise<void> {
  const method = packet.properties.authenticationMethod!;
  const authenticator = findAuthenticator(connection, method);
  const exchange: Exchange = { authenticator, connect: packet, state: new Map() };
  exchanges.set(connection, exchange);
  return authenticator
    .start(request, packet.properties.authenticationData, exchange.state)
    .then((step) => proceed(connection, exchange, step));
}

export function handleAuth(connection: Connection, packet: AuthPacket): Promise<void> {
  const exchange = exchanges.get(connection);
  const method = packet.properties.authenticationMethod;
  if (connection.state === 'connected' && packet.reasonCode === ReasonCode.ReAuthenticate) {
    // [MQTT-4.12.1-1] re-authentication keeps the method used at CONNECT.
    if (exchange === undefined || method !== exchange.authenticator.method)
      throw protocolError('re-authentication with another method', 'MQTT-4.12.1-1');
    exchange.connect = undefined;
    exchange.state = new Map();
    const request = {
      clientId: connection.clientId,
      username: connection.info?.username,
      protocolVersion: connection.protocolVersion,
      remoteAddress: connection.remoteAddress,
    };
    return exchange.authenticator
      .start(request, packet.properties.authenticationData, exchange.state)
      .then((step) => proceed(connection, exchange, step));
  }
  if (exchange === undefined || packet.reasonCode !== ReasonCode.ContinueAuthentication)
    throw protocolError('unexpected AUTH', 'MQTT-4.12.0-2');
  if (method !== exchange.authenticator.method)
    throw protocolError('AUTH with another method', 'MQTT-4.12.0-5');
  return exchange.authenticator
    .continue(packet.properties.authenticationData, exchange.state)
    .then((step) => proceed(connection, exchange, step));
}

function proceed(
  connection: Connection,
  exchange: Exchange,
  step: AuthStep,
): Promise<void> | undefined {
  const authenticationMethod = exchange.authenticator.method;
  if (!step.done) {
    connection.send({
      type: PacketType.Auth,
      reasonCode: ReasonCode.ContinueAuthentication,
      properties: { authenticationMethod, authenticationData: step.data },
    });
    return undefined;
  }
  const props = { authenticationMethod, authenticationData: step.data };
  if (exchange.connect !== undefined) {
    const connect = exchange.connect;
    exchange.connect = undefined;
    return finishAuthentication(connection, connect, step.result, props);
  }
  if (!step.result.ok)
    throw new MqttError(
      step.result.reasonCode,
      step.result.reasonString ?? 're-authentication failed',
    );
  connection.send({ type: PacketType.Auth, reasonCode: ReasonCode.Success, properties: props });
  return undefined;
}
