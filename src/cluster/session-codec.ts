// A persistent session on the wire between nodes (hand-over at takeover). Messages travel as
// envelopes, so their payloads and properties keep their bytes; the rest is JSON.
import type { MessageRecord, TransferredSession } from '../broker/ports.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';

const pack = (message: MessageRecord) => encodeEnvelope(message).toString('base64');
const unpack = (text: string) => decodeEnvelope(Buffer.from(text, 'base64'));

export function encodeSession(session: TransferredSession): Buffer {
  const { record, outbound, incomingQos2 } = session;
  const will = record.delayedWill;
  return Buffer.from(
    JSON.stringify({
      record: {
        ...record,
        delayedWill: will && { publishAt: will.publishAt, message: pack(will.message) },
      },
      outbound: outbound.map((o) => ({ ...o, message: pack(o.message) })),
      incomingQos2,
    }),
  );
}

export function decodeSession(bytes: Uint8Array): TransferredSession {
  const wire = JSON.parse(Buffer.from(bytes).toString('utf8'));
  const will = wire.record.delayedWill;
  return {
    record: {
      ...wire.record,
      delayedWill: will && { publishAt: will.publishAt, message: unpack(will.message) },
    },
    outbound: wire.outbound.map((o: { message: string }) => ({ ...o, message: unpack(o.message) })),
    incomingQos2: wire.incomingQos2,
  };
}
