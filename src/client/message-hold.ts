// Messages that arrive while nobody listens. A persistent session's queued messages and
// retained messages come right after CONNACK (or SUBACK), often in the same TCP segment,
// before `await connect()` returns and the application adds its 'message' listener or
// starts `for await (… of client.messages())`. They are acknowledged on arrival
// ([MQTT-4.6.0-2] in order), so dropping them would lose them for good: they are held,
// up to a bound, and handed to the first listener or iterator.
import { Fifo } from './fifo.js';
import type { Message } from './types.js';

export class MessageHold {
  readonly #held = new Fifo<Message>();
  #flushScheduled = false;
  /** Messages dropped because the hold was full (the newest are dropped, as in a queue). */
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly hasListener: () => boolean,
    private readonly emit: (message: Message) => void,
  ) {}

  /** Emits the message, or holds it while nobody listens or older ones wait (order kept). */
  deliver(message: Message): void {
    if (this.#held.length === 0 && this.hasListener()) {
      this.emit(message);
      return;
    }
    if (this.#held.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.#held.push(message);
    this.listenerAdded();
  }

  /**
   * A listener came: flush on a microtask, so that every listener added in the same
   * synchronous block (a 'message' handler and an iterator, say) sees the held messages.
   * Socket data arrives on later macrotasks, so newer messages cannot overtake them.
   */
  listenerAdded(): void {
    if (this.#flushScheduled || this.#held.length === 0 || !this.hasListener()) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#flush);
  }

  clear(): void {
    this.#held.drain();
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    while (this.#held.length > 0 && this.hasListener()) this.emit(this.#held.shift()!);
  };
}
