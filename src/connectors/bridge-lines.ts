// Mosquitto's bridge `topic` lines, for users moving over:
//   topic pattern [[[ out | in | both ] qos-level] local-prefix remote-prefix]
// `out` sends local messages matching local-prefix+pattern to the remote broker, with
// local-prefix replaced by remote-prefix; `in` subscribes to remote-prefix+pattern there and
// republishes here with remote-prefix replaced by local-prefix. A pattern of "" makes the
// prefixes whole topics (mosquitto.conf(5)).
import type { QoS } from '../protocol/constants.js';
import { topicMatches, validateTopicFilter } from '../topic/index.js';

export type Direction = 'out' | 'in' | 'both';

export interface BridgeLine {
  pattern: string;
  direction: Direction;
  qos: QoS;
  localPrefix: string;
  remotePrefix: string;
  /** localPrefix + pattern: the local messages an out line sends. */
  localFilter: string;
  /** remotePrefix + pattern: what an in line subscribes to on the remote broker. */
  remoteFilter: string;
}

/** Parses one line (the leading `topic` word is optional); throws with what is wrong. */
export function parseBridgeLine(line: string): BridgeLine {
  const words = line.trim().split(/\s+/).map(unquote);
  if (words[0] === 'topic') words.shift();
  if (words.length === 0 || words.length > 5) {
    throw new Error(`'${line}' is not 'pattern [[[out|in|both] qos] local-prefix remote-prefix]'`);
  }
  const [pattern = '', direction = 'out', qos = '0', localPrefix = '', remotePrefix = ''] = words;
  if (words.length === 4) throw new Error(`'${line}': a local prefix needs a remote prefix`);
  if (direction !== 'out' && direction !== 'in' && direction !== 'both') {
    throw new Error(`'${line}': direction must be out, in or both, not '${direction}'`);
  }
  if (!/^[012]$/.test(qos)) throw new Error(`'${line}': qos must be 0, 1 or 2, not '${qos}'`);
  if (pattern === '' && (localPrefix === '' || remotePrefix === '')) {
    throw new Error(`'${line}': an empty pattern needs both prefixes`);
  }
  const result: BridgeLine = {
    pattern,
    direction,
    qos: Number(qos) as QoS,
    localPrefix,
    remotePrefix,
    localFilter: localPrefix + pattern,
    remoteFilter: remotePrefix + pattern,
  };
  for (const filter of [result.localFilter, result.remoteFilter]) {
    const problem = validateTopicFilter(filter);
    if (problem)
      throw new Error(`'${line}': '${filter}' is not a topic filter (${problem.message})`);
  }
  return result;
}

/** The remote topic of a local message an out line matches, or undefined. */
export function outgoingTopic(line: BridgeLine, topic: string): string | undefined {
  if (line.direction === 'in' || !topicMatches(line.localFilter, topic)) return undefined;
  return line.remotePrefix + topic.slice(line.localPrefix.length);
}

/** The local topic of a remote message an in line matches, or undefined. */
export function incomingTopic(line: BridgeLine, topic: string): string | undefined {
  if (line.direction === 'out' || !topicMatches(line.remoteFilter, topic)) return undefined;
  return line.localPrefix + topic.slice(line.remotePrefix.length);
}

function unquote(word: string): string {
  return word === '""' ? '' : word;
}
