// Acknowledge-after-flush (durability: sync): a PUBACK or PUBREC whose message was written to
// the store leaves only once the store has made that write durable. Flushes are batched per
// tick; acknowledgements keep their order per connection [MQTT-4.6.0-2] [MQTT-4.6.0-3].
import type { Packet } from '../protocol/packets.js';
import type { RetainedStore, SessionStore } from './ports.js';

export interface AckSink {
  send(packet: Packet): void;
  readonly state: string;
}

interface Waiting {
  packet: Packet;
  /** The flush generation that must complete first (0: none, only order). */
  generation: number;
  /**
   * A store write that must not start earlier, made once the rest is durable; the packet
   * then waits for it to be durable too (one flush more).
   */
  lastWrite?: () => void;
}

export class DurabilityGate {
  /** Bumped by every store write; a publish compares it before and after routing. */
  writes = 0;
  private nextGeneration = 1;
  private completed = 0;
  private scheduled = false;
  private readonly queues = new Map<AckSink, Waiting[]>();

  constructor(
    private readonly sessions: SessionStore,
    private readonly retained: RetainedStore,
    /** Called with the acknowledgements that can now never be sent, by connection. */
    private readonly onError: (error: unknown, waiting: Map<AckSink, Packet[]>) => void,
    /** In a cluster: the other nodes' stores, for messages they hold persistent sessions for. */
    private readonly cluster?: { flush(): Promise<void> },
  ) {}

  /** Sends now, unless earlier acknowledgements of this connection are still waiting. */
  send(sink: AckSink, packet: Packet, lastWrite?: () => void): void {
    const queue = this.queues.get(sink);
    if (queue !== undefined) queue.push({ packet, generation: 0, lastWrite });
    else if (lastWrite !== undefined) {
      lastWrite();
      this.sendAfterFlush(sink, packet);
    } else sink.send(packet);
  }

  /** Sends once everything written so far is durable. */
  sendAfterFlush(sink: AckSink, packet: Packet, lastWrite?: () => void): void {
    let queue = this.queues.get(sink);
    if (queue === undefined) {
      queue = [];
      this.queues.set(sink, queue);
    }
    queue.push({ packet, generation: this.nextGeneration, lastWrite });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const generation = this.nextGeneration++;
    Promise.all([this.sessions.flush(), this.retained.flush(), this.cluster?.flush()]).then(
      () => this.release(generation),
      (error) => {
        const waiting = new Map<AckSink, Packet[]>();
        for (const [sink, queue] of this.queues)
          waiting.set(
            sink,
            queue.map((w) => w.packet),
          );
        this.queues.clear();
        this.onError(error, waiting);
      },
    );
  }

  private release(generation: number): void {
    this.completed = Math.max(this.completed, generation);
    for (const [sink, queue] of this.queues) {
      let i = 0;
      while (i < queue.length && queue[i]!.generation <= this.completed) {
        const waiting = queue[i]!;
        if (waiting.lastWrite !== undefined && sink.state !== 'closed') {
          // Its write goes now; it and everything after it wait for one flush more.
          waiting.lastWrite();
          waiting.lastWrite = undefined;
          waiting.generation = this.nextGeneration;
          this.schedule();
          break;
        }
        i++;
      }
      if (sink.state !== 'closed') for (let j = 0; j < i; j++) sink.send(queue[j]!.packet);
      if (i === queue.length || sink.state === 'closed') this.queues.delete(sink);
      else queue.splice(0, i);
    }
  }
}

/** Wraps a session store so that every write bumps the gate's counter. */
export function countingSessionStore(store: SessionStore, gate: DurabilityGate): SessionStore {
  const bump =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      gate.writes++;
      fn(...args);
    };
  return {
    load: () => store.load(),
    saveSession: bump((r) => store.saveSession(r)),
    deleteSession: bump((id) => store.deleteSession(id)),
    saveOutbound: bump((id, r) => store.saveOutbound(id, r)),
    deleteOutbound: bump((id, seq, completed) => store.deleteOutbound(id, seq, completed)),
    saveIncomingQos2: bump((id, p) => store.saveIncomingQos2(id, p)),
    deleteIncomingQos2: bump((id, p) => store.deleteIncomingQos2(id, p)),
    // No acknowledgement waits for a ban: no bump.
    saveBan: (ban) => store.saveBan(ban),
    deleteBan: (kind, value) => store.deleteBan(kind, value),
    flush: () => store.flush(),
    close: () => store.close(),
  };
}

export function countingRetainedStore(store: RetainedStore, gate: DurabilityGate): RetainedStore {
  return {
    load: () => store.load(),
    save: (m) => {
      gate.writes++;
      store.save(m);
    },
    delete: (t) => {
      gate.writes++;
      store.delete(t);
    },
    flush: () => store.flush(),
    close: () => store.close(),
  };
}
