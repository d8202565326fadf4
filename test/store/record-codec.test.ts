import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pack, unpack } from 'msgpackr';
import type { Properties } from '../../src/protocol/packets.js';
import {
  assertSameRecords,
  fullSession,
  outbound,
  richMessage,
} from '../../src/store/contract-records.js';
import {
  CorruptRecordError,
  decodeMessage,
  decodeOutbound,
  decodeProperties,
  decodeSession,
  encodeMessage,
  encodeOutbound,
  encodeProperties,
  encodeSession,
  outboundClientId,
} from '../../src/store/record-codec.js';

/** Every property of the model, so a missing or doubled identifier shows up. */
const EVERY_PROPERTY: Required<Properties> = {
  payloadFormatIndicator: 1,
  messageExpiryInterval: 2,
  contentType: 'c',
  responseTopic: 'r',
  correlationData: Buffer.of(1, 2),
  subscriptionIdentifiers: [1, 2],
  sessionExpiryInterval: 3,
  assignedClientIdentifier: 'a',
  serverKeepAlive: 4,
  authenticationMethod: 'm',
  authenticationData: Buffer.of(3),
  requestProblemInformation: 0,
  willDelayInterval: 5,
  requestResponseInformation: 1,
  responseInformation: 'i',
  serverReference: 's',
  reasonString: 'why',
  receiveMaximum: 6,
  topicAliasMaximum: 7,
  topicAlias: 8,
  maximumQoS: 1,
  retainAvailable: false,
  userProperties: [['k', 'v']],
  maximumPacketSize: 9,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifierAvailable: false,
  sharedSubscriptionAvailable: true,
};

/** Through msgpack, as stored. */
const stored = (value: unknown) => unpack(pack(value));

describe('record codec (format version 1)', () => {
  it('round-trips every property by its spec identifier', () => {
    const encoded = encodeProperties(EVERY_PROPERTY);
    assert.equal(encoded.length, 2 * Object.keys(EVERY_PROPERTY).length);
    assertSameRecords(decodeProperties(stored(encoded)), EVERY_PROPERTY);
    assert.deepStrictEqual(encoded.slice(0, 2), [0x01, 1], 'payloadFormatIndicator is id 0x01');
  });

  it('leaves out undefined properties and refuses unknown ones', () => {
    assert.deepStrictEqual(encodeProperties({ contentType: undefined }), []);
    assert.throws(() => encodeProperties({ bogus: 1 } as Properties), /unknown property "bogus"/);
    assert.throws(() => decodeProperties([0x7f, 1]), CorruptRecordError);
  });

  it('round-trips messages, sessions and outbound records', () => {
    const message = richMessage('t');
    assertSameRecords(decodeMessage(stored(encodeMessage(message))), message);
    const session = fullSession('c');
    assertSameRecords(decodeSession(stored(encodeSession(session))), session);
    const record = outbound(7, { state: 'pubrel', packetId: 3, subscriptionIdentifiers: [4] });
    const encoded = stored(encodeOutbound(record, 'long-client'));
    assertSameRecords(decodeOutbound(encoded, 7), record);
    assert.equal(outboundClientId(encoded), 'long-client');
    assert.equal(outboundClientId(stored(encodeOutbound(record))), undefined);
  });

  it('stores a plain message as a short positional array', () => {
    const bytes = pack(
      encodeMessage({ topic: 'a/b', payload: Buffer.of(1), qos: 1, retain: false, properties: {} }),
    );
    assert.ok(bytes.length <= 12, `${bytes.length} bytes`);
  });

  it('refuses records of the wrong shape', () => {
    assert.throws(() => decodeMessage('oops'), CorruptRecordError);
    assert.throws(() => decodeMessage([1, 2, 3, 4, []]), CorruptRecordError);
    assert.throws(() => decodeSession([null, 5, 0, null, [], null]), CorruptRecordError);
    assert.throws(
      () => decodeOutbound([encodeMessage(richMessage('t')), 9, null, null], 1),
      CorruptRecordError,
    );
  });
});
