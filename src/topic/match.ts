import { Char } from './chars.js';

/**
 * True when `topic` matches `filter` per MQTT 4.7. Walks both strings level by level with
 * indices, no split(). A '+' or '#' counts as a wildcard only where a valid filter may hold
 * it; anywhere else it compares literally, the same as SubscriptionIndex does.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLength = filter.length;
  const topicLength = topic.length;
  const first = filter.charCodeAt(0);
  // [MQTT-4.7.2-1]: a filter starting with a wildcard never matches a "$..." topic.
  if (topic.charCodeAt(0) === Char.Dollar && (first === Char.Plus || first === Char.Hash)) {
    return false;
  }
  let f = 0; // start of the current filter level
  let t = 0; // start of the current topic level; topicLength + 1 once the levels run out
  for (;;) {
    if (t > topicLength) {
      // The topic ran out of levels: only a final "#" is left to match its parent [MQTT-4.7.1-2].
      return f === filterLength - 1 && filter.charCodeAt(f) === Char.Hash;
    }
    const code = filter.charCodeAt(f);
    if (code === Char.Hash && f === filterLength - 1) return true;
    if (code === Char.Plus && (f + 1 === filterLength || filter.charCodeAt(f + 1) === Char.Slash)) {
      f++;
      while (t < topicLength && topic.charCodeAt(t) !== Char.Slash) t++;
    } else {
      for (; f < filterLength; f++, t++) {
        const c = filter.charCodeAt(f);
        if (c === Char.Slash) break;
        if (t >= topicLength || topic.charCodeAt(t) !== c) return false;
      }
      if (t < topicLength && topic.charCodeAt(t) !== Char.Slash) return false;
    }
    // Both indices now sit at the end of their level: '/' or the end of the string.
    if (f === filterLength) return t === topicLength;
    f++;
    t = t === topicLength ? topicLength + 1 : t + 1;
  }
}
