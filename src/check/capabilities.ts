// The capability probe: one 5.0 CONNECT asking for a session that never expires reads what
// the broker announces in its CONNACK (3.2.2.3); a 3.1.1 CONNECT tells whether 3.1.1 works.
// The probe's session is ended straight after.
import { PacketType, type Properties, toConnectReturnCode } from '../protocol/index.js';
import { CheckConnection, describePacket, hex } from './connection.js';
import type { RateLimit } from './rate.js';
import type { Capabilities, CheckVersion } from './types.js';
import type { Target } from './wire.js';

const NEVER_EXPIRES = 0xffffffff;

export interface ProbeSettings {
  target: Target;
  rate: RateLimit;
  timeout: number;
  clientId: string;
}

/** The CONNACK for a CONNECT at `version`, or why there was none. */
async function connack(settings: ProbeSettings, version: CheckVersion, properties: Properties) {
  const { target, rate, timeout, clientId } = settings;
  const connection = await CheckConnection.open(target, version, rate, timeout);
  try {
    await connection.send({
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: version,
      clean: true,
      keepAlive: 60,
      clientId,
      username: target.username,
      password: target.password === undefined ? undefined : Buffer.from(target.password),
      properties,
    });
    const packet = await connection.expect(PacketType.Connack, timeout);
    if (packet.reasonCode === 0) await connection.disconnect();
    return { packet, legacy: connection.legacyConnack };
  } finally {
    connection.destroy();
  }
}

/** Probes the broker; throws when it accepts neither 3.1.1 nor 5.0 (down, or refusing us). */
export async function probeCapabilities(settings: ProbeSettings): Promise<Capabilities> {
  const v4 = await connack(settings, 4, {});
  if (v4.packet.reasonCode !== 0)
    throw new Error(`the broker refused an MQTT 3.1.1 CONNECT: ${describePacket(v4.packet)}`);
  const v5 = await connack(settings, 5, { sessionExpiryInterval: NEVER_EXPIRES }).catch(
    (err: Error) => ({ error: err.message }),
  );
  if ('error' in v5 || v5.legacy || v5.packet.reasonCode !== 0) {
    const how =
      'error' in v5
        ? v5.error
        : v5.legacy
          ? `CONNACK ${hex(toConnectReturnCode(v5.packet.reasonCode))} in 3.1.1 format`
          : describePacket(v5.packet);
    return { ...DEFAULTS, v5: false, v5Refusal: how };
  }
  // End the session the probe asked to keep [MQTT-3.1.2-4].
  await connack(settings, 5, {});
  return fromConnack(v5.packet.properties);
}

const DEFAULTS: Capabilities = {
  v4: true,
  v5: true,
  maximumQoS: 2,
  retainAvailable: true,
  topicAliasMaximum: 0,
  receiveMaximum: 65_535,
  sharedSubscriptionAvailable: true,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifierAvailable: true,
};

/** Absent properties mean what 3.2.2.3 says they mean (QoS 2, available, no aliases…). */
function fromConnack(p: Properties): Capabilities {
  return {
    ...DEFAULTS,
    maximumQoS: p.maximumQoS ?? 2,
    retainAvailable: p.retainAvailable ?? true,
    maximumPacketSize: p.maximumPacketSize,
    topicAliasMaximum: p.topicAliasMaximum ?? 0,
    receiveMaximum: p.receiveMaximum ?? 65_535,
    sharedSubscriptionAvailable: p.sharedSubscriptionAvailable ?? true,
    wildcardSubscriptionAvailable: p.wildcardSubscriptionAvailable ?? true,
    subscriptionIdentifierAvailable: p.subscriptionIdentifierAvailable ?? true,
    serverKeepAlive: p.serverKeepAlive,
    sessionExpiryMaximum: p.sessionExpiryInterval,
  };
}
