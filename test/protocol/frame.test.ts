// packetSize: how encoded output holding several packets is split, one packet per WebSocket frame.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MqttError, packetSize } from '../../src/protocol/index.js';
import { bytes } from '../conformance/raw-client.js';

describe('packetSize', () => {
  const wire = bytes(
    '90 03 00 01 01', // SUBACK, Remaining Length 3
    'd0 00', // PINGRESP, Remaining Length 0
    '30 80 01',
    '00 '.repeat(128), // PUBLISH, Remaining Length 128 in two bytes
  );

  it('gives the size of each packet, fixed header included, at any offset', () => {
    assert.equal(packetSize(wire, 0), 5);
    assert.equal(packetSize(wire, 5), 2);
    assert.equal(packetSize(wire, 7), 131);
    assert.equal(7 + 131, wire.length);
  });

  for (const [what, cut, at] of [
    ['a Remaining Length cut short', wire.subarray(0, 8), 7],
    ['a body cut short', wire.subarray(0, 4), 0],
  ] as const) {
    it(`throws on ${what}, never returns a size past the end`, () => {
      assert.throws(() => packetSize(cut, at), MqttError);
    });
  }
});
