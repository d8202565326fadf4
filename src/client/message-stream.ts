// Incoming messages as an async iterator: `for await (const m of client.messages('a/#'))`.
// Messages are buffered from the moment the stream is made; it ends when the client ends
// or when the loop exits (break/return), which removes its listener.
import type { Message, MqttClient } from './client.js';
import { Fifo } from './fifo.js';

export class MessageStream implements AsyncIterableIterator<Message> {
  readonly #buffer = new Fifo<Message>();
  #waiter: ((result: IteratorResult<Message>) => void) | undefined;
  #done = false;

  constructor(
    private readonly client: MqttClient,
    private readonly match: ((topic: string) => boolean) | undefined,
  ) {
    client.on('message', this.#onMessage);
    client.on('end', this.#onEnd);
  }

  /** Messages received but not yet taken by the loop. */
  get buffered(): number {
    return this.#buffer.length;
  }

  readonly #onMessage = (message: Message): void => {
    if (this.match && !this.match(message.topic)) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter({ value: message, done: false });
    } else {
      this.#buffer.push(message);
    }
  };

  readonly #onEnd = (): void => {
    this.#finish();
  };

  next(): Promise<IteratorResult<Message>> {
    const message = this.#buffer.shift();
    if (message) return Promise.resolve({ value: message, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<Message>> {
    this.#finish();
    this.#buffer.drain();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.client.off('message', this.#onMessage);
    this.client.off('end', this.#onEnd);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }
}
