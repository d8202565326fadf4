// A minimal typed event emitter that runs in Node and in browsers. Unlike Node's
// EventEmitter, an 'error' event with no listener is dropped, never thrown: the client
// reports failures through rejected promises too, and must not crash its host.

type Listener<A> = (arg: A) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #listeners = new Map<keyof Events, Listener<never>[]>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener as Listener<never>);
    else this.#listeners.set(event, [listener as Listener<never>]);
    return this;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.#listeners.get(event);
    const index = list ? list.indexOf(listener as Listener<never>) : -1;
    if (index >= 0) list!.splice(index, 1);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapper = (arg: Events[K]) => {
      this.off(event, wrapper);
      listener(arg);
    };
    return this.on(event, wrapper);
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /**
   * Calls every listener; a listener that throws does not stop the others, and its error is
   * re-raised asynchronously so it is seen, as an uncaught exception would be.
   */
  protected emit<K extends keyof Events>(event: K, arg: Events[K]): void {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return;
    if (list.length === 1) callSafely(list[0] as Listener<Events[K]>, arg);
    else for (const listener of list.slice()) callSafely(listener as Listener<Events[K]>, arg);
  }
}

function callSafely<A>(listener: Listener<A>, arg: A): void {
  try {
    listener(arg);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
