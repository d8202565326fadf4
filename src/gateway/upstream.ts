// The MQTT 5.0 connection that stands for one MQTT-SN client inside the broker: a ByteStream
// for broker.accept() with no socket behind it. What the broker writes is decoded with our
// codec and handed to the client's translator; what the gateway sends is encoded and fed in.
import { EventEmitter } from 'node:events';
import type { ByteStream } from '../broker/connection.js';
import { encode, type Packet, PacketDecoder } from '../protocol/index.js';

export interface UpstreamSink {
  fromBroker(packet: Packet): void;
  upstreamClosed(): void;
}

export class Upstream extends EventEmitter implements ByteStream {
  readonly writableLength = 0;
  private readonly decoder = new PacketDecoder({ protocolVersion: 5 });
  private closed = false;

  constructor(private readonly sink: UpstreamSink) {
    super();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The broker's batch of packets for this client. */
  write(chunk: Uint8Array): boolean {
    if (this.closed) return false;
    this.decoder.push(chunk);
    for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next())
      this.sink.fromBroker(p);
    return true;
  }

  /** A packet from the MQTT-SN client, translated, into the broker. */
  send(packet: Packet): void {
    if (!this.closed) this.emit('data', encode(packet, 5));
  }

  end(): void {
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    // As a socket does: 'close' after the current call stack, so the broker finishes first.
    setImmediate(() => {
      this.emit('close');
      this.sink.upstreamClosed();
    });
  }

  // Input is never more than the gateway sends; the broker's pause holds its own decoder.
  pause(): this {
    return this;
  }

  resume(): this {
    return this;
  }
}
