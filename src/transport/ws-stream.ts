// A WebSocket as the broker's byte stream, every MQTT packet in a binary frame of its own.
//
// [MQTT-6.0.0-2] lets a sender put several packets in one frame, and the receiver must cope;
// but Eclipse Paho C (1.3) reads one packet per frame and keeps the rest of the frame until
// the next frame arrives: a SUBACK and the retained messages behind it, or a delivery and the
// PUBACK behind it, then stall. Paho's JavaScript client did the same before its fix, and
// Mosquitto sends one packet per frame.
//
// The frames of one flush still leave in one socket write: the connection's OutputBuffer
// writes each frame header in front of its packet (`framing` below), and the batch goes to
// the socket as it is. ws.send per packet would cost a write call and a header allocation
// each: half the throughput. `ws` keeps the handshake, reading, control frames and the
// closing handshake; it writes to the socket synchronously too (no compression is
// negotiated), so its frames never land inside ours.
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { ByteStream } from '../broker/connection.js';
import type { PacketFraming } from '../broker/output.js';

/** RFC 6455 section 5.2: FIN set, opcode 2 (binary) [MQTT-6.0.0-1]. */
const FIN_BINARY = 0x82;

/** Server frames carry no masking key (RFC 6455 section 5.1); 7, 16 or 64-bit lengths. */
export const websocketFraming: PacketFraming = {
  headerSize: (length) => (length < 126 ? 2 : length < 0x10000 ? 4 : 10),
  writeHeader(buffer, at, length) {
    buffer[at] = FIN_BINARY;
    if (length < 126) {
      buffer[at + 1] = length;
    } else if (length < 0x10000) {
      buffer[at + 1] = 126;
      buffer[at + 2] = length >>> 8;
      buffer[at + 3] = length & 0xff;
    } else {
      buffer[at + 1] = 127;
      // An MQTT packet is below 2^28 bytes: the 64-bit length's upper 5 bytes are zero.
      buffer.fill(0, at + 2, at + 6);
      for (let i = 0; i < 4; i++) buffer[at + 9 - i] = (length >>> (8 * i)) & 0xff;
    }
  },
};

export class WebSocketByteStream extends EventEmitter implements ByteStream {
  readonly framing = websocketFraming;

  /** @param socket the socket under `ws`, which the frames are written to. */
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

  /** `chunk` holds whole frames, framed by the connection's OutputBuffer. */
  write(chunk: Uint8Array): boolean {
    // After a Close frame (ws.close) no data frame may follow (RFC 6455 section 5.5.1).
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    return this.socket.write(chunk);
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
