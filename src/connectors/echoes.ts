// Loop safety for `both` lines over MQTT 3.1.1, which has no No Local: the remote broker sends
// the bridge's own publishes back on its `in` subscription. The bridge remembers what it sent
// on topics it also subscribes to (bounded), and drops each such message once when it returns.
// A remote client sending the very same topic and payload at that moment is dropped with it.
import { topicMatches } from '../topic/index.js';

const MAX_REMEMBERED = 10_000;

export class Echoes {
  /** topic + NUL + payload (latin1, so every byte maps to one char) → how many are due back. */
  readonly #due = new Map<string, number>();
  dropped = 0;

  constructor(private readonly remoteFilters: readonly string[]) {}

  /** Notes an outgoing message if it will come back (a remote filter of ours matches it). */
  sent(topic: string, payload: Uint8Array | string): void {
    if (!this.remoteFilters.some((filter) => topicMatches(filter, topic))) return;
    const key = keyOf(topic, payload);
    this.#due.set(key, (this.#due.get(key) ?? 0) + 1);
    if (this.#due.size > MAX_REMEMBERED) this.#due.delete(this.#due.keys().next().value!);
  }

  /** Whether an incoming message is one of ours coming back (and forgets it once). */
  isEcho(topic: string, payload: Uint8Array): boolean {
    if (this.#due.size === 0) return false;
    const key = keyOf(topic, payload);
    const count = this.#due.get(key);
    if (count === undefined) return false;
    if (count > 1) this.#due.set(key, count - 1);
    else this.#due.delete(key);
    this.dropped++;
    return true;
  }
}

function keyOf(topic: string, payload: Uint8Array | string): string {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return `${topic}\0${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')}`;
}
