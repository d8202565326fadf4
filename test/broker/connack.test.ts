// The accepting CONNACK: shared bytes for connections that negotiated nothing of their own,
// the capabilities always present in 5.0, and nothing but the return code in 3.1.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SuccessConnacks } from '../../src/broker/connack.js';
import { defaultBrokerOptions } from '../../src/broker/options.js';
import {
  type ConnackPacket,
  NO_PROPERTIES,
  PacketDecoder,
  PacketType,
} from '../../src/protocol/index.js';

function decode(bytes: Uint8Array): ConnackPacket {
  const decoder = new PacketDecoder({ protocolVersion: 5 });
  decoder.push(Buffer.from(bytes));
  const packet = decoder.next();
  assert.equal(packet?.type, PacketType.Connack);
  return packet as ConnackPacket;
}

test('5.0 CONNACK states our limits (section 3.2.2.3); one encoding shared per Session Present', () => {
  const connacks = new SuccessConnacks({
    ...defaultBrokerOptions,
    maxPacketSize: 4096,
    topicAliasMaximum: 7,
    maximumQoS: 1,
  });
  const first = connacks.encode(5, false, {});
  assert.equal(connacks.encode(5, false, {}), first, 'the same bytes object, not a new encoding');
  assert.notEqual(connacks.encode(5, true, {}), first);
  const packet = decode(first);
  assert.equal(packet.sessionPresent, false);
  assert.equal(packet.properties.maximumPacketSize, 4096);
  assert.equal(packet.properties.topicAliasMaximum, 7);
  assert.equal(packet.properties.maximumQoS, 1);
  assert.equal(decode(connacks.encode(5, true, {})).sessionPresent, true);
});

test('[MQTT-3.1.3-6] [MQTT-3.2.2-16] negotiated properties join the capabilities in their own CONNACK', () => {
  const connacks = new SuccessConnacks({ ...defaultBrokerOptions, maxPacketSize: 4096 });
  const bytes = connacks.encode(5, false, {
    assignedClientIdentifier: 'culex-x',
    serverKeepAlive: 60,
  });
  assert.notEqual(bytes, connacks.encode(5, false, {}));
  const packet = decode(bytes);
  assert.equal(packet.properties.assignedClientIdentifier, 'culex-x');
  assert.equal(packet.properties.serverKeepAlive, 60);
  assert.equal(packet.properties.maximumPacketSize, 4096);
});

test('3.1.1 and 3.1 CONNACKs are four bytes: type, length, flags, return code 0', () => {
  const connacks = new SuccessConnacks(defaultBrokerOptions);
  assert.deepEqual([...connacks.encode(4, true, NO_PROPERTIES)], [0x20, 2, 1, 0]);
  assert.deepEqual([...connacks.encode(4, false, NO_PROPERTIES)], [0x20, 2, 0, 0]);
  // 3.1 has no Session Present flag.
  assert.deepEqual([...connacks.encode(3, true, NO_PROPERTIES)], [0x20, 2, 0, 0]);
});
