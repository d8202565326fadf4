// Writes a sink's batches to the remote broker through the client, pipelined: a batch is done
// once the client has it (in the socket's next write, or in flight within the server's Receive
// Maximum), not once every PUBACK is in, so batches follow each other without a round trip
// between them. Waiting for the acknowledgements of each batch stalls on a remote that sends
// them with Nagle's algorithm on (Mosquitto's default): ~40 ms per batch.
//
// Unacknowledged QoS 1/2 messages are bounded by WINDOW: a batch waits for room before any of it
// is sent, so a batch refused for lack of room can be retried whole. They stay with the client,
// which re-sends them in order after a reconnect [MQTT-4.6.0-1]; one refused later (a reason
// code of 0x80 or above, or the client ended) moves from the sink's success count to its drops.
import { type MqttClient, MqttClientError } from '../client/index.js';
import type { QoS } from '../protocol/constants.js';
import { within } from './base.js';
import { type BufferedSink, TargetDown } from './delivery.js';
import type { Echoes } from './echoes.js';

export interface OutgoingMessage {
  topic: string;
  payload: Buffer | string;
  qos: QoS;
  retain: boolean;
}

/** QoS 1/2 messages handed to the client and not yet acknowledged, at most. */
export const WINDOW = 1_000;

export class PipelinedPublisher {
  #unacked = 0;
  #room: (() => void) | undefined;
  #sink: BufferedSink<OutgoingMessage> | undefined;

  constructor(
    private readonly name: string,
    private readonly timeoutMs: number,
    private readonly echoes: Echoes | undefined,
  ) {}

  /** The sink whose counters a later refusal corrects. */
  attach(sink: BufferedSink<OutgoingMessage>): void {
    this.#sink = sink;
  }

  get unacknowledged(): number {
    return this.#unacked;
  }

  /** Hands a batch to the client, in order; refused (nothing sent) while disconnected. */
  async publish(client: MqttClient | undefined, batch: readonly OutgoingMessage[]) {
    if (!client?.connected) throw this.#down();
    if (this.#unacked >= WINDOW) await this.#waitForRoom(client);
    let room: Promise<unknown> | undefined;
    for (const m of batch) {
      this.echoes?.sent(m.topic, m.payload);
      const sent = client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain });
      if (m.qos === 0) {
        // Rejected at once when the client refuses it (too large for the remote).
        sent.then(undefined, this.#refusedAtOnce);
        room = sent;
      } else {
        this.#unacked++;
        sent.then(this.#acknowledged, this.#refused);
      }
    }
    // A QoS 0 publish resolves once the client's writer is under its high-water mark.
    if (room) await room.catch(() => {});
    return undefined;
  }

  async #waitForRoom(client: MqttClient): Promise<void> {
    const room = new Promise<void>((resolve) => (this.#room = resolve));
    try {
      await within(room, this.timeoutMs, 'the acknowledgement');
    } catch (error) {
      throw client.connected ? error : this.#down(error);
    }
  }

  #down(cause?: unknown): TargetDown {
    return new TargetDown(`MQTT connector '${this.name}' is not connected`, { cause });
  }

  readonly #acknowledged = (): void => {
    this.#unacked--;
    if (this.#room && this.#unacked <= WINDOW / 2) {
      this.#room();
      this.#room = undefined;
    }
  };

  readonly #refused = (error: Error): void => {
    this.#acknowledged();
    this.#refusedAtOnce(error);
  };

  readonly #refusedAtOnce = (error: Error): void => {
    const shutdown = error instanceof MqttClientError && error.code === 'CLIENT_CLOSED';
    this.#sink?.refusedAfterWrite(shutdown ? 'shutdown' : 'rejected', error);
  };
}
