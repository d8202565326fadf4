// Delivery a rule can trust: every sink queues its records in a bounded buffer (memory, then
// disk), writes them in batches from one loop, retries while the target is down, and counts
// every record that does not arrive by reason. One loop per sink: a slow target delays only
// its own sink, and push() is a synchronous append that never waits for it.
//
// Order: the buffer is one FIFO and one batch is in flight at a time, so records leave in the
// order they were pushed; order per orderKey (rule and topic) follows from it.
import { type Settings, type Where, checkKeys, readInt } from './config.js';
import { DiskQueue } from './disk-queue.js';
import type { Log, SinkConfig, SinkCounters, Sink } from './types.js';

/** The target cannot be reached (refused, reset, not connected): retried as long as it takes. */
export class TargetDown extends Error {
  override name = 'TargetDown';
}

/** The target answered and refused the records (4xx, a constraint, a wrong type): not retried. */
export class Rejected extends Error {
  override name = 'Rejected';
}

/** What a connector supplies for one sink; any other error from write() is retried maxRetries times. */
export interface SinkWriter<T> {
  /** Renders one rule output into what write() sends; a throw drops it as 'rejected'. */
  prepare(output: Readonly<Record<string, unknown>>): T;
  /** Writes a batch, in order; resolves with the errors of records the target refused one by
   *  one (Redis answers each command of a pipeline), if any. */
  write(batch: readonly T[]): Promise<readonly Error[] | undefined>;
  /** Called once with the sink, for a writer that reports refusals after write() resolved. */
  attach?(sink: BufferedSink<T>): void;
}

export interface DeliveryOptions {
  memory: number;
  disk: number;
  batchSize: number;
  batchTimeMs: number;
  maxRetries: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

/** The keys every sink takes besides its connector's own. */
export const DELIVERY_KEYS = [
  'connector',
  'type',
  'buffer',
  'batchSize',
  'batchTimeMs',
  'maxRetries',
  'retryInitialMs',
  'retryMaxMs',
] as const;

const HOUR = 3_600_000;

export function readDeliveryOptions(
  config: SinkConfig,
  where: Where,
  defaults: { batchSize: number; disk: boolean },
): DeliveryOptions {
  const buffer = (config.buffer ?? {}) as Settings;
  if (typeof buffer !== 'object' || buffer === null || Array.isArray(buffer)) {
    throw new Error(`${where}: buffer must be a map {memory, disk}`);
  }
  checkKeys(buffer, ['memory', 'disk'], `${where} buffer`);
  const max = 100_000_000;
  return {
    memory: readInt(buffer, 'memory', `${where} buffer`, { min: 1, max, fallback: 10_000 }),
    disk: readInt(buffer, 'disk', `${where} buffer`, {
      min: 0,
      max,
      fallback: defaults.disk ? 1_000_000 : 0,
    }),
    batchSize: readInt(config, 'batchSize', where, {
      min: 1,
      max: 10_000,
      fallback: defaults.batchSize,
    }),
    batchTimeMs: readInt(config, 'batchTimeMs', where, { min: 0, max: HOUR, fallback: 5 }),
    maxRetries: readInt(config, 'maxRetries', where, { min: 0, max: 1_000_000, fallback: 10 }),
    retryInitialMs: readInt(config, 'retryInitialMs', where, { min: 1, max: HOUR, fallback: 100 }),
    retryMaxMs: readInt(config, 'retryMaxMs', where, { min: 1, max: HOUR, fallback: 2_000 }),
  };
}

const CLOSE_WAIT_MS = 5_000;
const LOG_EVERY_MS = 10_000;

export class BufferedSink<T> implements Sink {
  readonly counters: SinkCounters = {
    success: 0,
    failed: 0,
    queued: 0,
    inflight: 0,
    retried: 0,
    dropped: {},
  };
  readonly #memory: T[] = [];
  #memoryHead = 0;
  readonly #disk: DiskQueue<T> | undefined;
  #inflight: readonly T[] = [];
  #closed = false;
  #stop: () => void = () => {};
  readonly #stopped = new Promise<void>((resolve) => (this.#stop = resolve));
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;
  readonly #lastLog = new Map<string, number>();

  constructor(
    readonly id: string,
    private readonly writer: SinkWriter<T>,
    private readonly options: DeliveryOptions,
    private readonly log: Log,
    dataDir: string | undefined,
    private readonly onClose: () => void = () => {},
  ) {
    this.#disk =
      dataDir !== undefined && options.disk > 0
        ? DiskQueue.open<T>(dataDir, id, (error) => this.#lostOnDisk(error))
        : undefined;
    this.counters.queued = this.#disk?.size ?? 0;
    writer.attach?.(this);
    this.#loop = this.#run();
  }

  /**
   * Nothing buffered or being written, and open: a record its owner writes to the target
   * itself now still leaves in push order (the MQTT bridge's QoS 0 forwards do, see delivered()).
   */
  get idle(): boolean {
    return this.counters.queued === 0 && this.#inflight.length === 0 && !this.#closed;
  }

  /** Counts a record written around the buffer while idle, as a success. */
  delivered(): void {
    this.counters.success++;
  }

  /** A record counted as a success that the target refused later (a pipelined MQTT PUBACK). */
  refusedAfterWrite(reason: string, error: unknown): void {
    this.counters.success--;
    this.#giveUp(reason, 1, error);
  }

  push(output: Readonly<Record<string, unknown>>, _orderKey: string): void {
    if (this.#closed) {
      this.#drop('shutdown', 1);
      return;
    }
    let record: T;
    try {
      record = this.writer.prepare(output);
    } catch (error) {
      this.#giveUp('rejected', 1, error);
      return;
    }
    const inMemory = this.#memory.length - this.#memoryHead;
    const onDisk = this.#disk?.size ?? 0;
    // Disk records are all newer than memory ones: once spilling, new records follow them.
    if (onDisk === 0 && inMemory < this.options.memory) this.#memory.push(record);
    else if (this.#disk && onDisk < this.options.disk) {
      if (!this.#spill(record)) return;
    } else {
      this.#drop('buffer_full', 1);
      return;
    }
    this.counters.queued++;
    this.#wake?.();
  }

  /** Appends to the disk part; a write LMDB refuses at once (disk or map full) is a drop. */
  #spill(record: T): boolean {
    try {
      this.#disk!.push(record);
      return true;
    } catch (error) {
      this.#drop('disk_error', 1, error);
      return false;
    }
  }

  #lostOnDisk(error: unknown): void {
    this.counters.queued--;
    this.#drop('disk_error', 1, error);
  }

