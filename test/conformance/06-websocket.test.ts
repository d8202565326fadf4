// MQTT over WebSocket against the real server: the "mqtt" subprotocol, binary frames only,
// packets independent of frame boundaries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  encode,
  type Packet,
  PacketDecoder,
  PacketType,
  type ProtocolVersion,
} from '../../src/protocol/index.js';
import { connectPacket, Harness, publishPacket, text } from './raw-client.js';

/** A WebSocket MQTT client reading packets from binary frames, noting any text frame. */
class WsClient {
  readonly packets: Packet[] = [];
  textFrames = 0;
  closed: Promise<void>;
  private readonly decoder: PacketDecoder;

  private constructor(
    readonly ws: WebSocket,
    version: ProtocolVersion,
  ) {
    this.decoder = new PacketDecoder({ protocolVersion: version });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.textFrames++;
      this.decoder.push(data);
      for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next())
        this.packets.push(p);
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
  }

  static open(port: number, protocols: string[], version: ProtocolVersion = 5) {
    return new Promise<WsClient>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, protocols);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('WebSocket open timed out'));
      }, 2_000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new WsClient(ws, version));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  async next(timeoutMs = 2_000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    while (this.packets.length === 0) {
      if (Date.now() > deadline) throw new Error('no packet over WebSocket');
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.packets.shift()!;
  }

  async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return result;
  }
}

describe('06 websocket', () => {
  let h: Harness;
  const open: WsClient[] = [];
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    for (const c of open) c.ws.terminate();
    await h.close();
  });

  const client = async (protocols = ['mqtt'], version: ProtocolVersion = 5) => {
    const c = await WsClient.open(h.wsPort, protocols, version);
    open.push(c);
    return c;
  };

  it('the server selects the "mqtt" subprotocol [MQTT-6.0.0-4]', async () => {
    const c = await client(['other', 'mqtt']);
    assert.equal(c.ws.protocol, 'mqtt');
    c.ws.close();
  });

  it('packets split across frames and several packets in one frame are decoded; the server sends binary frames only [MQTT-6.0.0-2] [MQTT-6.0.0-1]', async () => {
    const c = await client();
    const connect = encode(connectPacket({ clientId: 'ws-split' }), 5);
    // CONNECT one byte per frame.
    for (const byte of connect) c.ws.send(Buffer.from([byte]));
    const connack = await c.next();
    assert.equal(connack.type, PacketType.Connack);
    // SUBSCRIBE and PINGREQ in one frame.
    const subscribe = encode(
      {
        type: PacketType.Subscribe,
        packetId: 1,
        subscriptions: [
          {
            topicFilter: 'ws/#',
            qos: 1,
            noLocal: false,
            retainAsPublished: false,
            retainHandling: 0,
          },
        ],
        properties: {},
      },
      5,
    );
    c.ws.send(Buffer.concat([subscribe, encode({ type: PacketType.Pingreq }, 5)]));
    assert.equal((await c.next()).type, PacketType.Suback);
    assert.equal((await c.next()).type, PacketType.Pingresp);
    // A PUBLISH split in the middle of its topic, the rest sent with the next packet.
    const publish = encode(publishPacket('ws/split', 'over ws'), 5);
    c.ws.send(publish.subarray(0, 5));
    c.ws.send(Buffer.concat([publish.subarray(5), publish]));
    for (let i = 0; i < 2; i++) {
      const p = await c.next();
      assert.ok(p.type === PacketType.Publish);
      assert.equal(p.topic, 'ws/split');
      assert.equal(text(p), 'over ws');
    }
    assert.equal(c.textFrames, 0);
    c.ws.close();
  });

  it('a WebSocket closed without DISCONNECT ends the connection: the will is published [MQTT-3.1.2-8]', async () => {
    const watcher = await h.connected({ clientId: 'ws-will-watch' });
    await watcher.subscribe(['wswill']);
    const c = await client();
    c.ws.send(
      encode(
        connectPacket({
          clientId: 'ws-will',
          will: { topic: 'wswill', payload: Buffer.from('gone') },
        }),
        5,
      ),
    );
    assert.equal((await c.next()).type, PacketType.Connack);
    c.ws.terminate();
    const will = await watcher.expect(PacketType.Publish);
    assert.equal(text(will), 'gone');
    assert.equal(h.server.broker.core.clients.has('ws-will'), false);
    // Closed with a close frame (no DISCONNECT): the same.
    const d = await client();
    d.ws.send(
      encode(
        connectPacket({
          clientId: 'ws-will2',
          will: { topic: 'wswill', payload: Buffer.from('closed') },
        }),
        5,
      ),
    );
    assert.equal((await d.next()).type, PacketType.Connack);
    d.ws.close();
    assert.equal(text(await watcher.expect(PacketType.Publish)), 'closed');
    watcher.disconnect();
  });

  it('a text frame closes the connection and is not processed [MQTT-6.0.0-1]', async () => {
    const watcher = await h.connected({ clientId: 'ws-text-watch' });
    await watcher.subscribe(['wstext']);
    const c = await client();
    c.ws.send(encode(connectPacket({ clientId: 'ws-text' }), 5));
    assert.equal((await c.next()).type, PacketType.Connack);
    // A PUBLISH whose bytes are all valid UTF-8, so only the frame type is wrong.
    const publish = encode(publishPacket('wstext', 'as text'), 5);
    c.ws.send(publish.toString('utf8'));
    assert.ok(await c.closedWithin(2_000), 'still open after a text frame');
    await watcher.expectNothing(200);
    watcher.disconnect();
  });
});
