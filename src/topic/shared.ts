import { ReasonCode } from '../protocol/constants.js';
import { MqttError } from '../protocol/errors.js';
import { Char } from './chars.js';
import { type TopicLimits, validateTopicFilter } from './validate.js';

/** A shared subscription: one member of `group` receives each message matching `filter`. */
export interface SharedFilter {
  group: string;
  filter: string;
}

const SHARE_PREFIX = '$share/';
const QUEUE_PREFIX = '$queue/';
/** EMQX's "$queue/{filter}" is "$share/$queue/{filter}" under another spelling. */
export const QUEUE_GROUP = '$queue';

/**
 * Parses "$share/{ShareName}/{filter}" (MQTT 5.0 4.8.2) and EMQX's "$queue/{filter}" (group
 * "$queue"). Returns undefined for a plain filter, else the group and the inner filter, or an
 * MqttError (TopicFilterInvalid) when the share syntax or the inner filter is invalid.
 */
export function parseSharedFilter(
  filter: string,
  limits?: TopicLimits,
): SharedFilter | MqttError | undefined {
  if (filter.startsWith(SHARE_PREFIX)) return parseShare(filter, limits);
  if (filter.startsWith(QUEUE_PREFIX)) {
    return checkInner(QUEUE_GROUP, filter.slice(QUEUE_PREFIX.length), limits);
  }
  return undefined;
}

function parseShare(filter: string, limits: TopicLimits | undefined): SharedFilter | MqttError {
  const nameStart = SHARE_PREFIX.length;
  const slash = filter.indexOf('/', nameStart);
  const group = filter.slice(nameStart, slash === -1 ? undefined : slash);
  if (group.length === 0) {
    return invalid('has an empty ShareName', 'MQTT-4.8.2-1'); // [MQTT-4.8.2-1]
  }
  for (let i = 0; i < group.length; i++) {
    const code = group.charCodeAt(i);
    if (code === Char.Plus || code === Char.Hash) {
      // [MQTT-4.8.2-2]: the ShareName holds no '/', '+' or '#' ('/' ends it by construction).
      return invalid(`has a ShareName with '${group[i]}'`, 'MQTT-4.8.2-2');
    }
  }
  if (slash === -1) {
    return invalid('has no "/" and filter after the ShareName', 'MQTT-4.8.2-2'); // [MQTT-4.8.2-2]
  }
  return checkInner(group, filter.slice(slash + 1), limits);
}

/** The inner filter must itself be a filter: non-empty [MQTT-4.8.2-2] and well-formed. */
function checkInner(
  group: string,
  inner: string,
  limits: TopicLimits | undefined,
): SharedFilter | MqttError {
  if (inner.length === 0) return invalid('has no filter after the ShareName', 'MQTT-4.8.2-2');
  const error = validateTopicFilter(inner, limits);
  return error ?? { group, filter: inner };
}

const invalid = (problem: string, ruleId: string) =>
  new MqttError(ReasonCode.TopicFilterInvalid, `shared subscription ${problem}`, ruleId);
