// MQTT 5.0 enhanced authentication against the real server over TCP, with a two-step
// challenge/response method: AUTH exchange before CONNACK, rejection, re-authentication.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuthStep, EnhancedAuthenticator } from '../../src/index.js';
import { PacketType, ReasonCode } from '../../src/protocol/index.js';
import { Harness, RawClient, connectPacket } from './raw-client.js';

const METHOD = 'TEST-CHALLENGE';
const bytesOf = (s: string) => Buffer.from(s);
const textOf = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : Buffer.from(b).toString();

/** "hello" gets a challenge, "response" to it is accepted; anything else is refused. */
const challenge: EnhancedAuthenticator = {
  method: METHOD,
  async start(_request, data): Promise<AuthStep> {
    if (textOf(data) === 'hello') return { done: false, data: bytesOf('challenge') };
    return { done: true, result: { ok: false, reasonCode: ReasonCode.NotAuthorized } };
  },
  async continue(data): Promise<AuthStep> {
    if (textOf(data) === 'response')
      return { done: true, result: { ok: true }, data: bytesOf('welcome') };
    return { done: true, result: { ok: false, reasonCode: ReasonCode.NotAuthorized } };
  },
};

const auth = (reasonCode: number, data: string, method = METHOD) => ({
  type: PacketType.Auth,
  reasonCode,
  properties: { authenticationMethod: method, authenticationData: bytesOf(data) },
});

describe('10 enhanced authentication', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ enhancedAuthenticators: [challenge] });
  });
  after(() => h.close());

  /** Runs the CONNECT + AUTH exchange up to the CONNACK. */
  async function authenticated(clientId: string): Promise<RawClient> {
    const c = await h.open(5);
    c.send(
      connectPacket({
        clientId,
        properties: { authenticationMethod: METHOD, authenticationData: bytesOf('hello') },
      }),
    );
    const first = await c.expect(PacketType.Auth);
    assert.equal(first.reasonCode, ReasonCode.ContinueAuthentication);
    assert.equal(first.properties.authenticationMethod, METHOD);
    assert.equal(textOf(first.properties.authenticationData), 'challenge');
    c.send(auth(ReasonCode.ContinueAuthentication, 'response'));
    const connack = await c.expect(PacketType.Connack);
    assert.equal(connack.reasonCode, ReasonCode.Success);
    assert.equal(connack.properties.authenticationMethod, METHOD);
    assert.equal(textOf(connack.properties.authenticationData), 'welcome');
    return c;
  }

  it('a challenge is sent as AUTH 0x18 with the method, before the CONNACK that repeats it [MQTT-4.12.0-2] [MQTT-4.12.0-5] [MQTT-3.2.0-1] [MQTT-3.15.2-1]', async () => {
    const c = await authenticated('auth-ok');
    c.send({ type: PacketType.Pingreq });
    await c.expect(PacketType.Pingresp);
    c.disconnect();
  });

  it('a wrong response is refused with a CONNACK of 0x80 or more, then close [MQTT-4.12.0-4] [MQTT-3.2.2-7]', async () => {
    const c = await h.open(5);
    c.send(
      connectPacket({
        clientId: 'auth-bad',
        properties: { authenticationMethod: METHOD, authenticationData: bytesOf('hello') },
      }),
    );
    await c.expect(PacketType.Auth);
    c.send(auth(ReasonCode.ContinueAuthentication, 'wrong'));
    const packets = await c.expectClose();
    assert.equal(packets.length, 1);
    assert.ok(packets[0]!.type === PacketType.Connack);
    assert.equal(packets[0]!.reasonCode, ReasonCode.NotAuthorized);
    assert.equal(h.server.broker.core.clients.has('auth-bad'), false);
  });

  it('an AUTH continuing with another method is a protocol error: refused, closed [MQTT-4.12.0-5]', async () => {
    const c = await h.open(5);
    c.send(
      connectPacket({
        clientId: 'auth-switch',
        properties: { authenticationMethod: METHOD, authenticationData: bytesOf('hello') },
      }),
    );
    await c.expect(PacketType.Auth);
    c.send(auth(ReasonCode.ContinueAuthentication, 'response', 'OTHER'));
    const packets = await c.expectClose();
    assert.ok(packets.every((p) => p.type === PacketType.Connack && p.reasonCode >= 0x80));
    assert.equal(h.server.broker.core.clients.has('auth-switch'), false);
  });

  it('re-authentication: AUTH 0x19, a challenge, then AUTH 0x00 with the method [MQTT-4.12.0-5] [MQTT-4.12.1-1]', async () => {
    const c = await authenticated('reauth');
    c.send(auth(ReasonCode.ReAuthenticate, 'hello'));
    const step = await c.expect(PacketType.Auth);
    assert.equal(step.reasonCode, ReasonCode.ContinueAuthentication);
    assert.equal(step.properties.authenticationMethod, METHOD);
    c.send(auth(ReasonCode.ContinueAuthentication, 'response'));
    const done = await c.expect(PacketType.Auth);
    assert.equal(done.reasonCode, ReasonCode.Success);
    assert.equal(done.properties.authenticationMethod, METHOD);
    c.send({ type: PacketType.Pingreq });
    await c.expect(PacketType.Pingresp);
    c.disconnect();
  });

  it('a failed re-authentication closes the connection, after DISCONNECT [MQTT-4.12.1-2] [MQTT-3.14.4-1] [MQTT-3.14.4-2]', async () => {
    const c = await authenticated('reauth-bad');
    c.send(auth(ReasonCode.ReAuthenticate, 'hello'));
    await c.expect(PacketType.Auth);
    c.send(auth(ReasonCode.ContinueAuthentication, 'wrong'));
    const packets = await c.expectClose();
    assert.equal(packets.length, 1);
    assert.ok(packets[0]!.type === PacketType.Disconnect);
    assert.ok(packets[0]!.reasonCode >= 0x80);
  });

  it('re-authentication with another method is a Protocol Error: DISCONNECT 0x82 [MQTT-4.12.1-1]', async () => {
    const c = await authenticated('reauth-other');
    c.send(auth(ReasonCode.ReAuthenticate, 'hello', 'OTHER'));
    const packets = await c.expectClose();
    assert.equal(packets.length, 1);
    assert.ok(packets[0]!.type === PacketType.Disconnect);
    assert.equal(packets[0]!.reasonCode, ReasonCode.ProtocolError);
  });

  it('AUTH from a client that connected without a method is a Protocol Error [MQTT-4.12.0-6]', async () => {
    const c = await h.connected({ clientId: 'no-method' });
    c.send(auth(ReasonCode.ReAuthenticate, 'hello'));
    const packets = await c.expectClose();
    assert.equal(packets.length, 1);
    assert.ok(packets[0]!.type === PacketType.Disconnect);
    assert.equal(packets[0]!.reasonCode, ReasonCode.ProtocolError);
  });

  it('a method no authenticator offers is refused with CONNACK 0x8C, nothing else [MQTT-4.12.0-1]', async () => {
    const c = await RawClient.open(h.port, 5);
    h.clients.push(c);
    c.send(
      connectPacket({ clientId: 'auth-unknown', properties: { authenticationMethod: 'NOPE' } }),
    );
    const packets = await c.expectClose();
    assert.deepEqual(
      packets.map((p) => [p.type, p.type === PacketType.Connack && p.reasonCode]),
      [[PacketType.Connack, ReasonCode.BadAuthenticationMethod]],
    );
  });
});
