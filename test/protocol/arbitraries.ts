// fast-check generators of valid packets for each protocol version, and the table of which
// property each packet type may carry (transcribed from the 5.0 specification, 2.2.2.2).
import fc from 'fast-check';
import {
  NO_PROPERTIES,
  type Packet,
  PacketType,
  type Properties,
  ProtocolVersion,
  type QoS,
} from '../../src/protocol/index.js';

const P = PacketType;
type Where = PacketType | 'will';

/** Spec 2.2.2.2: the packets (and Will Properties) each property may appear in. */
export const PROPERTY_PLACES: Record<keyof Properties, Where[]> = {
  payloadFormatIndicator: [P.Publish, 'will'],
  messageExpiryInterval: [P.Publish, 'will'],
  contentType: [P.Publish, 'will'],
  responseTopic: [P.Publish, 'will'],
  correlationData: [P.Publish, 'will'],
  subscriptionIdentifiers: [P.Publish, P.Subscribe],
  sessionExpiryInterval: [P.Connect, P.Connack, P.Disconnect],
  assignedClientIdentifier: [P.Connack],
  serverKeepAlive: [P.Connack],
  authenticationMethod: [P.Connect, P.Connack, P.Auth],
  authenticationData: [P.Connect, P.Connack, P.Auth],
  requestProblemInformation: [P.Connect],
  willDelayInterval: ['will'],
  requestResponseInformation: [P.Connect],
  responseInformation: [P.Connack],
  serverReference: [P.Connack, P.Disconnect],
  reasonString: [
    P.Connack,
    P.Puback,
    P.Pubrec,
    P.Pubrel,
    P.Pubcomp,
    P.Suback,
    P.Unsuback,
    P.Disconnect,
    P.Auth,
  ],
  receiveMaximum: [P.Connect, P.Connack],
  topicAliasMaximum: [P.Connect, P.Connack],
  topicAlias: [P.Publish],
  maximumQoS: [P.Connack],
  retainAvailable: [P.Connack],
  userProperties: [
    P.Connect,
    P.Connack,
    P.Publish,
    'will',
    P.Puback,
    P.Pubrec,
    P.Pubrel,
    P.Pubcomp,
    P.Subscribe,
    P.Suback,
    P.Unsubscribe,
    P.Unsuback,
    P.Disconnect,
    P.Auth,
  ],
  maximumPacketSize: [P.Connect, P.Connack],
  wildcardSubscriptionAvailable: [P.Connack],
  subscriptionIdentifierAvailable: [P.Connack],
  sharedSubscriptionAvailable: [P.Connack],
};

/** An MQTT UTF-8 string: any code points but U+0000 (and no lone surrogates). */
export const mqttString = (maxLength = 12) =>
  fc.string({ unit: 'binary', maxLength }).map((s) => s.replaceAll('\0', ''));
const topicName = mqttString().map((s) => s.replace(/[+#]/g, '_') || 't');
const bytes = (maxLength = 24) => fc.uint8Array({ maxLength });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bit = fc.constantFrom<0 | 1>(0, 1);
const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 0xffff });

const PROPERTY_VALUES: { [K in keyof Properties]-?: fc.Arbitrary<Properties[K]> } = {
  payloadFormatIndicator: bit,
  messageExpiryInterval: u32,
  contentType: mqttString(),
  responseTopic: topicName,
  correlationData: bytes(),
  subscriptionIdentifiers: fc.array(fc.integer({ min: 1, max: 268_435_455 }), {
    minLength: 1,
    maxLength: 3,
  }),
  sessionExpiryInterval: u32,
  assignedClientIdentifier: mqttString(),
  serverKeepAlive: u16,
  authenticationMethod: mqttString(),
  authenticationData: bytes(),
  requestProblemInformation: bit,
  willDelayInterval: u32,
  requestResponseInformation: bit,
  responseInformation: mqttString(),
  serverReference: mqttString(),
  reasonString: mqttString(),
  receiveMaximum: fc.integer({ min: 1, max: 0xffff }),
  topicAliasMaximum: u16,
  topicAlias: fc.integer({ min: 1, max: 0xffff }),
  maximumQoS: bit,
  retainAvailable: fc.boolean(),
  userProperties: fc.array(fc.tuple(mqttString(6), mqttString(6)), { minLength: 1, maxLength: 3 }),
  maximumPacketSize: fc.integer({ min: 1, max: 0xffffffff }),
  wildcardSubscriptionAvailable: fc.boolean(),
  subscriptionIdentifierAvailable: fc.boolean(),
  sharedSubscriptionAvailable: fc.boolean(),
};

/** Properties allowed at `where`, each present or not; none at all before 5.0. */
export function properties(where: Where, version: ProtocolVersion): fc.Arbitrary<Properties> {
  if (version !== ProtocolVersion.V5) return fc.constant(NO_PROPERTIES);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, places] of Object.entries(PROPERTY_PLACES)) {
    if (!places.includes(where)) continue;
    let value = PROPERTY_VALUES[key as keyof Properties] as fc.Arbitrary<unknown>;
    if (key === 'subscriptionIdentifiers' && where === P.Subscribe) {
      value = fc.integer({ min: 1, max: 268_435_455 }).map((id) => [id]);
    }
    model[key] = value;
  }
  return fc
    .record(model, { requiredKeys: [] })
    .filter((p) => p.authenticationData === undefined || p.authenticationMethod !== undefined)
    .map((p) => (Object.keys(p).length === 0 ? NO_PROPERTIES : (p as Properties)));
}

