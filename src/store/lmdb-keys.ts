// Binary keys of the LMDB store (format version 1). Client ids and topics may be up to 65,535
// bytes but LMDB keys must stay under ~2 KB, so a long name is replaced by its SHA-256 and
// the value then carries the name itself. A one-byte tag keeps the two forms apart.
import { createHash } from 'node:crypto';

/** Longer names (in UTF-8 bytes) are stored under their digest. */
const MAX_PLAIN_NAME_BYTES = 1024;
const PLAIN = 0x73; // 's'
const DIGEST = 0x68; // 'h'
const SEPARATOR = 0x00;
const NUMBER_BYTES = 8;

/** A client id or topic as a key: 's' + UTF-8, or 'h' + the hex SHA-256 of the UTF-8. */
export function nameKey(name: string): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  // U+0000 never appears in a valid MQTT string [MQTT-1.5.4-2]; the digest form keeps the
  // separator below unambiguous even if one gets here.
  if (utf8.length <= MAX_PLAIN_NAME_BYTES && !utf8.includes(SEPARATOR)) {
    return Buffer.concat([Buffer.of(PLAIN), utf8]);
  }
  const digest = createHash('sha256').update(utf8).digest('hex');
  return Buffer.concat([Buffer.of(DIGEST), Buffer.from(digest, 'latin1')]);
}

/** The name a key holds, or undefined when it only holds a digest. */
export function nameOfKey(key: Uint8Array): string | undefined {
  if (key[0] !== PLAIN) return undefined;
  return Buffer.from(key.buffer, key.byteOffset + 1, key.byteLength - 1).toString('utf8');
}

/**
 * A per-client key: nameKey + 0x00 + the number as 8 bytes big-endian, so one client's keys
 * are contiguous and in numeric order. `name` is already a nameKey (no 0x00 inside).
 */
export function clientScopedKey(client: Buffer, n: number): Buffer {
  const key = Buffer.allocUnsafe(client.length + 1 + NUMBER_BYTES);
  client.copy(key, 0);
  key[client.length] = SEPARATOR;
  // Split in two 32-bit halves: sequence numbers may outgrow 2^32 but never 2^53.
  key.writeUInt32BE(Math.floor(n / 0x1_0000_0000), client.length + 1);
  key.writeUInt32BE(n >>> 0, client.length + 5);
  return key;
}

export function parseClientScopedKey(key: Uint8Array): { client: Buffer; n: number } {
  const buffer = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const at = buffer.length - NUMBER_BYTES;
  if (at < 2 || buffer[at - 1] !== SEPARATOR) throw new Error('malformed client-scoped key');
  const n = buffer.readUInt32BE(at) * 0x1_0000_0000 + buffer.readUInt32BE(at + 4);
  return { client: buffer.subarray(0, at - 1), n };
}
