// UNSUBSCRIBE (MQTT 5.0 section 3.10).
import { PacketType, ReasonCode } from '../../protocol/constants.js';
import { NO_PROPERTIES, type UnsubscribePacket } from '../../protocol/packets.js';
import type { Connection } from '../connection.js';
import { shareOf } from '../core.js';

export function handleUnsubscribe(connection: Connection, packet: UnsubscribePacket): undefined {
  const core = connection.core;
  const session = connection.session!;
  const reasonCodes = packet.topicFilters.map((topicFilter) => {
    const record = session.subscriptions.get(topicFilter);
    if (record === undefined) return ReasonCode.NoSubscriptionExisted;
    session.subscriptions.delete(topicFilter);
    const share = shareOf(record);
    core.router.unsubscribe(session, share ? share.filter : topicFilter, share);
    const unsubscribed = core.events.sessionUnsubscribed;
    if (unsubscribed !== undefined) unsubscribed(connection, topicFilter, packet.properties);
    return ReasonCode.Success;
  });
  // [MQTT-3.10.4-4] UNSUBACK even when nothing matched; [MQTT-3.10.4-5] one code per filter.
  connection.send({
    type: PacketType.Unsuback,
    packetId: packet.packetId,
    reasonCodes,
    properties: NO_PROPERTIES,
  });
  core.persistSession(session);
  const filters = packet.topicFilters;
  core.log.debug({ clientId: connection.clientId, filters, reasonCodes }, 'unsubscribe');
  return undefined;
}
