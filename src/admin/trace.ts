// The live trace as Server-Sent Events: each open stream is a tap on the broker's publish path.
// A reader that falls behind loses events (counted and reported), never slows the broker.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrokerAdmin, TraceEvent } from '../broker/admin.js';
import { HttpError } from './routes.js';

export interface TraceOptions {
  /** Streams open at once. */
  maxStreams?: number;
  /** Bytes waiting in one stream's socket beyond which events are dropped. */
  maxBacklogBytes?: number;
}

export class TraceStreams {
  private readonly streams = new Set<() => void>();
  private readonly maxStreams: number;
  private readonly maxBacklog: number;

  constructor(
    private readonly admin: BrokerAdmin,
    options: TraceOptions = {},
  ) {
    this.maxStreams = options.maxStreams ?? 16;
    this.maxBacklog = options.maxBacklogBytes ?? 1024 * 1024;
  }

  get size(): number {
    return this.streams.size;
  }

  /** Answers a GET /api/v1/trace: validates, then keeps the response open. */
  open(request: FastifyRequest, reply: FastifyReply): void {
    const q = request.query as { topic?: string; clientId?: string };
    if (this.streams.size >= this.maxStreams) {
      throw new HttpError(429, `at most ${this.maxStreams} trace streams may be open at once`);
    }
    let dropped = 0;
    const raw = reply.raw;
    const send = (event: TraceEvent) => {
      if (raw.writableLength > this.maxBacklog) {
        dropped++;
        return;
      }
      if (dropped > 0) {
        raw.write(`event: dropped\ndata: ${dropped}\n\n`);
        dropped = 0;
      }
      raw.write(`data: ${JSON.stringify(event)}\n\n`);
    };
    const untap = this.admin.trace({ topic: q.topic, clientId: q.clientId }, send);
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': culex trace\n\n');
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    const stop = () => {
      if (!this.streams.delete(stop)) return;
      clearInterval(keepAlive);
      untap();
      raw.end();
    };
    this.streams.add(stop);
    request.raw.on('close', stop);
    raw.on('close', stop);
  }

  closeAll(): void {
    for (const stop of [...this.streams]) stop();
  }
}
