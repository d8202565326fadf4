// Sample records and comparison helpers for the store contract suites.
import assert from 'node:assert/strict';
import type { MessageRecord, OutboundRecord, SessionRecord } from '../broker/ports.js';

/** A fresh store over fresh data, and a way to open the same data again. */
export interface StoreHandle<S> {
  store: S;
  /**
   * Opens a new store over the data the previous one left. The suite has closed the previous
   * store (with its own close()) before calling this.
   */
  reopen(): Promise<S>;
  /** Closes whatever is still open and removes the data. */
  cleanup(): Promise<void>;
}

export type MakeStore<S> = () => Promise<StoreHandle<S>>;

/** Runs `body` on a new store and always cleans up. */
export async function withStore<S>(
  makeStore: MakeStore<S>,
  body: (handle: StoreHandle<S>) => Promise<void>,
): Promise<void> {
  const handle = await makeStore();
  try {
    await body(handle);
  } finally {
    await handle.cleanup();
  }
}

/** Every byte value, so no encoding step can mangle one unnoticed. */
export const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

export function message(topic: string, overrides: Partial<MessageRecord> = {}): MessageRecord {
  return {
    topic,
    payload: Buffer.from(`payload of ${topic}`),
    qos: 1,
    retain: false,
    properties: {},
    ...overrides,
  };
}

/** A message using every property a PUBLISH can carry, and an expiry. */
export function richMessage(topic: string): MessageRecord {
  return {
    topic,
    payload: ALL_BYTES,
    qos: 2,
    retain: true,
    properties: {
      payloadFormatIndicator: 1,
      messageExpiryInterval: 3600,
      contentType: 'application/octet-stream; charset=ü',
      responseTopic: 'replies/client-1',
      correlationData: Uint8Array.of(0, 255, 1, 254),
      userProperties: [
        ['trace', 'a'],
        ['trace', 'b'],
        ['', ''],
        ['名前', '値 ✓'],
      ],
    },
    expiresAt: 1_900_000_000_123,
  };
}

export function outbound(seq: number, overrides: Partial<OutboundRecord> = {}): OutboundRecord {
  return { seq, message: message(`t/${seq}`), state: 'queued', ...overrides };
}

/** A 5.0 session with every optional field set. */
export function fullSession(clientId: string): SessionRecord {
  return {
    clientId,
    protocolVersion: 5,
    expiryInterval: 0xffffffff,
    disconnectedAt: 1_700_000_000_000,
    subscriptions: [
      {
        topicFilter: 'sensors/+/temp',
        qos: 2,
        noLocal: true,
        retainAsPublished: true,
        retainHandling: 2,
        subscriptionIdentifier: 268_435_455,
      },
      { topicFilter: '#', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 1 },
    ],
    delayedWill: { message: richMessage('wills/x'), publishAt: 1_700_000_060_000 },
  };
}

/** A 3.1.1 session: no optional field at all. */
export function plainSession(clientId: string): SessionRecord {
  return { clientId, protocolVersion: 4, expiryInterval: 0, subscriptions: [] };
}

/**
 * The value with absent and undefined fields treated alike and every byte array as a plain
 * Uint8Array, so Buffer and Uint8Array payloads with the same bytes compare equal.
 */
export function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, canonical(v)]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field !== undefined) out[key] = canonical(field);
    }
    return out;
  }
  return value;
}

export function assertSameRecords(actual: unknown, expected: unknown, message?: string): void {
  assert.deepStrictEqual(canonical(actual), canonical(expected), message);
}

export function byTopic(a: MessageRecord, b: MessageRecord): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0;
}

export function byClientId(a: SessionRecord, b: SessionRecord): number {
  return a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0;
}