  /** Stops the loop; records not delivered go to disk when there is one, else count as 'shutdown'. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose();
    this.#stop();
    this.#wake?.();
    await Promise.race([this.#loop, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
    const left = [...this.#inflight, ...this.#takeMemory(Number.MAX_SAFE_INTEGER)];
    this.#inflight = [];
    this.counters.inflight = 0;
    if (this.#disk) {
      this.#disk.unshift(left);
      await this.#disk.close();
    } else if (left.length > 0) this.#drop('shutdown', left.length);
    this.counters.queued = 0;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const batch = await this.#nextBatch();
      if (batch.length === 0) continue;
      // Interrupted by close(): the batch stays in #inflight for close() to keep.
      if (!(await this.#deliver(batch))) return;
      this.#setInflight([]);
    }
  }

  #setInflight(records: readonly T[]): void {
    this.#inflight = records;
    this.counters.inflight = records.length;
  }

  /** Waits for records; with batchSize > 1, lingers up to batchTimeMs for a fuller batch. */
  async #nextBatch(): Promise<T[]> {
    const { batchSize, batchTimeMs } = this.options;
    if (this.counters.queued === 0) await this.#sleep(Number.POSITIVE_INFINITY);
    if (batchSize > 1 && this.counters.queued < batchSize && batchTimeMs > 0) {
      const until = Date.now() + batchTimeMs;
      while (!this.#closed && this.counters.queued < batchSize && Date.now() < until) {
        await this.#sleep(until - Date.now());
      }
    }
    if (this.#closed) return [];
    if (this.#memory.length === this.#memoryHead && this.#disk && this.#disk.size > 0) {
      for (const record of this.#disk.shift(Math.min(this.options.memory, 10 * batchSize))) {
        this.#memory.push(record);
      }
    }
    const batch = this.#takeMemory(batchSize);
    this.counters.queued -= batch.length;
    this.#setInflight(batch);
    return batch;
  }

  #takeMemory(count: number): T[] {
    const end = Math.min(this.#memory.length, this.#memoryHead + count);
    const batch = this.#memory.slice(this.#memoryHead, end);
    this.#memoryHead = end;
    // Compact now and then rather than shift() per record (O(n) each).
    if (this.#memoryHead > 1024 && this.#memoryHead * 2 > this.#memory.length) {
      this.#memory.splice(0, this.#memoryHead);
      this.#memoryHead = 0;
    }
    return batch;
  }

  /** Writes until the target takes the batch, refuses it, or retries run out; false if closed first. */
  async #deliver(batch: readonly T[]): Promise<boolean> {
    let answered = 0; // failures other than TargetDown: only these count against maxRetries
    for (let attempt = 0; ; attempt++) {
      try {
        const refused = (await this.writer.write(batch)) ?? [];
        this.counters.success += batch.length - refused.length;
        if (refused.length > 0) this.#giveUp('rejected', refused.length, refused[0]);
        return true;
      } catch (error) {
        if (error instanceof Rejected) return this.#refused(batch, error);
        if (!(error instanceof TargetDown) && answered++ >= this.options.maxRetries) {
          this.#giveUp('retries_exhausted', batch.length, error);
          return true;
        }
        if (this.#closed) return false;
        this.#note('retry', error);
        this.counters.retried += batch.length;
        await this.#pause(this.#backoff(attempt));
        if (this.#closed) return false;
      }
    }
  }

  /** A refused batch of several is written one by one, so only the records at fault are dropped. */
  async #refused(batch: readonly T[], error: Rejected): Promise<boolean> {
    if (batch.length === 1) {
      this.#giveUp('rejected', 1, error);
      return true;
    }
    for (let i = 0; i < batch.length; i++) {
      this.#setInflight(batch.slice(i));
      if (!(await this.#deliver([batch[i]!]))) return false;
    }
    return true;
  }

  #backoff(attempt: number): number {
    return Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** attempt);
  }

  #giveUp(reason: string, count: number, error?: unknown): void {
    this.counters.failed += count;
    this.#drop(reason, count, error);
  }

  #drop(reason: string, count: number, error?: unknown): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + count;
    this.#note(reason, error);
  }

  /** Logs a kind of trouble at most once per LOG_EVERY_MS per sink: a down target must not flood. */
  #note(reason: string, error?: unknown): void {
    const now = Date.now();
    if (now - (this.#lastLog.get(reason) ?? 0) < LOG_EVERY_MS) return;
    this.#lastLog.set(reason, now);
    const detail = error instanceof Error ? error.message : undefined;
    this.log.warn(
      { sink: this.id, reason, error: detail, counters: this.counters },
      'sink trouble',
    );
  }

  /** Waits `ms` between retries; only close() cuts it short (pushes must not speed retries up). */
  async #pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (timer = setTimeout(r, ms))), this.#stopped]);
    clearTimeout(timer);
  }

  /** Sleeps `ms`, or until push() or close() wakes it. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.#wake === done) self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }
}
