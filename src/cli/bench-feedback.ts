// The end-to-end window of `culex bench pub` (closed loop, as mqttload's fan-in): each
// publisher keeps at most E messages sent but not yet seen by the subscribers. `bench sub`
// tells the publishers how far it got: every few ms it publishes, on a feedback topic, the
// next sequence number it expects from each publisher. Without such reports the publishers
// run open loop. Publishing as fast as the broker takes messages, with bounded queues, keeps
// the broker busy and the figures meaningful; an open-loop flood fills socket buffers and
// broker queues without bound instead.
import type { MqttClient } from '../client/index.js';

export const FEEDBACK_TOPIC = 'culex-bench/feedback';
/** "CXBF": marks a feedback payload (bench payloads start with "CXB1"). */
export const FEEDBACK_MAGIC = 0x43584246;
/** QoS 0: a lost report is superseded by the next one a few ms later. */
export const FEEDBACK_QOS = 0;
/** Reports go out at most this often, so they cost the broker little next to the load. */
const REPORT_MS = 2;
/** A blocked publisher that hears nothing for this long is unblocked (QoS 0 tail loss). */
const UNSTICK_MS = 200;
/** A subscriber process silent this long no longer holds the publishers back. */
const REPORTER_EXPIRY_MS = 1_000;

/** Sub side: collects the progress per publisher and publishes it, coalesced. */
export class FeedbackReporter {
  readonly #progress = new Map<number, number>();
  readonly #reporter = (Math.random() * 0x1_0000_0000) >>> 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
  ) {}

  /** `next` is the next sequence number expected from `publisher`. */
  note(publisher: number, next: number): void {
    this.#progress.set(publisher, next);
    this.#timer ??= setTimeout(this.#flush, REPORT_MS);
  }

  readonly #flush = (): void => {
    this.#timer = undefined;
    if (this.#progress.size === 0 || !this.client.connected) return;
    const payload = Buffer.allocUnsafe(8 + this.#progress.size * 8);
    payload.writeUInt32BE(FEEDBACK_MAGIC, 0);
    payload.writeUInt32BE(this.#reporter, 4);
    let offset = 8;
    for (const [publisher, next] of this.#progress) {
      payload.writeUInt32BE(publisher, offset);
      payload.writeUInt32BE(next, offset + 4);
      offset += 8;
    }
    this.#progress.clear();
    this.client.publish(this.topic, payload, { qos: FEEDBACK_QOS }).catch(() => {});
  };

  stop(): void {
    clearTimeout(this.#timer);
  }
}

export const isFeedback = (payload: Uint8Array): boolean =>
  payload.length >= 8 &&
  ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0 ===
    FEEDBACK_MAGIC;

interface PublisherState {
  sent: number;
  /** Next sequence number expected, per subscriber process that reported it. */
  seen: Map<number, { next: number; at: number }>;
  /** Counted as delivered without news from the subscribers (see #unstick). */
  forgiven: number;
  blockedAt: number;
  wake: (() => void) | undefined;
}

/** Pub side: how many more messages each publisher may send. */
export class EndToEndWindow {
  readonly #publishers = new Map<number, PublisherState>();
  readonly #timer: ReturnType<typeof setInterval>;
  /** Times a blocked publisher was let go without hearing from the subscribers. */
  resets = 0;

  /** `size` messages per publisher in flight end to end; publishing resumes at a quarter free. */
  constructor(readonly size: number) {
    this.#timer = setInterval(this.#unstick, UNSTICK_MS / 4);
  }

  get minimum(): number {
    return Math.max(1, Math.floor(this.size / 4));
  }

  add(publisher: number): void {
    this.#publishers.set(publisher, {
      sent: 0,
      seen: new Map(),
      forgiven: 0,
      blockedAt: 0,
      wake: undefined,
    });
  }

  /**
   * Messages `publisher` may still send; 0 below the refill threshold. Unbounded while no
   * subscriber reports on it: without a `bench sub`, or once it fell silent, publishing is
   * open loop rather than held back by news that will never come.
   */
  room(publisher: number): number {
    const state = this.#publishers.get(publisher)!;
    if (state.seen.size === 0) return Number.POSITIVE_INFINITY;
    const room = this.size - (state.sent - this.#delivered(state));
    return room >= this.minimum ? room : 0;
  }

  sent(publisher: number, count: number): void {
    this.#publishers.get(publisher)!.sent += count;
  }

  /** Resolves once the publisher may send again (or the loop should re-check). */
  wait(publisher: number): Promise<void> {
    const state = this.#publishers.get(publisher)!;
    state.blockedAt ||= Date.now();
    return new Promise((resolve) => {
      state.wake = resolve;
    });
  }

  /** The least progress over the subscriber processes heard from lately. */
  #delivered(state: PublisherState): number {
    let least = Number.POSITIVE_INFINITY;
    for (const { next } of state.seen.values()) least = Math.min(least, next);
    return least === Number.POSITIVE_INFINITY ? state.forgiven : Math.max(least, state.forgiven);
  }

  /** A feedback payload from `bench sub`. */
  onFeedback(payload: Uint8Array): void {
    if (!isFeedback(payload)) return;
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const reporter = view.getUint32(4);
    const now = Date.now();
    for (let offset = 8; offset + 8 <= payload.length; offset += 8) {
      const state = this.#publishers.get(view.getUint32(offset));
      if (!state) continue;
      state.seen.set(reporter, { next: view.getUint32(offset + 4), at: now });
      if (state.wake && this.room(view.getUint32(offset)) > 0) this.#release(state);
    }
  }

  #release(state: PublisherState): void {
    const wake = state.wake;
    state.wake = undefined;
    state.blockedAt = 0;
    wake?.();
  }

  /** Forgets silent subscribers; lets go a publisher blocked with no news (lost messages). */
  readonly #unstick = (): void => {
    const now = Date.now();
    for (const state of this.#publishers.values()) {
      for (const [reporter, { at }] of state.seen) {
        if (now - at > REPORTER_EXPIRY_MS) state.seen.delete(reporter);
      }
      if (state.wake && state.seen.size === 0) this.#release(state);
      if (!state.wake || now - state.blockedAt < UNSTICK_MS) continue;
      state.forgiven = state.sent;
      this.resets++;
      this.#release(state);
    }
  };

  stop(): void {
    clearInterval(this.#timer);
    for (const state of this.#publishers.values()) this.#release(state);
  }
}
