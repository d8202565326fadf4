import { Buffer } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';
import {
  deflateRawSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateRawSync,
  inflateSync,
} from 'node:zlib';
import { SqlEvalError } from '../errors.js';
import type { SqlFunction } from '../scope.js';
import { toJson } from '../values.js';
import { bytes, fixed, fromBytes, impure, int, option, ranged, text } from './args.js';

const hash = (algorithm: string) =>
  fixed(1, ([v]) => createHash(algorithm).update(bytes(v)).digest('hex'));

function base64Encode(v: unknown, options: readonly unknown[]): string {
  const flags = options.map((o) =>
    option(o, ['no_padding', 'urlsafe', 'padding', 'standard'], 'standard'),
  );
  let encoded = bytes(v).toString(flags.includes('urlsafe') ? 'base64url' : 'base64');
  if (flags.includes('urlsafe') && !flags.includes('no_padding')) {
    encoded += '='.repeat((4 - (encoded.length % 4)) % 4);
  }
  return flags.includes('no_padding') ? encoded.replace(/=+$/, '') : encoded;
}

function hexToBytes(v: unknown): Buffer {
  let hex = text(v);
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new SqlEvalError(`not a hex string '${hex}'`);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

/** Decompression output is bounded: a small payload must not expand into gigabytes. */
const LIMIT = { maxOutputLength: 16 << 20 };
const unpack = (f: (b: Buffer, o: typeof LIMIT) => Buffer) =>
  fixed(1, ([v]) => {
    try {
      return fromBytes(f(bytes(v), LIMIT));
    } catch (error) {
      throw new SqlEvalError(`cannot decompress: ${(error as Error).message}`);
    }
  });

/** 64-bit two's complement integer operations, as Erlang's bignum bit operators on int64. */
const bits = (f: (a: bigint, b: bigint) => bigint) =>
  fixed(2, ([a, b]) => Number(BigInt.asIntN(64, f(BigInt(int(a)), BigInt(int(b))))));

/**
 * subbits(bin, [start,] length [, type, signedness, endianness]): `length` bits from bit
 * `start` (1-based), as an unsigned big-endian integer unless told otherwise.
 */
function subbits(args: unknown[]): unknown {
  const data = bytes(args[0]);
  const start = args.length >= 3 ? int(args[1]) : 1;
  const length = int(args.length >= 3 ? args[2] : args[1]);
  const type = option(args[3], ['integer', 'float', 'bits'], 'integer');
  const signed = option(args[4], ['unsigned', 'signed'], 'unsigned') === 'signed';
  const little = option(args[5], ['big', 'little'], 'big') === 'little';
  if (start < 1 || length < 1 || start - 1 + length > data.length * 8) {
    throw new SqlEvalError(`bits ${start}..${start + length - 1} are outside ${data.length * 8}`);
  }
  let value = 0n;
  for (let i = start - 1; i < start - 1 + length; i++) {
    value = (value << 1n) | BigInt((data[i >> 3]! >> (7 - (i & 7))) & 1);
  }
  if (type === 'bits') {
    const out = Buffer.alloc(Math.ceil(length / 8));
    for (
      let i = out.length - 1, v = value << BigInt(out.length * 8 - length);
      i >= 0;
      i--, v >>= 8n
    ) {
      out[i] = Number(v & 0xffn);
    }
    return fromBytes(out);
  }
  if (type === 'float') {
    if (length !== 32 && length !== 64) throw new SqlEvalError('a float is 32 or 64 bits');
    const raw = Buffer.alloc(8);
    raw.writeBigUInt64BE(value);
    return length === 32 ? raw.readFloatBE(4) : raw.readDoubleBE(0);
  }
  if (little) {
    if (length % 8 !== 0) throw new SqlEvalError('little-endian needs whole bytes');
    let swapped = 0n;
    for (let v = value, i = 0; i < length / 8; i++, v >>= 8n)
      swapped = (swapped << 8n) | (v & 0xffn);
    value = swapped;
  }
  return Number(signed ? BigInt.asIntN(length, value) : value);
}

export const CODEC: Record<string, SqlFunction> = {
  md5: hash('md5'),
  sha: hash('sha1'),
  sha256: hash('sha256'),
  base64_encode: ranged(1, 3, ([v, ...options]) => base64Encode(v, options)),
  base64_decode: ranged(1, 3, ([v]) => {
    const encoded = text(v);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(encoded)) {
      throw new SqlEvalError(`not base64 '${encoded}'`);
    }
    return fromBytes(Buffer.from(encoded, 'base64'));
  }),
  bin2hexstr: fixed(1, ([v]) => bytes(v).toString('hex').toUpperCase()),
  hexstr2bin: fixed(1, ([v]) => fromBytes(hexToBytes(v))),
  json_encode: fixed(1, ([v]) => toJson(v)),
  json_decode: fixed(1, ([v]) => {
    try {
      return JSON.parse(text(v));
    } catch (error) {
      if (error instanceof SqlEvalError) throw error;
      throw new SqlEvalError(`not JSON: ${text(v).slice(0, 64)}`);
    }
  }),
  gzip: fixed(1, ([v]) => fromBytes(gzipSync(bytes(v)))),
  gunzip: unpack(gunzipSync),
  zip: fixed(1, ([v]) => fromBytes(deflateRawSync(bytes(v)))),
  unzip: unpack(inflateRawSync),
  zip_compress: fixed(1, ([v]) => fromBytes(deflateSync(bytes(v)))),
  zip_uncompress: unpack(inflateSync),
  subbits: ranged(2, 6, subbits),
  bitand: bits((a, b) => a & b),
  bitor: bits((a, b) => a | b),
  bitxor: bits((a, b) => a ^ b),
  // Shifts past 64 bits give what the 64-bit result would (and allocate nothing big).
  bitsl: bits((a, b) => a << (b > 64n ? 64n : b)),
  bitsr: bits((a, b) => a >> (b > 64n ? 64n : b)),
  bitnot: fixed(1, ([a]) => Number(BigInt.asIntN(64, ~BigInt(int(a))))),
  uuid_v4: impure(0, 0, () => randomUUID()),
  uuid_v4_no_hyphen: impure(0, 0, () => randomUUID().replaceAll('-', '')),
};
