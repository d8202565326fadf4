// The SCRAM message grammar of RFC 5802 section 7, server side: parsing client-first and
// client-final. A parse failure is returned as the RFC's server-error value (e.g.
// "invalid-encoding"), which the server sends back as "e=<value>".

export const SCRAM_HASH_BYTES = 32;

export const base64 = (data: Uint8Array) => Buffer.from(data).toString('base64');

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** printable = %x21-2B / %x2D-7E: any visible ASCII character but ','. */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface ClientFirst {
  /** "n,," or "y,," (with an authzid when given): echoed in client-final's "c=". */
  gs2Header: string;
  /** client-first-message-bare: part of the AuthMessage both sides sign. */
  bare: string;
  username: string;
  nonce: string;
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  withoutProof: string;
  proof: Buffer;
}

/** saslname: ',' and '=' travel as "=2C" and "=3D"; any other '=' is malformed. */
function decodeSaslName(text: string): string | undefined {
  if (text.length === 0 || /=(?!2C|3D)/.test(text)) return undefined;
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** extensions = attr-val *("," attr-val); unknown ones are ignored, malformed ones are not. */
const isExtension = (part: string) => /^[A-Za-z]=/.test(part);

/** The value of attribute `name` ("n=alice" → "alice"), or undefined. */
function attribute(part: string | undefined, name: string): string | undefined {
  return part?.startsWith(`${name}=`) ? part.slice(name.length + 1) : undefined;
}

export function parseClientFirst(text: string): ClientFirst | string {
  const flagEnd = text.indexOf(',');
  const authzidEnd = text.indexOf(',', flagEnd + 1);
  if (flagEnd === -1 || authzidEnd === -1) return 'invalid-encoding';
  const flag = text.slice(0, flagEnd);
  // "y": the client could bind but believes we cannot; true, so it is fine.
  if (flag.startsWith('p=')) return 'channel-binding-not-supported';
  if (flag !== 'n' && flag !== 'y') return 'invalid-encoding';
  const gs2Header = text.slice(0, authzidEnd + 1);
  const bare = text.slice(authzidEnd + 1);
  const parts = bare.split(',');
  if (parts[0]?.startsWith('m=')) return 'extensions-not-supported';
  const username = decodeSaslName(attribute(parts[0], 'n') ?? '');
  const nonce = attribute(parts[1], 'r');
  if (username === undefined || nonce === undefined || !PRINTABLE.test(nonce)) {
    return 'invalid-encoding';
  }
  if (!parts.slice(2).every(isExtension)) return 'invalid-encoding';
  const authzidField = text.slice(flagEnd + 1, authzidEnd);
  if (authzidField.length > 0) {
    // Acting for another identity is not supported; naming oneself is harmless.
    const authzid = decodeSaslName(attribute(authzidField, 'a') ?? '');
    if (authzid !== username) return 'other-error';
  }
  return { gs2Header, bare, username, nonce };
}

export function parseClientFinal(text: string): ClientFinal | string {
  const proofStart = text.lastIndexOf(',p=');
  if (proofStart === -1) return 'invalid-encoding';
  const withoutProof = text.slice(0, proofStart);
  const proofText = text.slice(proofStart + 3);
  const parts = withoutProof.split(',');
  const channelBinding = attribute(parts[0], 'c');
  const nonce = attribute(parts[1], 'r');
  if (channelBinding === undefined || nonce === undefined || !parts.slice(2).every(isExtension)) {
    return 'invalid-encoding';
  }
  if (!BASE64.test(proofText) || proofText.length % 4 !== 0) return 'invalid-encoding';
  const proof = Buffer.from(proofText, 'base64');
  if (proof.length !== SCRAM_HASH_BYTES) return 'invalid-proof';
  return { channelBinding, nonce, withoutProof, proof };
}

/** RFC 3454 table C.1.2: non-ASCII spaces, mapped to SPACE by SASLprep. */
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
/** RFC 3454 table B.1: characters SASLprep maps to nothing (a set: some are combining marks). */
const MAPPED_TO_NOTHING = new Set([
  0x00ad,
  0x034f,
  0x1806,
  0x180b,
  0x180c,
  0x180d,
  0x200b,
  0x200c,
  0x200d,
  0x2060,
  0xfeff,
  ...Array.from({ length: 16 }, (_, i) => 0xfe00 + i),
]);

/**
 * SASLprep (RFC 4013) of a password: the mapping and NFKC normalization steps. The
 * prohibited-output and bidi checks are left out: they reject passwords, and the stored
 * credential was derived by this same function, so both sides agree.
 */
export function saslPrep(text: string): string {
  let mapped = '';
  for (const char of text.replace(NON_ASCII_SPACE, ' ')) {
    if (!MAPPED_TO_NOTHING.has(char.codePointAt(0)!)) mapped += char;
  }
  return mapped.normalize('NFKC');
}
