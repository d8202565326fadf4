// Matching of ACL rule filters: against topics (topicMatches, MQTT 4.7) and against
// subscription filters, where a rule must cover every topic the subscription can match.
import type { ClientInfo } from '../broker/ports.js';

const DOLLAR = '$';

function isWildcard(level: string): boolean {
  return level === '+' || level === '#';
}

/**
 * True when every topic that `subscriptionFilter` matches is also matched by `ruleFilter`, so a
 * read rule `a/+` covers `a/b` and `a/+` but not `a/#` (which matches `a/b/c`) nor `#`. Both
 * must be valid filters. Like topicMatches for a plain topic: filterCovers(r, t) equals
 * topicMatches(r, t) when `t` holds no wildcard.
 */
export function filterCovers(ruleFilter: string, subscriptionFilter: string): boolean {
  const rule = ruleFilter.split('/');
  const subscription = subscriptionFilter.split('/');
  // [MQTT-4.7.2-1]: a rule starting with a wildcard matches no "$..." topic, so it covers a
  // subscription only if that too can match none, i.e. does not name a "$" first level.
  if (
    isWildcard(rule[0]!) &&
    !isWildcard(subscription[0]!) &&
    subscription[0]!.startsWith(DOLLAR)
  ) {
    return false;
  }
  for (let i = 0; i < rule.length; i++) {
    const level = rule[i]!;
    // '#' covers the rest, including the parent level itself ("a/#" matches "a").
    if (level === '#') return true;
    if (i >= subscription.length) return false;
    const wanted = subscription[i]!;
    // A subscription '#' matches any depth from here, which only a rule '#' covers, or at the
    // first level "+/#" (no topic has zero levels, so the parent case does not arise there).
    if (wanted === '#') return i === 0 && level === '+' && rule.length === 2 && rule[1] === '#';
    if (level === '+') continue;
    if (wanted === '+' || wanted !== level) return false;
  }
  return rule.length === subscription.length;
}

/** A value that would change the shape of a filter once put into it. */
const UNSAFE_VALUE = /[/+#]/;

/**
 * Puts the client's identity into a rule filter: "%u" is the user name and "%c" the client
 * identifier (mosquitto), "${username}" and "${clientid}" the same (EMQX). Returns undefined
 * when the rule cannot apply: "%u" for a client without a user name, or a value holding '/',
 * '+' or '#', which would otherwise let a client named "#" widen the rule (CVE-2017-7650).
 */
export function substituteIdentity(filter: string, client: ClientInfo): string | undefined {
  if (!filter.includes('%') && !filter.includes('${')) return filter;
  let unusable = false;
  const value = (raw: string | undefined) => {
    if (raw === undefined || UNSAFE_VALUE.test(raw)) {
      unusable = true;
      return '';
    }
    return raw;
  };
  const result = filter.replace(/%u|%c|\$\{username\}|\$\{clientid\}/g, (token) =>
    token === '%u' || token.endsWith('username}') ? value(client.username) : value(client.clientId),
  );
  return unusable ? undefined : result;
}
