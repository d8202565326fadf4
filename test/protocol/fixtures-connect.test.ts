// Byte-exact fixtures written from the field tables of the MQTT 3.1.1 and 5.0 specifications,
// one annotated line per field. Each must decode to its packet and encode back to its bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NO_PROPERTIES,
  type Packet,
  PacketType,
  ProtocolVersion,
  ReasonCode,
  encode,
} from '../../src/protocol/index.js';
import { type Fixture, bytes, describeFixtures } from './helpers.js';

const { V31, V311, V5 } = ProtocolVersion;
const NONE = NO_PROPERTIES;
const b = (s: string) => Buffer.from(s, 'utf8');

const connectFixtures: Fixture[] = [
  {
    name: 'CONNECT 3.1 (MQIsdp, level 3), clean session',
    versions: [V31],
    wire: bytes(
      '10 10                     # CONNECT, remaining length 16',
      '00 06 4d 51 49 73 64 70   # protocol name "MQIsdp"',
      '03                        # protocol level 3',
      '02                        # flags: clean session',
      '00 3c                     # keep alive 60',
      '00 02 63 31               # client id "c1"',
    ),
    packet: {
      type: PacketType.Connect,
      protocolName: 'MQIsdp',
      protocolVersion: V31,
      clean: true,
      keepAlive: 60,
      clientId: 'c1',
      properties: NONE,
    },
  },
  {
    name: 'CONNECT 3.1.1 with will, user name and password',
    versions: [V311],
    wire: bytes(
      '10 1e                     # CONNECT, remaining length 30',
      '00 04 4d 51 54 54         # protocol name "MQTT"',
      '04                        # protocol level 4',
      'ce                        # flags: user name, password, will QoS 1, will, clean',
      '00 0a                     # keep alive 10',
      '00 03 63 69 64            # client id "cid"',
      '00 01 77                  # will topic "w"',
      '00 03 62 79 65            # will message "bye"',
      '00 01 75                  # user name "u"',
      '00 02 70 77               # password "pw"',
    ),
    packet: {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: V311,
      clean: true,
      keepAlive: 10,
      clientId: 'cid',
      will: { topic: 'w', payload: b('bye'), qos: 1, retain: false, properties: NONE },
      username: 'u',
      password: b('pw'),
      properties: NONE,
    },
  },
  {
    name: 'CONNECT 5.0 with properties, will properties and a password without user name',
    versions: [V5],
    wire: bytes(
      '10 30                     # CONNECT, remaining length 48',
      '00 04 4d 51 54 54         # protocol name "MQTT"',
      '05                        # protocol level 5',
      '66                        # flags: password, will retain, will (QoS 0), clean start',
      '00 00                     # keep alive 0',
      '0f                        # property length 15',
      '11 00 00 00 0a            #   session expiry interval 10',
      '21 00 14                  #   receive maximum 20',
      '26 00 01 6b 00 01 76      #   user property ("k", "v")',
      '00 00                     # client id ""',
      '07                        # will property length 7',
      '01 01                     #   payload format indicator 1',
      '18 00 00 00 05            #   will delay interval 5',
      '00 03 77 2f 74            # will topic "w/t"',
      '00 02 68 69               # will payload "hi"',
      '00 01 00                  # password: one zero byte',
    ),
    packet: {
      type: PacketType.Connect,
      protocolName: 'MQTT',
      protocolVersion: V5,
      clean: true,
      keepAlive: 0,
      clientId: '',
      will: {
        topic: 'w/t',
        payload: b('hi'),
        qos: 0,
        retain: true,
        properties: { payloadFormatIndicator: 1, willDelayInterval: 5 },
      },
      password: Uint8Array.of(0),
      properties: { sessionExpiryInterval: 10, receiveMaximum: 20, userProperties: [['k', 'v']] },
    },
  },
];

