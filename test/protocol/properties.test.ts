// Every 5.0 property on every packet type: decoded where 2.2.2.2 allows it, a Malformed
// Packet elsewhere ("an Identifier which is not valid for its packet type"), and refused
// by the encoder there too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MqttError,
  type Packet,
  PacketDecoder,
  PacketType,
  type Properties,
  ProtocolVersion,
  ReasonCode,
  encode,
} from '../../src/protocol/index.js';
import { PROPERTY_PLACES } from './arbitraries.js';
import { bytes } from './helpers.js';

const P = PacketType;
type Where = PacketType | 'will';

/** One valid encoded value of each property: identifier byte, then the value. */
const SAMPLE: Record<keyof Properties, string> = {
  payloadFormatIndicator: '01 01',
  messageExpiryInterval: '02 00 00 00 01',
  contentType: '03 00 01 61',
  responseTopic: '08 00 01 61',
  correlationData: '09 00 01 01',
  subscriptionIdentifiers: '0b 01',
  sessionExpiryInterval: '11 00 00 00 01',
  assignedClientIdentifier: '12 00 01 61',
  serverKeepAlive: '13 00 01',
  authenticationMethod: '15 00 01 61',
  authenticationData: '16 00 01 01',
  requestProblemInformation: '17 01',
  willDelayInterval: '18 00 00 00 01',
  requestResponseInformation: '19 01',
  responseInformation: '1a 00 01 61',
  serverReference: '1c 00 01 61',
  reasonString: '1f 00 01 61',
  receiveMaximum: '21 00 01',
  topicAliasMaximum: '22 00 01',
  topicAlias: '23 00 01',
  maximumQoS: '24 01',
  retainAvailable: '25 01',
  userProperties: '26 00 01 61 00 01 62',
  maximumPacketSize: '27 00 00 00 01',
  wildcardSubscriptionAvailable: '28 01',
  subscriptionIdentifierAvailable: '29 01',
  sharedSubscriptionAvailable: '2a 01',
};

const CONNECT_HEAD = '00 04 4d 51 54 54 05';

/** A 5.0 packet of the given kind carrying `props` (Property Length included). */
function packetWith(where: Where, props: string): Buffer {
  const body: Record<string, [string, string, string]> = {
    [P.Connect]: ['10', `${CONNECT_HEAD} 02 00 00`, '00 01 63'],
    will: ['10', `${CONNECT_HEAD} 06 00 00 00 00 01 63`, '00 01 77 00 00'],
    [P.Connack]: ['20', '00 00', ''],
    [P.Publish]: ['30', '00 01 74', ''],
    [P.Puback]: ['40', '00 01 00', ''],
    [P.Pubrec]: ['50', '00 01 00', ''],
    [P.Pubrel]: ['62', '00 01 00', ''],
    [P.Pubcomp]: ['70', '00 01 00', ''],
    [P.Subscribe]: ['82', '00 01', '00 01 61 00'],
    [P.Suback]: ['90', '00 01', '00'],
    [P.Unsubscribe]: ['a2', '00 01', '00 01 61'],
    [P.Unsuback]: ['b0', '00 01', '00'],
    [P.Disconnect]: ['e0', '00', ''],
    [P.Auth]: ['f0', '00', ''],
  };
  const [byte0, head, tail] = body[where];
  const propBytes = bytes(props);
  const rest = Buffer.concat([bytes(head), Buffer.of(propBytes.length), propBytes, bytes(tail)]);
  return Buffer.concat([bytes(byte0), Buffer.of(rest.length), rest]);
}

function decode(wire: Buffer): Packet {
  const connect = wire[0] >> 4 === P.Connect;
  const decoder = new PacketDecoder({ protocolVersion: connect ? undefined : ProtocolVersion.V5 });
  decoder.push(wire);
  const packet = decoder.next();
  assert.ok(packet);
  return packet;
}

const PLACES: Where[] = [
  P.Connect,
  'will',
  P.Connack,
  P.Publish,
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
];

function propertiesOf(packet: Packet, where: Where): Properties {
  if (where === 'will') return packet.type === P.Connect ? (packet.will?.properties ?? {}) : {};
  return 'properties' in packet ? packet.properties : {};
}

describe('property placement (2.2.2.2)', () => {
  for (const [key, places] of Object.entries(PROPERTY_PLACES) as [keyof Properties, Where[]][]) {
    for (const where of PLACES) {
      const allowed = places.includes(where);
      // Authentication Data needs an Authentication Method beside it on CONNECT.
      const props =
        key === 'authenticationData' && allowed
          ? `${SAMPLE.authenticationMethod} ${SAMPLE[key]}`
          : SAMPLE[key];
      it(`${key} on ${where === 'will' ? 'Will Properties' : `packet type ${where}`}: ${allowed ? 'decoded' : 'malformed'}`, () => {
        const wire = packetWith(where, props);
        if (allowed) {
          assert.notEqual(propertiesOf(decode(wire), where)[key], undefined);
        } else {
          assert.throws(
            () => decode(wire),
            (err) => err instanceof MqttError && err.reasonCode === ReasonCode.MalformedPacket,
          );
        }
      });
    }
  }

  it('refuses to encode a property on a packet that cannot carry it', () => {
    const props: Properties = { sessionExpiryInterval: 1 };
    const publish: Packet = {
      type: P.Publish,
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
      properties: props,
    };
    assert.throws(() => encode(publish, ProtocolVersion.V5), RangeError);
  });

  it('keeps User Properties in order, repeated names included [MQTT-3.3.2-18]', () => {
    const wire = packetWith(
      P.Publish,
      '26 00 01 62 00 01 31 26 00 01 61 00 01 32 26 00 01 62 00 01 33',
    );
    const p = decode(wire);
    assert.deepEqual(propertiesOf(p, P.Publish).userProperties, [
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ]);
  });
});
