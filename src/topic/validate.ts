import { ReasonCode } from '../protocol/constants.js';
import { MqttError } from '../protocol/errors.js';
import { Char, MAX_TOPIC_BYTES } from './chars.js';

/**
 * Operator limits on top of the spec's own. `maxLength` counts UTF-8 bytes (like the 65,535
 * byte limit of the wire format); `maxLevels` counts levels, i.e. the number of '/' plus one.
 */
export interface TopicLimits {
  maxLength?: number;
  maxLevels?: number;
}

/** A problem found in a topic; `ruleId` is absent for operator limits, which no rule sets. */
interface Problem {
  message: string;
  ruleId?: string;
}

/** What one pass over the string found: its UTF-8 size, its levels, and the first problem. */
interface Scan {
  bytes: number;
  levels: number;
  problem: Problem | undefined;
}

const LOW_SURROGATE_MIN = 0xdc00;
const SURROGATE_MIN = 0xd800;
const SURROGATE_MAX = 0xdfff;
const ONE_BYTE_MAX = 0x7f;
const TWO_BYTES_MAX = 0x7ff;

/**
 * Returns undefined when `name` may be used as a PUBLISH Topic Name (or Will Topic, Response
 * Topic), else an MqttError with reason code TopicNameInvalid and the rule broken.
 */
export function validateTopicName(name: string, limits?: TopicLimits): MqttError | undefined {
  const problem = findProblem(name, false, limits);
  if (problem === undefined) return undefined;
  return new MqttError(
    ReasonCode.TopicNameInvalid,
    `topic name ${problem.message}`,
    problem.ruleId,
  );
}

/**
 * Returns undefined when `filter` is a well-formed Topic Filter, else an MqttError with
 * reason code TopicFilterInvalid and the rule broken. A "$share/..." filter is checked as a
 * plain filter here (the two agree on syntax); parseSharedFilter checks the share part.
 */
export function validateTopicFilter(filter: string, limits?: TopicLimits): MqttError | undefined {
  const problem = findProblem(filter, true, limits);
  if (problem === undefined) return undefined;
  const message = `topic filter ${problem.message}`;
  return new MqttError(ReasonCode.TopicFilterInvalid, message, problem.ruleId);
}

function findProblem(text: string, isFilter: boolean, limits?: TopicLimits): Problem | undefined {
  if (text.length === 0) return { message: 'is empty', ruleId: 'MQTT-4.7.3-1' }; // [MQTT-4.7.3-1]
  const scan = scanTopic(text, isFilter);
  if (scan.problem !== undefined) return scan.problem;
  if (scan.bytes > MAX_TOPIC_BYTES) {
    const message = `is ${scan.bytes} bytes long, more than ${MAX_TOPIC_BYTES}`;
    return { message, ruleId: 'MQTT-4.7.3-3' }; // [MQTT-4.7.3-3]
  }
  if (limits?.maxLength !== undefined && scan.bytes > limits.maxLength) {
    return { message: `is ${scan.bytes} bytes long, more than the limit of ${limits.maxLength}` };
  }
  if (limits?.maxLevels !== undefined && scan.levels > limits.maxLevels) {
    return { message: `has ${scan.levels} levels, more than the limit of ${limits.maxLevels}` };
  }
  return undefined;
}

/**
 * One pass over the UTF-16 code units: counts UTF-8 bytes and levels and records the first
 * syntax problem. Wildcards are judged by their neighbours, so no split() is needed.
 */
function scanTopic(text: string, isFilter: boolean): Scan {
  const scan: Scan = { bytes: 0, levels: 1, problem: undefined };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= ONE_BYTE_MAX) {
      scan.bytes += 1;
      if (code === Char.Slash) scan.levels++;
      else if (isSpecial(code)) scan.problem ??= checkSpecial(text, i, code, isFilter);
    } else if (code <= TWO_BYTES_MAX) {
      scan.bytes += 2;
    } else if (code < SURROGATE_MIN || code > SURROGATE_MAX) {
      scan.bytes += 3;
    } else if (code < LOW_SURROGATE_MIN && isLowSurrogate(text.charCodeAt(i + 1))) {
      scan.bytes += 4; // a surrogate pair is one code point, four bytes in UTF-8
      i++;
    } else {
      scan.bytes += 3;
      // [MQTT-1.5.4-1] (3.1.1: [MQTT-1.5.3-1]): a lone surrogate has no UTF-8 encoding.
      scan.problem ??= { message: `has a lone surrogate at ${i}`, ruleId: 'MQTT-1.5.4-1' };
    }
  }
  return scan;
}

const isLowSurrogate = (code: number) => code >= LOW_SURROGATE_MIN && code <= SURROGATE_MAX;

const isSpecial = (code: number) => code === Char.Nul || code === Char.Plus || code === Char.Hash;

/** Judges one U+0000 or wildcard code unit in its context. */
function checkSpecial(
  text: string,
  i: number,
  code: number,
  isFilter: boolean,
): Problem | undefined {
  if (code === Char.Nul) return { message: `contains U+0000 at ${i}`, ruleId: 'MQTT-4.7.3-2' };
  if (!isFilter) {
    // [MQTT-3.3.2-2] [MQTT-4.7.1-1] (5.0: [MQTT-4.7.0-1]): no wildcards in topic names.
    const message = `contains the wildcard '${text[i]}' at ${i}`;
    return { message, ruleId: 'MQTT-3.3.2-2' };
  }
  const startsLevel = i === 0 || text.charCodeAt(i - 1) === Char.Slash;
  const endsLevel = i === text.length - 1 || text.charCodeAt(i + 1) === Char.Slash;
  if (code === Char.Hash && !(startsLevel && i === text.length - 1)) {
    // [MQTT-4.7.1-2] (5.0: [MQTT-4.7.1-1]): '#' is alone in the last level.
    return { message: `has '#' at ${i}, not alone in the last level`, ruleId: 'MQTT-4.7.1-2' };
  }
  if (code === Char.Plus && !(startsLevel && endsLevel)) {
    // [MQTT-4.7.1-3] (5.0: [MQTT-4.7.1-2]): '+' fills a whole level.
    return { message: `has '+' at ${i}, not alone in its level`, ruleId: 'MQTT-4.7.1-3' };
  }
  return undefined;
}