const connackFixtures: Fixture[] = [
  {
    name: 'CONNACK 3.1.1 session present, accepted',
    versions: [V311],
    wire: bytes('20 02', '01   # session present', '00   # return code 0 accepted'),
    packet: { type: PacketType.Connack, sessionPresent: true, reasonCode: 0, properties: NONE },
  },
  ...(
    [
      [1, ReasonCode.UnsupportedProtocolVersion],
      [2, ReasonCode.ClientIdentifierNotValid],
      [3, ReasonCode.ServerUnavailable],
      [4, ReasonCode.BadUserNameOrPassword],
      [5, ReasonCode.NotAuthorized],
    ] as const
  ).map(
    ([code, reasonCode]): Fixture => ({
      name: `CONNACK 3.1.1 return code ${code} is reason code 0x${reasonCode.toString(16)}`,
      versions: [V31, V311],
      wire: bytes('20 02', '00', `0${code}   # return code`),
      packet: { type: PacketType.Connack, sessionPresent: false, reasonCode, properties: NONE },
    }),
  ),
  {
    name: 'CONNACK 3.1: the acknowledge byte is unused, so Session Present is never read',
    versions: [V31],
    wire: bytes('20 02', '01   # unused in 3.1', '00'),
    packet: { type: PacketType.Connack, sessionPresent: false, reasonCode: 0, properties: NONE },
    decodeOnly: true,
  },
  {
    name: 'CONNACK 5.0 success with properties',
    versions: [V5],
    wire: bytes(
      '20 0f                     # CONNACK, remaining length 15',
      '00                        # acknowledge flags',
      '00                        # reason code success',
      '0c                        # property length 12',
      '12 00 02 69 64            #   assigned client identifier "id"',
      '22 00 0a                  #   topic alias maximum 10',
      '24 01                     #   maximum QoS 1',
      '25 00                     #   retain available 0',
    ),
    packet: {
      type: PacketType.Connack,
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        assignedClientIdentifier: 'id',
        topicAliasMaximum: 10,
        maximumQoS: 1,
        retainAvailable: false,
      },
    },
  },
  {
    name: 'CONNACK 5.0 refusal 0x87',
    versions: [V5],
    wire: bytes('20 03', '00', '87   # not authorized', '00   # no properties'),
    packet: {
      type: PacketType.Connack,
      sessionPresent: false,
      reasonCode: ReasonCode.NotAuthorized,
      properties: NONE,
    },
  },
];

describeFixtures('CONNECT', connectFixtures);
describeFixtures('CONNACK', connackFixtures);

describe('encoding for older versions', () => {
  const connack = (reasonCode: number): Packet => ({
    type: PacketType.Connack,
    sessionPresent: false,
    reasonCode,
    properties: { reasonString: 'dropped for 3.1.1' },
  });
  const cases: [number, number][] = [
    [ReasonCode.Banned, 5],
    [ReasonCode.BadAuthenticationMethod, 5],
    [ReasonCode.ServerBusy, 3],
    [ReasonCode.UnspecifiedError, 3],
    [ReasonCode.QuotaExceeded, 3],
  ];
  for (const [reasonCode, returnCode] of cases) {
    it(`CONNACK reason 0x${reasonCode.toString(16)} is sent to 3.1.1 as return code ${returnCode}`, () => {
      assert.deepEqual([...encode(connack(reasonCode), V311)], [0x20, 0x02, 0x00, returnCode]);
    });
  }

  it('SUBACK failure codes are sent to 3.1.1 as 0x80', () => {
    const suback: Packet = {
      type: PacketType.Suback,
      packetId: 1,
      reasonCodes: [2, ReasonCode.NotAuthorized, ReasonCode.QuotaExceeded],
      properties: NONE,
    };
    assert.deepEqual([...encode(suback, V311)], [0x90, 0x05, 0x00, 0x01, 0x02, 0x80, 0x80]);
  });

  it('drops properties and 5.0 reason codes for 3.1.1', () => {
    const puback: Packet = {
      type: PacketType.Puback,
      packetId: 3,
      reasonCode: 0x10,
      properties: { reasonString: 'x' },
    };
    assert.deepEqual([...encode(puback, V311)], [0x40, 0x02, 0x00, 0x03]);
    const disconnect: Packet = {
      type: PacketType.Disconnect,
      reasonCode: 0x8e,
      properties: NONE,
    };
    assert.deepEqual([...encode(disconnect, V311)], [0xe0, 0x00]);
  });

  it('refuses to encode AUTH before 5.0 and PUBLISH QoS 1 without a packet id', () => {
    assert.throws(
      () => encode({ type: PacketType.Auth, reasonCode: 0, properties: NONE }, V311),
      RangeError,
    );
    assert.throws(
      () =>
        encode(
          {
            type: PacketType.Publish,
            topic: 't',
            payload: b(''),
            qos: 1,
            retain: false,
            dup: false,
            properties: NONE,
          },
          V311,
        ),
      RangeError,
    );
  });

  it('refuses a property the packet type cannot carry', () => {
    const puback: Packet = {
      type: PacketType.Puback,
      packetId: 1,
      reasonCode: 0,
      properties: { topicAlias: 1 },
    };
    assert.throws(() => encode(puback, V5), RangeError);
  });
});
