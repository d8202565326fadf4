// Keep-alive: [MQTT-3.1.2-20] a client idle for Keep Alive seconds sends PINGREQ, and a
// PINGRESP that does not come back within the ping timeout means the connection is dead.
// One timer, re-armed lazily: writes only record a timestamp, they never touch the timer.

export class KeepAlive {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly pingTimeoutMs: number,
    private readonly lastWrite: () => number,
    private readonly sendPing: () => void,
    private readonly onTimeout: () => void,
  ) {}

  start(): void {
    if (this.intervalMs > 0) this.#arm(this.intervalMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#pingTimer);
    this.#timer = undefined;
    this.#pingTimer = undefined;
  }

  onPingResponse(): void {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(this.#check, delay);
    unref(this.#timer);
  }

  readonly #check = (): void => {
    const idle = Date.now() - this.lastWrite();
    if (idle < this.intervalMs) {
      this.#arm(this.intervalMs - idle);
      return;
    }
    if (this.#pingTimer === undefined) {
      this.#pingTimer = setTimeout(this.onTimeout, this.pingTimeoutMs);
      unref(this.#pingTimer);
    }
    this.sendPing();
    this.#arm(this.intervalMs);
  };
}

/** Timers must not keep a Node process alive on their own; browsers have no unref. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}
