// A WebSocket client on a bare socket, for checks at the frame level and for load
// (bench/ws.ts): the HTTP upgrade, server frames read as they came, client frames written.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Connects and upgrades to the "mqtt" subprotocol; `rest` is what followed the 101 response. */
export function openRawWebSocket(
  port: number,
  timeoutMs = 5_000,
): Promise<{ socket: Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no WebSocket upgrade'));
    }, timeoutMs);
    const onHandshake = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onHandshake);
      if (!head.toString('latin1', 0, 12).startsWith('HTTP/1.1 101'))
        return reject(new Error(head.toString()));
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on('data', onHandshake);
    socket.once('error', reject);
    socket.write(
      `GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n',
    );
  });
}

/**
 * Calls `onFrame` with each whole frame in buf: its first byte (FIN, opcode), whether it was
 * masked, and where its payload is. Returns the bytes used; the rest waits for more.
 */
export function parseFrames(
  buf: Buffer,
  onFrame: (first: number, masked: boolean, start: number, end: number) => void,
): number {
  let pos = 0;
  for (;;) {
    const left = buf.length - pos;
    if (left < 2) return pos;
    let length = buf[pos + 1]! & 0x7f;
    let at = 2;
    if (length === 126) {
      if (left < 4) return pos;
      length = buf.readUInt16BE(pos + 2);
      at = 4;
    } else if (length === 127) {
      if (left < 10) return pos;
      length = Number(buf.readBigUInt64BE(pos + 2));
      at = 10;
    }
    if (left < at + length) return pos;
    onFrame(buf[pos]!, (buf[pos + 1]! & 0x80) !== 0, pos + at, pos + at + length);
    pos += at + length;
  }
}

const ZERO_MASK = Buffer.alloc(4);

/**
 * A masked binary client frame. An all-zero masking key is a valid key that leaves the payload
 * as it is: load generators spend nothing on masking.
 */
export function clientFrame(payload: Buffer, mask: Buffer = ZERO_MASK): Buffer[] {
  const length = payload.length;
  const header = Buffer.alloc(length < 126 ? 6 : length < 65_536 ? 8 : 14);
  header[0] = 0x82;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  mask.copy(header, header.length - 4);
  if (mask === ZERO_MASK) return [header, payload];
  return [header, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))];
}
