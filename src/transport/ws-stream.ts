// A WebSocket as the broker's byte stream, every MQTT packet in a binary frame of its own.
//
// [MQTT-6.0.0-2] lets a sender put several packets in one frame, and the receiver must cope;
// but Eclipse Paho C (1.3) reads one packet per frame and keeps the rest of the frame until
// the next frame arrives: a SUBACK and the retained messages behind it, or a delivery and the
// PUBACK behind it, then stall. Paho's JavaScript client did the same before its fix, and
// Mosquitto sends one packet per frame. The frames of one flush still leave in one write:
// the socket is corked around them (ws writes each frame as a header and the payload as is).
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { ByteStream } from '../broker/connection.js';
import { packetSize } from '../protocol/index.js';

export class WebSocketByteStream extends EventEmitter implements ByteStream {
  /**
   * @param socket the socket under `ws`, corked while the packets of one write are framed.
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {
    super();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // [MQTT-6.0.0-1] only binary frames: a text frame closes the connection, unprocessed.
      if (isBinary) this.emit('data', data);
      else ws.terminate();
    });
    ws.on('close', () => this.emit('close'));
    // ws closes the connection after any error; 'close' follows.
    ws.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  /** `chunk` holds whole packets (see OutputBuffer); each becomes one binary frame. */
  write(chunk: Uint8Array): boolean {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    this.socket.cork();
    for (let at = 0; at < chunk.length; ) {
      const size = packetSize(chunk, at);
      ws.send(size === chunk.length ? chunk : chunk.subarray(at, at + size));
      at += size;
    }
    this.socket.uncork();
    return !this.socket.writableNeedDrain;
  }

  /** Closes with a Close frame once what is written has gone. */
  end(): void {
    this.ws.close();
  }

  destroy(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }
}
