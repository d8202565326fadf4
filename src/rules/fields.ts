// The fields a rule sees, with EMQX's names: a message's (id, clientid, payload, pub_props …)
// and the common ones of every event. Built only for a rule that will read them.
import type { Message } from '../broker/message.js';
import type { ClientInfo } from '../broker/ports.js';
import type { Properties } from '../protocol/packets.js';
import { ReasonCode } from '../protocol/constants.js';

export type Fields = Record<string, unknown>;

let sequence = 0;
// Unique per process run: the start time, then a counter (hex, as EMQX's ids).
const bootId = `${Date.now().toString(16)}${process.pid.toString(16)}`;

/** EMQX gives every message a unique hex id; ours is the cluster id when it has one. */
export function messageId(message: Message): string {
  return message.id ?? bootId + (++sequence).toString(16);
}

/** Shared by every input without properties: inputs are never mutated (src/sql's contract). */
const NO_FIELDS: Fields = Object.freeze({});
const RETAINED = Object.freeze({ retain: true, dup: false });
const NOT_RETAINED = Object.freeze({ retain: false, dup: false });

/** EMQX's `flags` of a message: a shared record per value (dup is never set on arrival here). */
export const flagsOf = (message: Message) => (message.retain ? RETAINED : NOT_RETAINED);

/** A Buffer over the payload's bytes, no copy (the SQL layer reads Buffers as raw bytes). */
export function payloadOf(message: Message): Buffer {
  const p = message.payload;
  return Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** MQTT 5.0 properties as EMQX names them (`User-Property` as a map, `Message-Expiry-Interval` …). */
export function emqxProperties(properties: Properties): Fields {
  if (isEmpty(properties)) return NO_FIELDS;
  const out: Fields = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined || key === 'topicAlias' || key === 'subscriptionIdentifiers') continue;
    if (key === 'userProperties') {
      const pairs = value as [string, string][];
      out['User-Property'] = Object.fromEntries(pairs);
      out['User-Property-Pairs'] = pairs.map(([k, v]) => ({ key: k, value: v }));
    } else if (value instanceof Uint8Array) out[propertyName(key)] = Buffer.from(value);
    else out[propertyName(key)] = value;
  }
  return out;
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

/** messageExpiryInterval → Message-Expiry-Interval. */
function propertyName(key: string): string {
  return key
    .replace(/[A-Z]/g, (c) => `-${c}`)
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/-([a-z])/g, (_, c: string) => `-${c.toUpperCase()}`);
}

/**
 * The fields of a message a rule must compute (id, payload, pub_props, the clock's time) as
 * bits: the rest are references, cheap to give always. NEEDS_ALL for a rule that reads every
 * field (`SELECT *`).
 */
export const Needs = { id: 1, payload: 2, pubProps: 4, time: 8 } as const;
export const NEEDS_ALL = Needs.id | Needs.payload | Needs.pubProps | Needs.time;

/** What messageFields must compute for a rule reading these fields (CompiledRule.reads). */
export function needsOf(reads: ReadonlySet<string> | undefined): number {
  if (reads === undefined) return NEEDS_ALL;
  return (
    (reads.has('id') ? Needs.id : 0) |
    (reads.has('payload') ? Needs.payload : 0) |
    (reads.has('pub_props') ? Needs.pubProps : 0) |
    (reads.has('timestamp') || reads.has('publish_received_at') ? Needs.time : 0)
  );
}

/**
 * The fields of a published message (FROM "topic/filter"), as EMQX's message.publish. Those
 * not in `needs` are undefined, as a missing field: no rule that runs on them reads them.
 */
export function messageFields(
  message: Message,
  client: ClientInfo | undefined,
  node: string,
  now: () => number,
  needs: number = NEEDS_ALL,
): Fields {
  const time = needs & Needs.time ? now() : undefined;
  return {
    id: needs & Needs.id ? messageId(message) : undefined,
    clientid: client?.clientId ?? message.origin ?? '',
    username: client?.username,
    payload: needs & Needs.payload ? payloadOf(message) : undefined,
    peerhost: client?.remoteAddress,
    topic: message.topic,
    qos: message.qos,
    flags: flagsOf(message),
    pub_props: needs & Needs.pubProps ? emqxProperties(message.properties) : undefined,
    timestamp: time,
    publish_received_at: time,
    node,
    event: 'message.publish',
  };
}

const REASON_NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(ReasonCode))
  if (!REASON_NAMES.has(code)) REASON_NAMES.set(code, snake(name));

function snake(name: string): string {
  return name
    .replace(/QoS/g, 'Qos')
    .replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}

/** EMQX names reason codes in snake case: 0x87 → not_authorized, 0 → success. */
export function reasonName(code: number): string {
  return REASON_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

/** JSON text of an output, raw bytes as UTF-8 text (JSON has no bytes). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const original = key === '' ? v : (this as Record<string, unknown>)[key];
    return Buffer.isBuffer(original) ? original.toString('utf8') : v;
  });
}
