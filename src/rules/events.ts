// The `$events/...` sources: EMQX's client and session events with EMQX's field names, made
// from the broker's BrokerEvents slots. A slot is set only while a rule reads that event.
import type { Connection } from '../broker/connection.js';
import type { BrokerCore } from '../broker/core.js';
import type { BrokerEvents } from '../broker/hooks.js';
import type { Message } from '../broker/message.js';
import type { Session } from '../broker/session.js';
import type { ConnectPacket } from '../protocol/packets.js';
import { EVENTS } from '../sql/index.js';
import {
  emqxProperties,
  type Fields,
  flagsOf,
  messageId,
  payloadOf,
  reasonName,
} from './fields.js';

/** The events a rule may read, as `"$events/<name>"`: the SQL layer's list (it checks FROM). */
export const EVENT_NAMES = EVENTS;
export type EventName = string;

export const EVENT_PREFIX = '$events/';

export type EventSink = (event: EventName, fields: Fields) => void;

/** Sets the slots of the wanted events (each builds its record and calls `emit`), clears the rest. */
export function listen(core: BrokerCore, wanted: ReadonlySet<EventName>, emit: EventSink): void {
  const on = <K extends keyof BrokerEvents>(event: EventName, slot: K, f: BrokerEvents[K]) => {
    core.events[slot] = wanted.has(event) ? f : undefined;
  };
  const common = (event: EventName, fields: Fields) => {
    fields.timestamp = core.now();
    fields.node = core.options.nodeName;
    fields.event = event.replace('_', '.');
    emit(event, fields);
  };
  on('client_connected', 'clientConnected', (c, connect) =>
    common('client_connected', { ...clientFields(c, connect), connected_at: c.openedAt }),
  );
  on('client_disconnected', 'clientDisconnected', (c) =>
    common('client_disconnected', {
      ...clientFields(c),
      reason: disconnectReason(c),
      connected_at: c.openedAt,
      disconnected_at: core.now(),
    }),
  );
  on('client_connack', 'clientConnack', (c, code, connect) =>
    common('client_connack', { ...clientFields(c, connect), reason_code: reasonName(code) }),
  );
  on('client_check_authn_complete', 'clientCheckAuthnComplete', (c, username, result) =>
    common('client_check_authn_complete', {
      clientid: c.clientId,
      username: (result.ok ? result.username : undefined) ?? username,
      peername: peername(c),
      reason_code: result.ok ? 'success' : reasonName(result.reasonCode),
      is_anonymous: core.adapters.authenticator === undefined,
      is_superuser: false,
    }),
  );
  on('client_check_authz_complete', 'clientCheckAuthzComplete', (c, topic, action, allowed) =>
    common('client_check_authz_complete', {
      clientid: c.clientId,
      username: c.info?.username,
      peerhost: c.remoteAddress,
      topic,
      action,
      authz_source: core.adapters.authorizer === undefined ? 'default' : 'authorizer',
      result: allowed ? 'allow' : 'deny',
    }),
  );
  on('session_subscribed', 'sessionSubscribed', (c, sub, properties) =>
    common('session_subscribed', {
      ...who(c),
      topic: sub.topicFilter,
      qos: sub.qos,
      sub_props: emqxProperties(properties),
    }),
  );
  on('session_unsubscribed', 'sessionUnsubscribed', (c, topicFilter, properties) =>
    common('session_unsubscribed', {
      ...who(c),
      topic: topicFilter,
      unsub_props: emqxProperties(properties),
    }),
  );
  on('message_delivered', 'messageDelivered', (c, message, qos) =>
    common('message_delivered', { ...delivery(core, c.clientId, message), qos }),
  );
  on('message_acked', 'messageAcked', (session, message, qos) =>
    common('message_acked', { ...delivery(core, session.clientId, message), qos }),
  );
  on('message_dropped', 'messageDropped', (message, client, reason) =>
    common('message_dropped', {
      ...messageCore(message),
      reason,
      clientid: client?.clientId ?? message.origin ?? '',
      username: client?.username,
      peerhost: client?.remoteAddress,
    }),
  );
  on('delivery_dropped', 'deliveryDropped', (session: Session, message, reason) =>
    common('delivery_dropped', { ...delivery(core, session.clientId, message), reason }),
  );
}

function who(c: Connection): Fields {
  return { clientid: c.clientId, username: c.info?.username, peerhost: c.remoteAddress };
}

function peername(c: Connection): string {
  const port = c.transport.remotePort;
  return port === undefined ? c.remoteAddress : `${c.remoteAddress}:${port}`;
}

/** The fields of client_connected, client_connack and client_disconnected. */
function clientFields(c: Connection, connect?: ConnectPacket): Fields {
  const fields: Fields = {
    clientid: c.clientId,
    username: c.info?.username ?? connect?.username,
    peername: peername(c),
    proto_name: c.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    proto_ver: c.protocolVersion,
    keepalive: c.keepAlive,
    is_bridge: false,
    mountpoint: undefined,
  };
  if (connect !== undefined) {
    fields.clean_start = connect.clean;
    fields.keepalive = connect.keepAlive;
    fields.expiry_interval = c.session?.expiryInterval ?? 0;
    fields.conn_props = emqxProperties(connect.properties);
  }
  return fields;
}

/** EMQX's disconnect reasons, from why the connection ended. */
function disconnectReason(c: Connection): string {
  if (c.disconnectReason !== undefined) return 'normal';
  switch (c.closeReason) {
    case undefined:
      return 'tcp_closed';
    case 'session taken over':
      return 'takenover';
    case 'keep alive timeout':
      return 'keepalive_timeout';
    case 'disconnected by an administrator':
      return 'kicked';
    case 'server shutting down':
      return 'shutdown';
    default:
      return 'protocol_error';
  }
}

function messageCore(message: Message): Fields {
  return {
    id: messageId(message),
    payload: payloadOf(message),
    topic: message.topic,
    qos: message.qos,
    flags: flagsOf(message),
    pub_props: emqxProperties(message.properties),
    publish_received_at: undefined,
  };
}

/** message_delivered, message_acked, delivery_dropped: the receiver and the publisher. */
function delivery(core: BrokerCore, receiver: string, message: Message): Fields {
  const to = core.clients.get(receiver)?.info;
  const from = message.origin === undefined ? undefined : core.clients.get(message.origin)?.info;
  return {
    ...messageCore(message),
    from_clientid: message.origin ?? '',
    from_username: from?.username,
    clientid: receiver,
    username: to?.username,
    peerhost: to?.remoteAddress,
  };
}
