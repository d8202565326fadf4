// MQTT topics and filters as NATS subjects. Every valid MQTT topic must route, so a level
// becomes one NATS token by a reversible escape: [A-Za-z0-9_-] stay, every other UTF-8 byte
// is `=HH`, and an empty level is a lone `=`. The result is also a valid JetStream KV key,
// so retained messages and client claims are keyed the same way. (nats-server's own MQTT
// mapping rejects topics with spaces; this one rejects nothing.)

import { createHash } from 'node:crypto';

const HEX = '0123456789ABCDEF';

/** Bytes that stay as they are: ASCII letters, digits, '_' and '-'. */
function isPlain(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x5f ||
    byte === 0x2d
  );
}

function hasOnlyPlain(level: string): boolean {
  for (let i = 0; i < level.length; i++) if (!isPlain(level.charCodeAt(i))) return false;
  return level.length > 0;
}

/** One MQTT topic level (or a client id) as one NATS token. */
export function encodeToken(level: string): string {
  if (level.length === 0) return '=';
  if (hasOnlyPlain(level)) return level;
  let out = '';
  for (const byte of Buffer.from(level, 'utf8')) {
    out += isPlain(byte) ? String.fromCharCode(byte) : `=${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** The inverse of encodeToken; throws on a token encodeToken cannot produce. */
export function decodeToken(token: string): string {
  if (token === '=') return '';
  if (hasOnlyPlain(token)) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c !== 0x3d) {
      if (!isPlain(c)) throw new Error(`not an encoded token: ${JSON.stringify(token)}`);
      bytes.push(c);
      continue;
    }
    const byte = Number.parseInt(token.slice(i + 1, i + 3), 16);
    if (!/^[0-9A-F]{2}$/.test(token.slice(i + 1, i + 3)) || isPlain(byte))
      throw new Error(`not an encoded token: ${JSON.stringify(token)}`);
    bytes.push(byte);
    i += 2;
  }
  const text = Buffer.from(bytes).toString('utf8');
  if (encodeToken(text) !== token)
    throw new Error(`not an encoded token: ${JSON.stringify(token)}`);
  return text;
}

/** The subject a message on `topic` is published to: `prefix.level.level…`. */
export function topicToSubject(prefix: string, topic: string): string {
  let out = prefix;
  let start = 0;
  for (;;) {
    const end = topic.indexOf('/', start);
    out += `.${encodeToken(end < 0 ? topic.slice(start) : topic.slice(start, end))}`;
    if (end < 0) return out;
    start = end + 1;
  }
}

/** The inverse of topicToSubject. */
export function subjectToTopic(prefix: string, subject: string): string {
  if (!subject.startsWith(`${prefix}.`)) throw new Error(`subject outside ${prefix}: ${subject}`);
  return subject
    .slice(prefix.length + 1)
    .split('.')
    .map(decodeToken)
    .join('/');
}

/**
 * The subjects that together match what an MQTT filter matches: `+` is `*`, `#` is `>`, and
 * `a/#` also needs `a` itself, since `#` matches its parent level [MQTT-4.7.1-2] and NATS'
 * `>` does not. The '$' rule [MQTT-4.7.2-1] is left to the receiving node's own index.
 */
export function filterToSubjects(prefix: string, filter: string): string[] {
  const levels = filter.split('/');
  const tokens = levels.map((l) => (l === '+' ? '*' : l === '#' ? '>' : encodeToken(l)));
  const subject = `${prefix}.${tokens.join('.')}`;
  if (levels.length > 1 && levels[levels.length - 1] === '#')
    return [subject, `${prefix}.${tokens.slice(0, -1).join('.')}`];
  return [subject];
}

/** Longest escaped text used as it is in a key; NATS refuses long subjects (4 KiB lines). */
const LONGEST_KEY_TOKEN = 200;

/**
 * A client id (or any text) as one KV key token: its escape when short, else `=H` and a hash
 * of it. `=H` never starts an escape (H is no hex digit), so the two kinds never meet; a
 * hashed key cannot be read back, so values that need the text carry it themselves.
 */
export function keyToken(text: string): string {
  const token = encodeToken(text);
  if (token.length <= LONGEST_KEY_TOKEN) return token;
  return `=H${createHash('sha256').update(text).digest('base64url')}`;
}

/** Longest subject sent as it is: nats-server refuses protocol lines over 4 KiB. */
export const LONGEST_SUBJECT = 3000;

/** Where a message on `topic` goes: its subject, or, for a very long topic, the long channel. */
export function messageSubject(prefix: string, topic: string): string {
  const subject = topicToSubject(`${prefix}.m`, topic);
  return subject.length <= LONGEST_SUBJECT ? subject : longChannel(prefix);
}

/**
 * What a node subscribes to for a filter. A filter too long for a subject takes every
 * message: such filters are rare, and the node's own index still decides what matches.
 * Long topics all share one channel that every node hears (longChannel).
 */
export function interestSubjects(prefix: string, filter: string): string[] {
  const subjects = filterToSubjects(`${prefix}.m`, filter);
  return subjects.some((s) => s.length > LONGEST_SUBJECT) ? [`${prefix}.m.>`] : subjects;
}

export const longChannel = (prefix: string) => `${prefix}.l`;