const CONNACK_V5 = [
  0, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99,
  0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
];
const CONNACK_V311 = [0, 0x84, 0x85, 0x88, 0x86, 0x87];
const PUBACK = [0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL = [0, 0x92];
const SUBACK_V5 = [0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2];
const SUBACK_V311 = [0, 1, 2, 0x80];
const UNSUBACK = [0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91];
const DISCONNECT = [
  0, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96,
  0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
];
const AUTH = [0, 0x18, 0x19];

function connect(v: ProtocolVersion): fc.Arbitrary<Packet> {
  const will = fc.record({
    topic: topicName,
    payload: bytes(),
    qos,
    retain: fc.boolean(),
    properties: properties('will', v),
  });
  return fc
    .record(
      {
        clean: fc.boolean(),
        keepAlive: u16,
        clientId: mqttString(),
        will,
        username: mqttString(),
        password: bytes(),
        properties: properties(P.Connect, v),
      },
      { requiredKeys: ['clean', 'keepAlive', 'clientId', 'properties'] },
    )
    .filter((p) => v === ProtocolVersion.V5 || p.password === undefined || p.username !== undefined)
    .map((p) => ({
      type: P.Connect,
      protocolName: v === ProtocolVersion.V31 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      ...p,
    }));
}

function publish(v: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc
    .record({
      topic: topicName,
      payload: bytes(64),
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      packetId,
      properties: properties(P.Publish, v),
    })
    .map(({ packetId: id, ...p }) => {
      const dup = p.qos > 0 && p.dup;
      const topic =
        p.properties.topicAlias !== undefined && p.payload.length % 2 === 0 ? '' : p.topic;
      return p.qos === 0
        ? { type: P.Publish, ...p, topic, dup }
        : { type: P.Publish, ...p, topic, dup, packetId: id };
    });
}

function pubResponse(v: ProtocolVersion): fc.Arbitrary<Packet> {
  const v5 = v === ProtocolVersion.V5;
  return fc.constantFrom(P.Puback, P.Pubrec, P.Pubrel, P.Pubcomp).chain((type) =>
    fc.record({
      type: fc.constant(type),
      packetId,
      reasonCode: v5 ? fc.constantFrom(...(type <= P.Pubrec ? PUBACK : PUBREL)) : fc.constant(0),
      properties: properties(type, v),
    }),
  );
}

function subscribe(v: ProtocolVersion): fc.Arbitrary<Packet> {
  const v5 = v === ProtocolVersion.V5;
  const subscription = fc.record({
    topicFilter: mqttString(),
    qos,
    noLocal: v5 ? fc.boolean() : fc.constant(false),
    retainAsPublished: v5 ? fc.boolean() : fc.constant(false),
    retainHandling: v5 ? fc.constantFrom<0 | 1 | 2>(0, 1, 2) : fc.constant<0>(0),
  });
  return fc.record({
    type: fc.constant(P.Subscribe),
    packetId,
    subscriptions: fc.array(subscription, { minLength: 1, maxLength: 4 }),
    properties: properties(P.Subscribe, v),
  });
}

function acks(v: ProtocolVersion): fc.Arbitrary<Packet> {
  const v5 = v === ProtocolVersion.V5;
  return fc.oneof(
    fc.record({
      type: fc.constant(P.Connack),
      sessionPresent: v === ProtocolVersion.V31 ? fc.constant(false) : fc.boolean(),
      reasonCode: fc.constantFrom(...(v5 ? CONNACK_V5 : CONNACK_V311)),
      properties: properties(P.Connack, v),
    }),
    fc.record({
      type: fc.constant(P.Suback),
      packetId,
      reasonCodes: fc.array(fc.constantFrom(...(v5 ? SUBACK_V5 : SUBACK_V311)), {
        minLength: 1,
        maxLength: 5,
      }),
      properties: properties(P.Suback, v),
    }),
    fc.record({
      type: fc.constant(P.Unsubscribe),
      packetId,
      topicFilters: fc.array(mqttString(), { minLength: 1, maxLength: 4 }),
      properties: properties(P.Unsubscribe, v),
    }),
    fc.record({
      type: fc.constant(P.Unsuback),
      packetId,
      reasonCodes: v5
        ? fc.array(fc.constantFrom(...UNSUBACK), { minLength: 1, maxLength: 5 })
        : fc.constant<number[]>([]),
      properties: properties(P.Unsuback, v),
    }),
  );
}

function control(v: ProtocolVersion): fc.Arbitrary<Packet> {
  const v5 = v === ProtocolVersion.V5;
  const list: fc.Arbitrary<Packet>[] = [
    fc.constant({ type: P.Pingreq }),
    fc.constant({ type: P.Pingresp }),
    fc.record({
      type: fc.constant(P.Disconnect),
      reasonCode: v5 ? fc.constantFrom(...DISCONNECT) : fc.constant(0),
      properties: properties(P.Disconnect, v),
    }),
  ];
  if (v5) {
    list.push(
      fc.record({
        type: fc.constant(P.Auth),
        reasonCode: fc.constantFrom(...AUTH),
        properties: properties(P.Auth, v),
      }),
    );
  }
  return fc.oneof(...list);
}

/** Valid packets of every type for a peer speaking `v`. */
export function packet(v: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.oneof(connect(v), publish(v), pubResponse(v), subscribe(v), acks(v), control(v));
}

/** Packets without CONNECT, for streams a decoder reads after the version is known. */
export function streamPacket(v: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.oneof(publish(v), pubResponse(v), subscribe(v), acks(v), control(v));
}
