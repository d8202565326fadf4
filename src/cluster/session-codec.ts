// Persistent sessions as bytes between nodes and in the cluster's store. Messages travel as
// envelopes, so their payloads and properties keep their bytes; the rest is JSON.
import type {
  MessageRecord,
  OutboundRecord,
  SessionRecord,
  TransferredSession,
} from '../broker/ports.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';

const pack = (message: MessageRecord) => encodeEnvelope(message).toString('base64');
const unpack = (text: string) => decodeEnvelope(Buffer.from(text, 'base64'));

type Wire<T> = Record<string, unknown> & T;

function recordToWire(record: SessionRecord): object {
  const will = record.delayedWill;
  return {
    ...record,
    delayedWill: will && { publishAt: will.publishAt, message: pack(will.message) },
  };
}

function recordFromWire(wire: Wire<{ delayedWill?: { publishAt: number; message: string } }>) {
  const will = wire.delayedWill;
  return {
    ...wire,
    delayedWill: will && { publishAt: will.publishAt, message: unpack(will.message) },
  } as unknown as SessionRecord;
}

const outboundToWire = (o: OutboundRecord) => ({ ...o, message: pack(o.message) });
const outboundFromWire = (o: Wire<{ message: string }>) =>
  ({ ...o, message: unpack(o.message) }) as unknown as OutboundRecord;

export const encodeRecord = (record: SessionRecord) => JSON.stringify(recordToWire(record));
export const decodeRecord = (text: string) => recordFromWire(JSON.parse(text));
export const encodeOutbound = (record: OutboundRecord) => JSON.stringify(outboundToWire(record));
export const decodeOutbound = (text: string) => outboundFromWire(JSON.parse(text));

export function encodeSession(session: TransferredSession): Buffer {
  return Buffer.from(
    JSON.stringify({
      record: recordToWire(session.record),
      outbound: session.outbound.map(outboundToWire),
      incomingQos2: session.incomingQos2,
      completed: session.completed,
      heldBy: session.heldBy,
    }),
  );
}

export function decodeSession(bytes: Uint8Array): TransferredSession {
  const wire = JSON.parse(Buffer.from(bytes).toString('utf8'));
  return {
    record: recordFromWire(wire.record),
    outbound: wire.outbound.map(outboundFromWire),
    incomingQos2: wire.incomingQos2,
    completed: wire.completed,
    heldBy: wire.heldBy,
  };
}
