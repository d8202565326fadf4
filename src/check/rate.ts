// The rate bound of a run: every connection opened and every packet sent takes a slot.
// Slots are spaced evenly, with a small burst, so a run never hits a broker harder than
// `perSecond` whatever the concurrency.
const BURST = 20;

export class RateLimit {
  private readonly interval: number;
  private next = 0;

  constructor(perSecond: number) {
    this.interval = 1000 / perSecond;
  }

  take(): Promise<void> {
    const now = performance.now();
    this.next = Math.max(this.next, now - BURST * this.interval);
    const wait = this.next - now;
    this.next += this.interval;
    return wait <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, wait));
  }
}
